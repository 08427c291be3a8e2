package sourcetest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/source"
)

// Case is one connector and its fake, for the conformance suite.
type Case struct {
	Name string
	// Fake is the platform the faults are queued on (for OAuth sources: the API, not the
	// token endpoint).
	Fake *Fake
	// Build makes the connector with env (endpoints already pointing at the fakes).
	Build func(env source.Env) (source.Source, error)
	Env   source.Env
	Req   source.Request
	// Want are values the pull must return: Key(period, metric, dims) → value.
	Want map[string]float64
	// Paged: the platform pages its answers, so a page loop applies.
	Paged bool
	// JSON: the platform answers JSON, so a malformed or huge body applies.
	JSON bool
}

// Key names a row for Want.
func Key(period, metric string, d kpi.Dims) string {
	return fmt.Sprintf("%s|%s|%s|%s|%s|%s", period, metric, d.Channel, d.Campaign, d.Source, d.Medium)
}

// Sleeps records the waits a pull asked for, instead of waiting.
type Sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

// Sleep records d and returns at once.
func (s *Sleeps) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

// All is every wait asked for.
func (s *Sleeps) All() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// Run is the conformance suite: the pull, then each fault of the platform.
func Run(t *testing.T, c Case) {
	pull := func(t *testing.T, timeout time.Duration) (source.Result, error, *Sleeps) {
		env := c.Env
		sl := &Sleeps{}
		env.Sleep = sl.Sleep
		env.Limiters = &source.Limiters{Override: rate.Inf}
		env.HTTP = &http.Client{Timeout: timeout}
		env.Now = func() time.Time { return time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC) }
		s, err := c.Build(env)
		require.NoError(t, err)
		res, err := s.Pull(context.Background(), c.Req)
		return res, err, sl
	}
	reason := func(t *testing.T, err error) source.Reason {
		t.Helper()
		require.Error(t, err)
		e, ok := source.AsError(err)
		require.True(t, ok, "not a pull error: %v", err)
		require.NotEmpty(t, e.Message("it"))
		require.NotEmpty(t, e.Message("en"))
		return e.Reason
	}
	// each subtest queues its faults on the one fake: they run one after the other

	t.Run("pulls the aggregates with their provenance", func(t *testing.T) {
		c.Fake.Reset()
		res, err, _ := pull(t, 10*time.Second)
		require.NoError(t, err)
		require.NotEmpty(t, res.Rows)
		got := map[string]float64{}
		for _, r := range res.Rows {
			k := Key(r.Period.String(), r.Metric, r.Dims)
			_, dup := got[k]
			require.False(t, dup, "two rows for %s", k)
			got[k] = r.Value
			require.Equal(t, source.FileOf(c.Name), r.File)
			require.Equal(t, c.Req.Grain, r.Period.Grain)
		}
		for k, v := range c.Want {
			require.Contains(t, got, k)
			require.InDelta(t, v, got[k], 1e-6, k)
		}
		p := res.Provenance
		require.Equal(t, c.Name, p.Source)
		require.NotEmpty(t, p.Kind)
		require.NotEmpty(t, p.API)
		require.NotEmpty(t, p.Endpoint)
		require.False(t, p.PulledAt.IsZero())
		require.GreaterOrEqual(t, res.Requests, c.Fake.Count(), "every call is counted (token refreshes too)")
	})

	t.Run("a 500 is tried again", func(t *testing.T) {
		c.Fake.Reset()
		c.Fake.Queue(Fault{Status: 500})
		res, err, sl := pull(t, 10*time.Second)
		require.NoError(t, err)
		require.NotEmpty(t, res.Rows)
		require.NotEmpty(t, sl.All())
		require.GreaterOrEqual(t, res.Requests, c.Fake.Count())
	})

	t.Run("a 429 with a short Retry-After is waited out", func(t *testing.T) {
		c.Fake.Reset()
		c.Fake.Queue(Fault{Status: 429, RetryAfter: "2"})
		_, err, sl := pull(t, 10*time.Second)
		require.NoError(t, err)
		require.Contains(t, sl.All(), 2*time.Second)
	})

	t.Run("a 429 with a long Retry-After stops the pull as a quota stop", func(t *testing.T) {
		c.Fake.Reset()
		c.Fake.Queue(Fault{Status: 429, RetryAfter: "3600"})
		_, err, sl := pull(t, 10*time.Second)
		require.Equal(t, source.ReasonQuota, reason(t, err))
		e, _ := source.AsError(err)
		require.Equal(t, time.Hour, e.RetryAfter)
		require.Empty(t, sl.All(), "an hour is not waited inside a pull")
		require.Equal(t, 1, c.Fake.Count())
	})

	t.Run("500s past the retries fail as the server's fault", func(t *testing.T) {
		c.Fake.Reset()
		c.Fake.Queue(Fault{Status: 500}, Fault{Status: 502}, Fault{Status: 503}, Fault{Status: 500})
		_, err, _ := pull(t, 10*time.Second)
		require.Equal(t, source.ReasonServer, reason(t, err))
		require.Equal(t, 4, c.Fake.Count(), "one call and three retries")
	})

	t.Run("a refused token is a sign-in problem", func(t *testing.T) {
		c.Fake.Reset()
		c.Fake.Queue(Fault{Status: 401})
		_, err, _ := pull(t, 10*time.Second)
		require.Equal(t, source.ReasonAuth, reason(t, err))
		require.Equal(t, 1, c.Fake.Count(), "a refused token is not tried again")
	})

	t.Run("a slow answer is a timeout", func(t *testing.T) {
		c.Fake.Reset()
		c.Fake.Queue(Fault{Delay: 3 * time.Second})
		start := time.Now()
		_, err, _ := pull(t, 300*time.Millisecond)
		require.Equal(t, source.ReasonTimeout, reason(t, err))
		require.Less(t, time.Since(start), 2500*time.Millisecond)
	})

	if c.JSON {
		t.Run("a malformed answer stores nothing", func(t *testing.T) {
			c.Fake.Reset()
			c.Fake.Queue(Fault{Malformed: true})
			res, err, _ := pull(t, 10*time.Second)
			require.Equal(t, source.ReasonMalformed, reason(t, err))
			require.Empty(t, res.Rows)
		})
		t.Run("a huge answer is refused, not held", func(t *testing.T) {
			c.Fake.Reset()
			c.Fake.Queue(Fault{Huge: source.MaxResponseBytes + 1<<20})
			res, err, _ := pull(t, 30*time.Second)
			require.Equal(t, source.ReasonTooLarge, reason(t, err))
			require.Empty(t, res.Rows)
		})
	}
	if c.Paged {
		t.Run("paging that never ends is stopped", func(t *testing.T) {
			c.Fake.Reset()
			c.Fake.Queue(Fault{Loop: true})
			_, err, _ := pull(t, 10*time.Second)
			require.Equal(t, source.ReasonLoop, reason(t, err))
		})
	}

	t.Run("a pull stopped in the middle returns no rows", func(t *testing.T) {
		c.Fake.Reset()
		c.Fake.Queue(Fault{Delay: 2 * time.Second})
		env := c.Env
		env.Limiters = &source.Limiters{Override: rate.Inf}
		s, err := c.Build(env)
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		res, err := s.Pull(ctx, c.Req)
		require.Error(t, err)
		require.True(t, errors.Is(err, context.Canceled) || reason(t, err) == source.ReasonTimeout, "%v", err)
		require.Empty(t, res.Rows)
	})
}
