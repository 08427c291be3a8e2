package pull_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/whybot/whybot/knowledge/secret"
	"github.com/whybot/whybot/knowledge/source"
	"github.com/whybot/whybot/knowledge/source/pull"
	"github.com/whybot/whybot/knowledge/source/sourcetest"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/storetest"
	"github.com/whybot/whybot/knowledge/workspace"
)

const benchProfile = `company: Cliente %[1]d
workspace: cliente_%[1]d
language: it
people:
  - {handle: anna, role: owner, reviewer: true}
sources:
  - {name: ga4, kind: ga4, property: "%[2]d", by: [channel], grain: day, backfill_months: 24, timezone: Europe/Rome}
`

// backfillFixture stores n workspaces, each with a daily data file and a GA4 source of its
// own property, connected with a service account.
func backfillFixture(b *testing.B, n int) (*pull.Puller, *sourcetest.GA4, store.Store) {
	b.Helper()
	ctx := context.Background()
	s := storetest.Backends()[0].Open(b)
	ga4 := sourcetest.NewGA4(b, sourcetest.NewData())
	ga4.TokensPerDay = 25_000 // a standard property's day is 200,000 tokens: an eighth of it
	o := sourcetest.NewOAuth(b, ga4.Token)
	keys, _ := secret.Parse(secret.NewKey("k1"))
	dir := b.TempDir()
	var csv strings.Builder
	csv.WriteString("period,metric,value\n")
	for d := time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC); d.Before(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)); d = d.AddDate(0, 0, 1) {
		fmt.Fprintf(&csv, "%s,leads,%d\n", d.Format("2006-01-02"), 3+d.YearDay()%4)
	}
	data := filepath.Join(dir, "kpis.csv")
	if err := os.WriteFile(data, []byte(csv.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	sa := o.ServiceAccountJSON()
	for i := range n {
		prof := filepath.Join(dir, fmt.Sprintf("company%d.yaml", i))
		if err := os.WriteFile(prof, []byte(fmt.Sprintf(benchProfile, i, 100000+i)), 0o644); err != nil {
			b.Fatal(err)
		}
		ws, err := workspace.Load(prof, []string{data})
		if err != nil {
			b.Fatal(err)
		}
		rec, _ := ws.Record()
		if err := s.UpsertWorkspace(ctx, rec); err != nil {
			b.Fatal(err)
		}
		if err := s.ReplaceKPI(ctx, rec.ID, ws.KPIRows(), time.Now()); err != nil {
			b.Fatal(err)
		}
		cred, _ := jsonMarshal(source.Credential{ServiceAccount: sa})
		sealed, id, _ := keys.Seal(cred, rec.ID, "ga4")
		if err := s.PutCredential(ctx, store.SealedCredential{Workspace: rec.ID, Conn: "ga4", KeyID: id, Sealed: sealed, UpdatedAt: time.Now()}); err != nil {
			b.Fatal(err)
		}
	}
	now := time.Date(2026, 12, 2, 6, 30, 0, 0, time.UTC)
	p := &pull.Puller{Store: s, Keys: keys, Now: func() time.Time { return now },
		Env: source.Env{Endpoints: map[string]string{"ga4": ga4.URL}, Limiters: &source.Limiters{Override: 1000}, OAuth: map[string]*oauth2.Config{}}}
	return p, ga4, s
}

// BenchmarkBackfill50 is the first pull of 50 workspaces: two years of daily GA4 sessions,
// engaged sessions and key events by channel, each property within its daily quota.
func BenchmarkBackfill50(b *testing.B) {
	const n = 50
	for b.Loop() {
		b.StopTimer()
		p, ga4, _ := backfillFixture(b, n)
		b.StartTimer()
		out, err := p.Due(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		rows := 0
		for _, o := range out {
			if o.State != store.PullDone {
				b.Fatalf("%s: %s %s", o.Workspace, o.State, o.Error)
			}
			rows += o.Rows
		}
		b.ReportMetric(float64(ga4.Count())/n, "requests/workspace")
		b.ReportMetric(float64(rows)/n, "rows/workspace")
		b.ReportMetric(float64(ga4.Count())*float64(ga4.TokensPerRequest)/n, "tokens/workspace")
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N)/n, "ms/workspace")
}

// BenchmarkDailyPull is the pull of the next day after the backfill: the revision window
// only, per workspace.
func BenchmarkDailyPull(b *testing.B) {
	p, ga4, _ := backfillFixture(b, 1)
	ctx := context.Background()
	if _, err := p.Due(ctx); err != nil {
		b.Fatal(err)
	}
	day := time.Date(2026, 12, 3, 6, 30, 0, 0, time.UTC)
	ga4.Reset()
	for b.Loop() {
		now := day
		p.Now = func() time.Time { return now }
		if _, err := p.Pull(ctx, "cliente_0", "ga4", pull.Options{}); err != nil {
			b.Fatal(err)
		}
		day = day.AddDate(0, 0, 1)
	}
	b.ReportMetric(float64(ga4.Count())/float64(b.N), "requests/pull")
}
