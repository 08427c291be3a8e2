package pgstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/pgstore"
	"github.com/whybot/whybot/knowledge/store/storetest"
)

// BenchmarkReplaceKPI loads a 100,000-row KPI snapshot with COPY in one transaction and
// reports rows per second.
//
//	go test -run XXX -bench ReplaceKPI ./knowledge/store/pgstore/
func BenchmarkReplaceKPI(b *testing.B) {
	ctx := context.Background()
	s := open(b)
	require.NoError(b, s.UpsertWorkspace(ctx, store.Workspace{ID: "w", Company: "W", Profile: json.RawMessage(`{}`), UpdatedAt: time.Now()}))
	const n = 100_000
	rows := make([]kpi.Row, n)
	for i := range rows {
		per, err := kpi.ParsePeriod(fmt.Sprintf("%04d-%02d-%02d", 2000+i/365/28%26, 1+i/28%12, 1+i%28))
		require.NoError(b, err)
		rows[i] = kpi.Row{Period: per, Metric: "leads", Value: float64(i % 97), File: "bench.csv", Line: i + 2,
			Dims: kpi.Dims{Channel: []string{"google", "facebook", "linkedin", "email"}[i%4], Campaign: fmt.Sprintf("c%d", i%50)}}
	}
	b.ResetTimer()
	for b.Loop() {
		require.NoError(b, s.ReplaceKPI(ctx, "w", rows, time.Now()))
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkInboxClaim: a delivery through the inbox, empty and after 100,000 handled ones.
//
//	go test -run XXX -bench InboxClaim ./knowledge/store/pgstore/ ./knowledge/store/sqlitestore/
func BenchmarkInboxClaim(b *testing.B) {
	storetest.BenchInboxClaim(b, func(b *testing.B) store.Store { return open(b) }, func(b *testing.B, s store.Store, n int) {
		_, err := s.(*pgstore.Store).Pool().Exec(context.Background(), `INSERT INTO inbox (source, key, payload, state, attempts, received_at)
			SELECT 'slack', 'old-' || g, '{}'::jsonb, 'done', 1, now() - interval '1 hour' FROM generate_series(1, $1) g`, n)
		require.NoError(b, err)
		_, err = s.(*pgstore.Store).Pool().Exec(context.Background(), `ANALYZE inbox`)
		require.NoError(b, err)
	})
}
