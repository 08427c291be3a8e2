package source

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/whybot/whybot/knowledge/limits"
)

// MaxResponseBytes is the most one answer of a platform may be: past it the pull fails
// (ReasonTooLarge) rather than holding it.
const MaxResponseBytes = 32 << 20

// Rates are the request rates per provider and connection, below each platform's
// documented limit.
var Rates = map[string]rate.Limit{
	"hubspot":        rate.Limit(4),  // the CRM search endpoint's 5 per second (190 per 10 s for the rest)
	"ga4":            rate.Limit(10), // 10 concurrent requests per property
	"search_console": rate.Limit(20), // 1,200 queries per minute per site
	"sheets":         rate.Limit(1),  // 60 reads per minute per user
	"google_ads":     rate.Limit(10), // a developer token's basic access
	"meta_ads":       rate.Limit(3),  // the ads management tier's points, with the usage header on top
	"https":          rate.Limit(2),  // someone's web server
	"sql":            rate.Inf,       // one query per pull
}

// Limiters hand out one token bucket per provider and connection, shared by every pull of
// this process.
type Limiters struct {
	mu sync.Mutex
	m  map[string]*rate.Limiter
	// Override, when set, is the rate of every bucket (tests).
	Override rate.Limit
}

// For is the bucket of one provider's connection.
func (l *Limiters) For(kind, connection string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]*rate.Limiter{}
	}
	key := kind + "\x00" + connection
	if b, ok := l.m[key]; ok {
		return b
	}
	r, ok := Rates[kind]
	if !ok {
		r = 5
	}
	if l.Override != 0 {
		r = l.Override
	}
	burst := max(1, int(r))
	if r == rate.Inf {
		burst = 1
	}
	b := rate.NewLimiter(r, burst)
	l.m[key] = b
	return b
}

// transport is the HTTP layer every connector goes through: a token bucket per provider
// and connection, retries of 429 and 5xx honouring Retry-After (up to MaxWait; longer is a
// quota stop), and a size cap on every answer.
type transport struct {
	base    http.RoundTripper
	bucket  *rate.Limiter
	retries int
	maxWait time.Duration
	sleep   func(ctx context.Context, d time.Duration) error
	calls   *int
	mu      sync.Mutex
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	for attempt := 0; ; attempt++ {
		if err := t.bucket.Wait(ctx); err != nil {
			return nil, err
		}
		r := req
		if attempt > 0 {
			if req.GetBody == nil && req.Body != nil {
				return nil, errors.New("cannot retry a request whose body cannot be read again")
			}
			r = req.Clone(ctx)
			if req.GetBody != nil {
				b, err := req.GetBody()
				if err != nil {
					return nil, err
				}
				r.Body = b
			}
		}
		t.mu.Lock()
		*t.calls++
		t.mu.Unlock()
		resp, err := t.base.RoundTrip(r)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode < 500 {
			resp.Body = &cappedBody{r: resp.Body, left: MaxResponseBytes}
			return resp, nil
		}
		wait := retryAfter(resp.Header, time.Duration(1<<attempt)*time.Second)
		if attempt >= t.retries || wait > t.maxWait {
			resp.Body = &cappedBody{r: resp.Body, left: 64 << 10}
			return resp, nil // the caller reads the error and its Retry-After
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if err := t.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// retryAfter reads Retry-After (seconds or an HTTP date); def when there is none.
func retryAfter(h http.Header, def time.Duration) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return def
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, time.Until(t))
	}
	return def
}

// cappedBody fails a read past the cap instead of holding a huge answer.
type cappedBody struct {
	r    io.ReadCloser
	left int64
}

// ErrResponseTooLarge is an answer past MaxResponseBytes.
var ErrResponseTooLarge = limits.TooLarge(fmt.Sprintf("the answer is larger than %s", limits.Size(MaxResponseBytes)))

func (c *cappedBody) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, ErrResponseTooLarge
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

func (c *cappedBody) Close() error { return c.r.Close() }

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// transportErr classifies an error of the HTTP call itself.
func transportErr(e *Error, err error) *Error {
	if x, ok := oauthErr(e, err); ok {
		return x
	}
	var ne net.Error
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se), errors.As(err, &te), errors.Is(err, io.ErrUnexpectedEOF):
		e.Reason, e.Detail = ReasonMalformed, "the answer is not the JSON the API documents"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		e.Reason = ReasonTimeout
	case errors.Is(err, limits.ErrTooLarge):
		e.Reason = ReasonTooLarge
	case errors.Is(err, context.Canceled):
		e.Reason = ReasonTimeout
		e.Detail = "stopped"
	default:
		e.Reason = ReasonServer
	}
	e.Err = err
	return e
}

// statusErr classifies an HTTP error status the retries did not cure.
func statusErr(e *Error, status int, h http.Header, detail string) *Error {
	e.Status = status
	e.Detail = limits.Cut(detail)
	switch {
	case status == http.StatusUnauthorized:
		e.Reason = ReasonAuth
	case status == http.StatusForbidden:
		e.Reason = ReasonAuth
	case status == http.StatusTooManyRequests:
		e.Reason = ReasonQuota
		e.RetryAfter = retryAfter(h, 0)
	case status == http.StatusNotFound || status == http.StatusGone:
		e.Reason = ReasonRequest
	case status >= 500:
		e.Reason = ReasonServer
		e.RetryAfter = retryAfter(h, 0)
	default:
		e.Reason = ReasonRequest
	}
	return e
}
