package pull_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/secret"
	"github.com/whybot/whybot/knowledge/source"
	"github.com/whybot/whybot/knowledge/source/pull"
	"github.com/whybot/whybot/knowledge/source/sourcetest"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/storetest"
	"github.com/whybot/whybot/knowledge/workspace"
)

const profileYAML = `company: Ceramiche Rossi S.r.l.
workspace: rossi
language: it
locale: it
people:
  - {handle: anna, name: Anna Rossi, role: owner, reviewer: true}
  - {handle: giulia, role: marketing}
sources:
  - name: ga4_web
    kind: ga4
    property: "123456"
    by: [channel]
    schedule: "0 6 * * *"
    timezone: Europe/Rome
    backfill_months: 6
%s
`

// setup stores the workspace rossi (a data file of leads, a GA4 source) in a fresh store
// and returns a puller pointed at a fake GA4.
type fixture struct {
	s     store.Store
	ga4   *sourcetest.GA4
	data  *sourcetest.Data
	p     *pull.Puller
	told  []string
	now   time.Time
	mu    sync.Mutex
	keys  *secret.Keyring
	oauth *sourcetest.OAuth
}

func setup(t *testing.T, be storetest.Backend, extra, csv string) *fixture {
	t.Helper()
	dir := t.TempDir()
	prof := filepath.Join(dir, "company.yaml")
	require.NoError(t, os.WriteFile(prof, []byte(fmt.Sprintf(profileYAML, extra)), 0o644))
	if csv == "" {
		var b strings.Builder
		b.WriteString("period,metric,value\n")
		for m := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC); m.Before(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)); m = m.AddDate(0, 1, 0) {
			fmt.Fprintf(&b, "%s,leads,%d\n", m.Format("2006-01"), 50+m.Month())
		}
		csv = b.String()
	}
	data := filepath.Join(dir, "kpis.csv")
	require.NoError(t, os.WriteFile(data, []byte(csv), 0o644))
	ws, err := workspace.Load(prof, []string{data})
	require.NoError(t, err)
	rec, err := ws.Record()
	require.NoError(t, err)
	s := be.Open(t)
	require.NoError(t, s.UpsertWorkspace(context.Background(), rec))
	require.NoError(t, s.ReplaceKPI(context.Background(), "rossi", ws.KPIRows(), time.Now()))

	f := &fixture{s: s, data: sourcetest.NewData(), now: time.Date(2026, 12, 2, 6, 30, 0, 0, time.UTC)}
	f.ga4 = sourcetest.NewGA4(t, f.data)
	f.oauth = sourcetest.NewOAuth(t, f.ga4.Token)
	f.keys, err = secret.Parse(secret.NewKey("k1"))
	require.NoError(t, err)
	connect(t, f, "ga4_web", source.Credential{OAuth: &oauth2.Token{RefreshToken: f.oauth.RefreshToken}})
	sl := &sourcetest.Sleeps{}
	f.p = &pull.Puller{Store: s, Keys: f.keys, Now: func() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now },
		Env: source.Env{Endpoints: map[string]string{"ga4": f.ga4.URL}, Sleep: sl.Sleep,
			OAuth: map[string]*oauth2.Config{"google": {ClientID: f.oauth.ClientID, ClientSecret: f.oauth.ClientSecret, Endpoint: oauth2.Endpoint{TokenURL: f.oauth.TokenURL(), AuthStyle: oauth2.AuthStyleInParams}}}},
		Notify: func(_ context.Context, ws string, to []string, text string) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.told = append(f.told, strings.Join(to, ",")+": "+text)
			return nil
		}}
	return f
}

func connect(t *testing.T, f *fixture, name string, cred source.Credential) {
	t.Helper()
	b, err := jsonMarshal(cred)
	require.NoError(t, err)
	sealed, id, err := f.keys.Seal(b, "rossi", name)
	require.NoError(t, err)
	require.NoError(t, f.s.PutCredential(context.Background(), store.SealedCredential{Workspace: "rossi", Conn: name, KeyID: id, Sealed: sealed, UpdatedAt: f.now}))
}

