package storetest

import (
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/store"
)

// runSources checks the pulls of KPI sources: one replica per slot, leases taken over,
// versions kept and pruned, state and sealed credentials.
func runSources(t *testing.T, newStore func(t *testing.T) store.Store) {
	setup := func(t *testing.T) *bundle { return setupStore(t, newStore) }
	slot := time.Date(2026, 12, 2, 5, 0, 0, 0, time.UTC)

	t.Run("SourcePullClaimedOncePerSlot", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		var won atomic.Int32
		var wg sync.WaitGroup
		errs := make([]error, 6)
		for i := range errs {
			wg.Go(func() {
				ok, err := b.s.ClaimPull(ctx, "acme", "ga4", slot, fmt.Sprintf("r%d", i), now, time.Minute)
				errs[i] = err
				if ok {
					won.Add(1)
				}
			})
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		require.EqualValues(t, 1, won.Load(), "six replicas, one pull")
		ok, err := b.s.ClaimPull(ctx, "beta", "ga4", slot, "r1", now, time.Minute)
		require.NoError(t, err)
		require.True(t, ok, "another workspace's slot is its own")
		ok, err = b.s.ClaimPull(ctx, "acme", "ga4", slot.Add(time.Hour), "r1", now, time.Minute)
		require.NoError(t, err)
		require.True(t, ok, "the next slot is a new pull")

		// the replica that had it dies, or is slower than its lease: another takes it over,
		// and the first one no longer holds it (it stores nothing, and cannot finish it)
		var first string
		for i := range errs {
			if h, _ := b.s.HoldsPull(ctx, "acme", "ga4", slot, fmt.Sprintf("r%d", i), now.Add(30*time.Second)); h {
				first = fmt.Sprintf("r%d", i)
			}
		}
		require.NotEmpty(t, first, "the winner holds the slot inside its lease")
		ok, err = b.s.ClaimPull(ctx, "acme", "ga4", slot, "late", now.Add(30*time.Second), time.Minute)
		require.NoError(t, err)
		require.False(t, ok, "inside the lease")
		ok, err = b.s.ClaimPull(ctx, "acme", "ga4", slot, "late", now.Add(2*time.Minute), time.Minute)
		require.NoError(t, err)
		require.True(t, ok, "the lease ran out")
		held, err := b.s.HoldsPull(ctx, "acme", "ga4", slot, first, now.Add(2*time.Minute))
		require.NoError(t, err)
		require.False(t, held, "the slow replica lost the slot")
		require.NoError(t, b.s.FinishPull(ctx, "acme", "ga4", slot, first, store.PullFailed, "timeout", "", now.Add(2*time.Minute)))
		held, err = b.s.HoldsPull(ctx, "acme", "ga4", slot, "late", now.Add(2*time.Minute))
		require.NoError(t, err)
		require.True(t, held, "the slow replica's finish does not end the new owner's pull")
		require.NoError(t, b.s.FinishPull(ctx, "acme", "ga4", slot, "late", store.PullDone, "", "", now.Add(3*time.Minute)))
		ok, err = b.s.ClaimPull(ctx, "acme", "ga4", slot, "again", now.Add(time.Hour), time.Minute)
		require.NoError(t, err)
		require.False(t, ok, "a finished slot is never pulled again")
	})

	t.Run("SourceVersionsKeptAndPruned", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, ok, err := b.s.LatestSource(ctx, "acme", "ga4")
		require.NoError(t, err)
		require.False(t, ok)
		prov := json.RawMessage(`{"api":"GA4 Data API v1beta","source":"ga4"}`)
		for i := 1; i <= 4; i++ {
			v := store.SourceVersion{Workspace: "acme", Conn: "ga4", PulledAt: now.Add(time.Duration(i) * time.Hour), Provenance: prov,
				Rows:      []store.SourceRow{{Period: "2026-10", Metric: "sessions", Value: float64(40 + i), Dims: kpi.Dims{Channel: "Email"}, Line: 1}},
				Revisions: []store.Revision{{Period: "2026-10", Metric: "sessions", Dims: kpi.Dims{Channel: "Email"}, Old: float64(39 + i), New: float64(40 + i)}}}
			st := store.SourceState{Workspace: "acme", Conn: "ga4", Started: true, ETag: "e" + string(rune('0'+i)), UpdatedAt: v.PulledAt}
			n, err := b.s.PublishSource(ctx, v, st, 3)
			require.NoError(t, err)
			require.EqualValues(t, i, n)
		}
		v, ok, err := b.s.LatestSource(ctx, "acme", "ga4")
		require.NoError(t, err)
		require.True(t, ok)
		require.EqualValues(t, 4, v.Version)
		require.Equal(t, now.Add(4*time.Hour), v.PulledAt)
		require.JSONEq(t, string(prov), string(v.Provenance))
		require.Equal(t, []store.SourceRow{{Period: "2026-10", Metric: "sessions", Value: 44, Dims: kpi.Dims{Channel: "Email"}, Line: 1}}, v.Rows)
		require.Equal(t, 43.0, v.Revisions[0].Old)
		all, err := b.s.SourceVersions(ctx, "acme", "ga4")
		require.NoError(t, err)
		require.Len(t, all, 3, "the newest three are kept")
		require.EqualValues(t, []int64{4, 3, 2}, []int64{all[0].Version, all[1].Version, all[2].Version})
		st, err := b.s.SourceState(ctx, "acme", "ga4")
		require.NoError(t, err)
		require.Equal(t, "e4", st.ETag)
		require.True(t, st.Started)
		none, err := b.s.SourceState(ctx, "beta", "ga4")
		require.NoError(t, err)
		require.False(t, none.Started)
		_, ok, err = b.s.LatestSource(ctx, "beta", "ga4")
		require.NoError(t, err)
		require.False(t, ok, "another workspace's source is its own")

		// replicas publishing together get distinct versions
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() {
				_, errs[i] = b.s.PublishSource(ctx, store.SourceVersion{Workspace: "acme", Conn: "ga4", PulledAt: now, Provenance: prov},
					store.SourceState{Workspace: "acme", Conn: "ga4", UpdatedAt: now}, 10)
			})
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		v, _, err = b.s.LatestSource(ctx, "acme", "ga4")
		require.NoError(t, err)
		require.EqualValues(t, 8, v.Version)
	})

	t.Run("SourceStateAndCredentials", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		st := store.SourceState{Workspace: "acme", Conn: "meta", Backfill: "2025-03", Failing: "auth", Message: "scaduto", Notified: "auth", UpdatedAt: now}
		require.NoError(t, b.s.PutSourceState(ctx, st))
		got, err := b.s.SourceState(ctx, "acme", "meta")
		require.NoError(t, err)
		require.Equal(t, st, got)

		_, ok, err := b.s.Credential(ctx, "acme", "meta")
		require.NoError(t, err)
		require.False(t, ok)
		c := store.SealedCredential{Workspace: "acme", Conn: "meta", KeyID: "k1", Sealed: "v1.k1.abc", UpdatedAt: now}
		require.NoError(t, b.s.PutCredential(ctx, c))
		c.Sealed, c.KeyID = "v1.k2.def", "k2"
		require.NoError(t, b.s.PutCredential(ctx, c))
		require.NoError(t, b.s.PutCredential(ctx, store.SealedCredential{Workspace: "beta", Conn: "meta", KeyID: "k1", Sealed: "v1.k1.zzz", UpdatedAt: now}))
		got2, ok, err := b.s.Credential(ctx, "acme", "meta")
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, c, got2)
		all, err := b.s.Credentials(ctx)
		require.NoError(t, err)
		require.Len(t, all, 2)
		require.NoError(t, b.s.DeleteCredential(ctx, "acme", "meta"))
		_, ok, err = b.s.Credential(ctx, "acme", "meta")
		require.NoError(t, err)
		require.False(t, ok)
		_, ok, err = b.s.Credential(ctx, "beta", "meta")
		require.NoError(t, err)
		require.True(t, ok)
	})
}
