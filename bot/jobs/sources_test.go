package jobs_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/bot/jobs"
	"github.com/whybot/whybot/knowledge/secret"
	"github.com/whybot/whybot/knowledge/source/pull"
	"github.com/whybot/whybot/knowledge/source/sourcetest"
	"github.com/whybot/whybot/knowledge/store/pgstore"
	"github.com/whybot/whybot/knowledge/store/storetest"
)

// The runners pull the sources whose slot has come (River's periodic job on PostgreSQL,
// the local pass on SQLite): a published sheet's numbers join the workspace's snapshot,
// once, and an hourly data reload keeps them.
func TestSourcesPulledByTheRunner(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		ctx := context.Background()
		files := sourcetest.NewFiles(t)
		files.Put("/clicks.csv", "text/csv", []byte("period,organic_clicks\n2026-09,120\n2026-10,150\n"))
		st := be.Open(t)
		storetest.SeedSample(t, st, "workspace: meccanica_rossi", "workspace: meccanica_rossi\nsources:\n  - {name: sheet, kind: https, url: \""+files.URL+"/clicks.csv\"}")
		keys, err := secret.Parse(secret.NewKey("k1"))
		require.NoError(t, err)
		eng := conversation.New(st, conversation.WithQueuedDelivery(nil), conversation.WithLogger(slog.New(slog.DiscardHandler)))
		p := &pull.Puller{Store: st, Keys: keys}
		j := jobs.New(jobs.Config{Store: st, Engine: eng, Notifier: &notifier{}, Poll: 50 * time.Millisecond, ReloadKPIEvery: -1, Sources: p, PullEvery: 50 * time.Millisecond})
		run, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		if pg, ok := st.(*pgstore.Store); ok {
			rc, err := jobs.NewRiver(j, pg.Pool())
			require.NoError(t, err)
			go func() { done <- jobs.RunRiver(run, rc, 5*time.Second) }()
		} else {
			go func() { done <- jobs.NewLocal(j).Run(run) }()
		}
		pulled := func() map[string]float64 {
			rows, _, err := st.KPI(ctx, "meccanica_rossi")
			require.NoError(t, err)
			got := map[string]float64{}
			for _, r := range rows {
				if r.Metric == "organic_clicks" {
					got[r.Period.String()] = r.Value
					require.Equal(t, "source:sheet", r.File)
				}
			}
			return got
		}
		// the state asserted is the snapshot's, written after the version
		require.Eventually(t, func() bool { return len(pulled()) == 2 }, 20*time.Second, 50*time.Millisecond, "the runner pulled the sheet into the snapshot")
		require.Equal(t, map[string]float64{"2026-09": 120, "2026-10": 150}, pulled())
		v, ok, err := st.LatestSource(ctx, "meccanica_rossi", "sheet")
		require.NoError(t, err)
		require.True(t, ok)
		require.EqualValues(t, 1, v.Version)
		time.Sleep(300 * time.Millisecond) // more passes: the slot is not pulled again
		cancel()
		require.NoError(t, <-done)
		require.Equal(t, 1, files.Count(), "one pull for the slot")

		// the data reload composes the pulled numbers back in
		n, err := j.ReloadKPI(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		require.Len(t, pulled(), 2, "the reload keeps the source's rows")
	})
}