func (f *fixture) at(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = t
}

func (f *fixture) told_() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.told...)
}

func snapshot(t *testing.T, s store.Store) map[string]float64 {
	rows, _, err := s.KPI(context.Background(), "rossi")
	require.NoError(t, err)
	out := map[string]float64{}
	for _, r := range rows {
		out[r.Period.String()+"|"+r.Metric+"|"+r.Dims.Channel+"|"+originOf(r.File)] += r.Value
	}
	return out
}

func originOf(file string) string {
	if n, ok := source.NameOf(file); ok {
		return n
	}
	return "file"
}

func TestBackfillThenWindow(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		f := setup(t, be, "", "")
		ctx := context.Background()

		out, err := f.p.Due(ctx)
		require.NoError(t, err)
		require.Len(t, out, 1)
		o := out[0]
		require.Equal(t, store.PullDone, o.State, o.Error)
		require.EqualValues(t, 1, o.Version)
		require.Equal(t, "2026-06-01", o.From, "six months back, month by month")
		require.Equal(t, "2026-11-30", o.To, "December is not over: it is not read half")
		require.Equal(t, 6, f.ga4.Count(), "one report per month")
		require.Equal(t, 6*3*3, o.Rows, "six months, three metrics, three channels")

		snap := snapshot(t, f.s)
		oct1, oct31 := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)
		require.Equal(t, f.data.Sum(sourcetest.Sessions, oct1, oct31, 1, 0), snap["2026-10|sessions|Paid Social|ga4_web"])
		require.Equal(t, 60.0, snap["2026-10|leads||file"], "the data file's rows stay beside the source's")

		// the same slot again, as another replica would: nothing is pulled twice
		out, err = f.p.Due(ctx)
		require.NoError(t, err)
		require.Empty(t, out)
		require.Equal(t, 6, f.ga4.Count())

		// the next day: GA4 restated 29 November; only November is read again
		nov29 := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
		before := f.data.Sum(sourcetest.Sessions, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), 0, 0)
		f.data.Revise(sourcetest.Sessions, nov29, 0, f.data.Value(sourcetest.Sessions, nov29, 0)+7)
		f.ga4.Reset()
		f.at(time.Date(2026, 12, 3, 6, 5, 0, 0, time.UTC))
		out, err = f.p.Due(ctx)
		require.NoError(t, err)
		require.Len(t, out, 1)
		o = out[0]
		require.Equal(t, store.PullDone, o.State, o.Error)
		require.Equal(t, "2026-11-01", o.From, "the three-day window reaches into November")
		require.Equal(t, 1, f.ga4.Count())
		require.EqualValues(t, 2, o.Version)
		require.Equal(t, 6*3*3, o.Rows, "the months not read again are kept")
		require.Equal(t, []store.Revision{{Period: "2026-11", Metric: "sessions", Dims: kpi.Dims{Channel: "Organic Search"}, Old: before, New: before + 7}}, o.Revisions)
		v, ok, err := f.s.LatestSource(ctx, "rossi", "ga4_web")
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, o.Revisions, v.Revisions, "the revision is kept with the version: «rivisto da … a …»")
		require.Contains(t, string(v.Provenance), "GA4 Data API v1beta")
		require.Equal(t, before+7, snapshot(t, f.s)["2026-11|sessions|Organic Search|ga4_web"])
	})
}

func TestQuotaStopResumes(t *testing.T) {
	t.Parallel()
	f := setup(t, storetest.Backends()[0], "", "")
	ctx := context.Background()
	f.ga4.TokensPerDay = 130 // under 100 left after four reports: the backfill stops
	out, err := f.p.Due(ctx)
	require.NoError(t, err)
	o := out[0]
	require.Equal(t, store.PullStopped, o.State)
	require.Equal(t, "2026-10-01", o.Resume, "four of six months read before the quota ran low")
	require.Equal(t, 4, f.ga4.Count())
	require.EqualValues(t, 1, o.Version, "what was read is kept")
	require.Empty(t, f.told_(), "a quota stop is not a failure anyone must fix")

	f.ga4.ResetQuota()
	f.ga4.Reset()
	f.at(time.Date(2026, 12, 3, 6, 1, 0, 0, time.UTC))
	out, err = f.p.Due(ctx)
	require.NoError(t, err)
	o = out[0]
	require.Equal(t, store.PullDone, o.State, o.Error)
	require.Equal(t, "2026-10-01", o.From, "it resumes where it stopped")
	require.Equal(t, 2, f.ga4.Count())
	require.Equal(t, 6*3*3, o.Rows)
}

