package kpi_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/kpi"
)

// TestAggregate: counts and amounts are summed, a derived ratio is recomputed from its
// summed inputs (not the mean of monthly ratios), a rate given as such is averaged; the
// periods the data lacks are named, and the rows each figure rests on are kept.
func TestAggregate(t *testing.T) {
	t.Parallel()
	ds, err := load(t, "k.csv", "period,metric,value,source\n"+
		"2026-07,ad_spend,1000,\n2026-07,new_customers,2,\n2026-07,repeat_rate,0.2,\n"+
		"2026-08,ad_spend,3000,\n2026-08,new_customers,10,\n2026-08,repeat_rate,0.4,\n"+
		"2026-09,leads,5,google\n2026-09,leads,7,facebook\n")
	require.NoError(t, err)
	q3 := func() (time.Time, time.Time) {
		return time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	}
	from, to := q3()
	spend, ok := ds.Aggregate("ad_spend", from, to)
	require.True(t, ok)
	require.Equal(t, kpi.Summed, spend.Method)
	require.InDelta(t, 4000, spend.Value, 1e-9)
	require.Equal(t, []string{"2026-07", "2026-08"}, spend.Periods)
	require.Equal(t, []string{"2026-09"}, spend.Missing)
	require.Len(t, spend.Rows, 2)
	require.Equal(t, 5, spend.Rows[1].Line)

	cac, ok := ds.Aggregate("cac", from, to)
	require.True(t, ok)
	require.Equal(t, kpi.Recomputed, cac.Method)
	require.InDelta(t, 4000.0/12, cac.Value, 1e-9, "spend over customers, not the mean of 500 and 300")
	require.Equal(t, "ad_spend", cac.NumID)
	require.InDelta(t, 12, cac.Den, 1e-9)

	rr, ok := ds.Aggregate("repeat_rate", from, to)
	require.True(t, ok)
	require.Equal(t, kpi.Averaged, rr.Method)
	require.InDelta(t, 0.3, rr.Value, 1e-9)

	leads, ok := ds.Aggregate("leads", from, to)
	require.True(t, ok)
	require.InDelta(t, 12, leads.Value, 1e-9)
	require.Len(t, leads.Rows, 2, "both breakdown rows")

	_, ok = ds.Aggregate("leads", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC))
	require.False(t, ok, "no data in the span")
}

// TestAggregateRowsInFileOrder: the rows a figure rests on are the metric's totals and
// breakdowns of the periods summed, in the order the file gave them, and no other rows.
func TestAggregateRowsInFileOrder(t *testing.T) {
	t.Parallel()
	ds, err := load(t, "k.csv", "period,metric,value,source\n"+
		"2026-08,leads,9,facebook\n2026-06,leads,4,\n2026-07,leads,3,google\n2026-07,ad_spend,100,\n"+
		"2026-08,leads,2,google\n2026-07,leads,8,\n2026-09,leads,1,\n")
	require.NoError(t, err)
	a, ok := ds.Aggregate("leads", time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC))
	require.True(t, ok)
	var lines []int
	for _, r := range a.Rows {
		require.Equal(t, "leads", r.Metric)
		lines = append(lines, r.Line)
	}
	require.Equal(t, []int{2, 4, 6, 7}, lines, "July's breakdown and total, August's two breakdowns; not June's or September's")
}
