package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/store"
)

// runKPI checks KPI snapshots replaced atomically.
func runKPI(t *testing.T, newStore func(t *testing.T) store.Store) {
	setup := func(t *testing.T) *bundle { return setupStore(t, newStore) }

	t.Run("KPISnapshotReplaced", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		rows, at, err := b.s.KPI(ctx, "acme")
		require.NoError(t, err)
		require.Empty(t, rows)
		require.True(t, at.IsZero())
		first := []kpi.Row{{Period: period(t, "2026-09"), Metric: "leads", Value: 60, File: "a.csv", Line: 2},
			{Period: period(t, "2026-10"), Metric: "leads", Value: 78, Dims: kpi.Dims{Channel: "facebook", Campaign: "autunno"}, File: "a.csv", Line: 3}}
		require.NoError(t, b.s.ReplaceKPI(ctx, "acme", first, now))
		rows, at, err = b.s.KPI(ctx, "acme")
		require.NoError(t, err)
		require.Equal(t, first, rows)
		require.Equal(t, now, at)
		require.NoError(t, b.s.ReplaceKPI(ctx, "acme", first[:1], now.Add(time.Hour)))
		rows, _, err = b.s.KPI(ctx, "acme")
		require.NoError(t, err)
		require.Equal(t, first[:1], rows)
		rows, _, err = b.s.KPI(ctx, "beta")
		require.NoError(t, err)
		require.Empty(t, rows)

		// replicas starting together replace the snapshot at the same moment: one whole
		// snapshot remains, never the rows twice
		many := make([]kpi.Row, 2000)
		for i := range many {
			many[i] = kpi.Row{Period: period(t, fmt.Sprintf("%04d-01", 1000+i)), Metric: "leads", Value: float64(i), File: "a.csv", Line: i + 2}
		}
		var wg sync.WaitGroup
		errs := make([]error, 6)
		start := make(chan struct{})
		for i := range errs {
			wg.Go(func() { <-start; errs[i] = b.s.ReplaceKPI(ctx, "acme", many, now) })
		}
		close(start)
		wg.Wait()
		require.NoError(t, errors.Join(errs...))
		rows, _, err = b.s.KPI(ctx, "acme")
		require.NoError(t, err)
		require.Equal(t, len(many), len(rows), "the snapshot holds each row once")
	})
}

// period reads a period for a test's rows.
func period(t testing.TB, s string) kpi.Period {
	t.Helper()
	p, err := kpi.ParsePeriod(s)
	require.NoError(t, err)
	return p
}