func TestFailureKeepsTheLastGoodNumbersAndIsToldOnce(t *testing.T) {
	t.Parallel()
	f := setup(t, storetest.Backends()[0], "", "")
	ctx := context.Background()
	_, err := f.p.Due(ctx)
	require.NoError(t, err)
	good := snapshot(t, f.s)

	for i, day := range []int{3, 4} {
		f.oauth.Queue(sourcetest.Fault{Revoke: true})
		f.at(time.Date(2026, 12, day, 6, 0, 0, 0, time.UTC))
		out, err := f.p.Due(ctx)
		require.NoError(t, err)
		require.Equal(t, store.PullFailed, out[0].State)
		require.Contains(t, out[0].Error, "Ricollega", "in the company's language")
		require.Equal(t, good, snapshot(t, f.s), "the last good snapshot stays")
		v, _, _ := f.s.LatestSource(ctx, "rossi", "ga4_web")
		require.EqualValues(t, 1, v.Version)
		require.Len(t, f.told_(), 1, "told once, not on every slot (day %d)", i)
	}
	require.Contains(t, f.told_()[0], "anna: La fonte ga4_web (ga4) non si è aggiornata")
	require.NotContains(t, f.told_()[0], f.oauth.RefreshToken)

	// fixed: the next pull works, and a later failure is told again
	f.at(time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC))
	out, err := f.p.Due(ctx)
	require.NoError(t, err)
	require.Equal(t, store.PullDone, out[0].State)
	st, err := f.s.SourceState(ctx, "rossi", "ga4_web")
	require.NoError(t, err)
	require.Empty(t, st.Failing)
	f.oauth.Queue(sourcetest.Fault{Revoke: true})
	f.at(time.Date(2026, 12, 6, 6, 0, 0, 0, time.UTC))
	_, err = f.p.Due(ctx)
	require.NoError(t, err)
	require.Len(t, f.told_(), 2)
}

func TestTwoReplicasPullOnce(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		f := setup(t, be, "", "")
		other := pull.Puller{Store: f.p.Store, Keys: f.p.Keys, Now: f.p.Now, Env: f.p.Env, Notify: f.p.Notify} // another replica
		var wg sync.WaitGroup
		results := make([][]pull.Outcome, 2)
		for i, p := range []*pull.Puller{f.p, &other} {
			wg.Go(func() {
				out, err := p.Due(context.Background())
				require.NoError(t, err)
				results[i] = out
			})
		}
		wg.Wait()
		require.Equal(t, 1, len(results[0])+len(results[1]), "one replica took the slot")
		require.Equal(t, 6, f.ga4.Count(), "the platform saw one backfill")
	})
}

func TestReplicaKilledMidPullIsTakenOver(t *testing.T) {
	t.Parallel()
	f := setup(t, storetest.Backends()[0], "", "")
	ctx := context.Background()
	slot := time.Date(2026, 12, 2, 5, 0, 0, 0, time.UTC) // 06:00 in Rome
	ok, err := f.s.ClaimPull(ctx, "rossi", "ga4_web", slot, "dead-replica", f.now, 15*time.Minute)
	require.NoError(t, err)
	require.True(t, ok, "a replica takes the slot, then dies")
	out, err := f.p.Due(ctx)
	require.NoError(t, err)
	require.Empty(t, out, "inside its lease the slot is still its")
	f.at(f.now.Add(20 * time.Minute))
	out, err = f.p.Due(ctx)
	require.NoError(t, err)
	require.Len(t, out, 1)
	require.Equal(t, store.PullDone, out[0].State)
}

func TestOneTruthPerMetric(t *testing.T) {
	t.Parallel()
	csv := "period,metric,value\n2026-09,sessions,900\n2026-10,sessions,950\n2026-10,leads,60\n"
	f := setup(t, storetest.Backends()[0], "", csv)
	ctx := context.Background()
	out, err := f.p.Due(ctx)
	require.NoError(t, err)
	require.Equal(t, store.PullFailed, out[0].State)
	require.Contains(t, out[0].Err.Error(), "sessions comes from source ga4_web and the data files")
	require.Contains(t, out[0].Err.Error(), "truth: [sessions]")
	_, ok, _ := f.s.LatestSource(ctx, "rossi", "ga4_web")
	require.False(t, ok, "nothing half-stored")

	g := setup(t, storetest.Backends()[0], "    truth: [sessions]", csv)
	out, err = g.p.Due(ctx)
	require.NoError(t, err)
	require.Equal(t, store.PullDone, out[0].State, out[0].Error)
	snap := snapshot(t, g.s)
	require.NotContains(t, snap, "2026-10|sessions||file", "the file's sessions are left out, not added")
	require.Contains(t, snap, "2026-10|leads||file")
	require.Contains(t, snap, "2026-10|sessions|Email|ga4_web")
}

func TestDryRunStoresNothing(t *testing.T) {
	t.Parallel()
	f := setup(t, storetest.Backends()[0], "", "")
	ctx := context.Background()
	before := snapshot(t, f.s)
	o, err := f.p.Pull(ctx, "rossi", "ga4_web", pull.Options{DryRun: true})
	require.NoError(t, err)
	require.Equal(t, 54, o.Rows)
	require.NotEmpty(t, o.Sample)
	_, ok, _ := f.s.LatestSource(ctx, "rossi", "ga4_web")
	require.False(t, ok)
	require.Equal(t, before, snapshot(t, f.s))
	st, _ := f.s.SourceState(ctx, "rossi", "ga4_web")
	require.False(t, st.Started)
}

func TestBrand(t *testing.T) {
	t.Parallel()
	f := setup(t, storetest.Backends()[0], "", "")
	p, err := workspace.ProfileByID(context.Background(), f.s, "rossi")
	require.NoError(t, err)
	require.Equal(t, []string{"ceramiche rossi"}, pull.Brand(p))
}

// A replica whose pull runs past its lease stores nothing: another took the slot over and
// published; the late one's numbers never overwrite it, and its end does not end the
// other's pull.
func TestSlowPullPastTheLeaseStoresNothing(t *testing.T) {
	t.Parallel()
	f := setup(t, storetest.Backends()[0], "", "")
	ctx := context.Background()
	f.p.Lease = time.Minute
	other := &pull.Puller{Store: f.p.Store, Keys: f.p.Keys, Now: f.p.Now, Env: f.p.Env, Lease: time.Minute}
	f.ga4.Queue(sourcetest.Fault{Delay: 1500 * time.Millisecond}) // the first report of the slow replica
	slow := make(chan []pull.Outcome, 1)
	go func() {
		out, err := f.p.Due(ctx)
		require.NoError(t, err)
		slow <- out
	}()
	require.Eventually(t, func() bool { return f.ga4.Count() >= 1 }, 5*time.Second, 10*time.Millisecond)
	f.at(f.now.Add(2 * time.Minute)) // past the slow replica's lease
	out, err := other.Due(ctx)
	require.NoError(t, err)
	require.Len(t, out, 1)
	require.Equal(t, store.PullDone, out[0].State, out[0].Error)
	late := <-slow
	require.Len(t, late, 1)
	require.ErrorIs(t, late[0].Err, pull.ErrLostSlot)
	vs, err := f.s.SourceVersions(ctx, "rossi", "ga4_web")
	require.NoError(t, err)
	require.Len(t, vs, 1, "only the replica holding the slot published")
}
