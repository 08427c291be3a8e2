package kpi_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/metric"
)

// The sample exports in testdata/exports follow each tool's documented layout: preamble
// and title lines, localized headers and numbers, totals rows, empty cells as "--".
func TestReadExports(t *testing.T) {
	t.Parallel()
	type want struct {
		period, metric string
		value          float64
	}
	tests := []struct {
		file string
		opt  kpi.Options
		want []want
	}{
		{"ga4_it.csv", kpi.Options{Locale: "it", Preset: "ga4"}, []want{
			{"2026-01", "sessions", 3412 + 1250 + 980}, {"2026-02", "sessions", 3650 + 1410 + 1002},
			{"2026-01", "engaged_sessions", 2105 + 640 + 512}, {"2026-02", "conversions", 41 + 27 + 11},
		}},
		{"google_ads_en.csv", kpi.Options{Locale: "en", Preset: "google_ads"}, []want{
			{"2026-01", "ad_spend", 493.64 + 965.44}, {"2026-01", "impressions", 15880 + 21344},
			{"2026-02", "clicks", 1310}, {"2026-02", "ad_spend", 524}, {"2026-01", "conversions", 49},
		}},
		{"meta_ads_it.csv", kpi.Options{Locale: "it", Preset: "meta_ads"}, []want{
			{"2026-01", "ad_spend", 1250 + 380.5}, {"2026-01", "reach", 18350 + 7410},
			{"2026-02", "leads", 31}, {"2026-01", "clicks", 813},
		}},
		{"search_console.csv", kpi.Options{Locale: "en", Preset: "search_console"}, []want{
			{"2026-01-01", "organic_clicks", 22}, {"2026-01-03", "search_impressions", 1540}, {"2026-01-02", "avg_position", 11.6},
		}},
		{"hubspot.csv", kpi.Options{Locale: "en", Preset: "hubspot"}, []want{
			{"2026-01", "leads", 1204 + 312}, {"2026-02", "leads", 1330 + 298},
		}},
		{"hubspot_contacts_it.csv", kpi.Options{Locale: "it", Preset: kpi.PresetHubSpotContacts}, []want{
			{"2026-01", "leads", 3}, {"2026-01", "qualified_leads", 2}, {"2026-01", "new_customers", 1}, {"2026-01", "leads_followed_up", 2},
			{"2026-02", "leads", 3}, {"2026-02", "qualified_leads", 2}, {"2026-02", "leads_followed_up", 2}, {"2026-02", "new_customers", 0},
		}},
		{"looker_it.csv", kpi.Options{Locale: "it", Columns: map[string]string{"Entrate": "revenue"}}, []want{
			{"2026-01", "sessions", 3412 + 1020}, {"2026-01", "revenue", 1560.5}, {"2026-02", "revenue", 1402.1},
		}},
		{"own_columns.csv", kpi.Options{Locale: "it", Columns: map[string]string{
			"Mese di riferimento": "period", "Prime visite": "new_patients", "Tasso di mancata presentazione": "no_show_rate", "Incasso": "revenue",
		}}, []want{
			{"2026-01", "new_patients", 12}, {"2026-01", "no_show_rate", 0.125}, {"2026-02", "revenue", 4150},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join("testdata", "exports", tt.file)
			f, err := os.Open(path)
			require.NoError(t, err)
			defer f.Close()
			rows, err := kpi.ReadWith(path, f, metric.NewResolver(nil), tt.opt)
			require.NoError(t, err)
			ds, err := kpi.Build(rows)
			require.NoError(t, err)
			for _, w := range tt.want {
				i, ok := ds.Index(w.period)
				require.True(t, ok, "period %s", w.period)
				v, ok := ds.Value(i, w.metric)
				require.True(t, ok, "%s %s", w.period, w.metric)
				require.InDelta(t, w.value, v, 1e-6, "%s %s", w.period, w.metric)
			}
		})
	}
}

// Without the locale, the same exports fail at the first ambiguous value instead of
// reading «3.412» as three point four.
func TestExportsNeedTheirLocale(t *testing.T) {
	t.Parallel()
	for file, want := range map[string]string{
		"ga4_it.csv":        `ga4_it.csv:10: column sessions: value "3.412" could be 3412`,
		"meta_ads_it.csv":   `meta_ads_it.csv:2: column reach: value "18.350" could be 18350`,
		"google_ads_en.csv": `google_ads_en.csv:4: column impressions: value "15,880" could be 15880`,
	} {
		path := filepath.Join("testdata", "exports", file)
		f, err := os.Open(path)
		require.NoError(t, err)
		preset := map[string]string{"ga4_it.csv": "ga4", "meta_ads_it.csv": "meta_ads", "google_ads_en.csv": "google_ads"}[file]
		_, err = kpi.ReadWith(path, f, metric.NewResolver(nil), kpi.Options{Preset: preset})
		f.Close()
		require.ErrorContains(t, err, want)
	}
}

func TestExportPeriods(t *testing.T) {
	t.Parallel()
	read := func(header, cell, locale string) (string, error) {
		rows, err := kpi.ReadWith("p.csv", bytesReader(header+",leads\n\""+cell+"\",5\n"), metric.NewResolver(nil), kpi.Options{Locale: locale})
		if err != nil {
			return "", err
		}
		return rows[0].Period.String(), nil
	}
	for _, tt := range []struct{ header, cell, locale, want string }{
		{"Anno mese", "202601", "", "2026-01"},
		{"Year month", "202612", "", "2026-12"},
		{"Settimana ISO dell'anno ISO", "202603", "", "2026-W03"},
		{"Date", "20260115", "", "2026-01-15"},
		{"Mese", "gen 2026", "", "2026-01"},
		{"Mese", "Settembre 2026", "", "2026-09"},
		{"Month", "Jan 2026", "", "2026-01"},
		{"Month", "January 2026", "", "2026-01"},
		{"Month", "01/2026", "", "2026-01"},
		{"Month", "2026/01", "", "2026-01"},
		{"Week", "2026W03", "", "2026-W03"},
		{"Week", "2026-W3", "", "2026-W03"},
		{"Data", "15/01/2026", "", "2026-01-15"},
		{"Data", "03/01/2026", "it", "2026-01-03"},
		{"Create date", "2026-01-15 10:32", "", "2026-01-15"},
		{"Create date", "2026-01-15T10:32:00Z", "", "2026-01-15"},
		{"Reporting starts", "2026-01-01 - 2026-01-31", "", "2026-01"},
		{"Reporting starts", "2026-01-05 - 2026-01-11", "", "2026-W02"},
	} {
		got, err := read(tt.header, tt.cell, tt.locale)
		require.NoError(t, err, "%s %s", tt.header, tt.cell)
		require.Equal(t, tt.want, got, "%s %s", tt.header, tt.cell)
	}
	for _, tt := range []struct{ header, cell, want string }{
		{"period", "202601", "could be a month (2026-01) or an ISO week (2026-W01)"},
		{"Data", "03/01/2026", "could be 3 January or 1 March"},
		{"Reporting starts", "2026-01-01 - 2026-01-20", "is 20 days, not one month"},
		{"Mese", "Brumaio 2026", "is not a period whybot reads"},
	} {
		_, err := read(tt.header, tt.cell, "")
		require.ErrorContains(t, err, tt.want, tt.cell)
	}
}

func bytesReader(s string) *strings.Reader { return strings.NewReader(s) }

// A contacts export is counted, never kept: no name, email or phone reaches a row, and a
// file without a Create Date says which column to export.
func TestContactsExportKeepsNoPersonalData(t *testing.T) {
	t.Parallel()
	path := filepath.Join("testdata", "exports", "hubspot_contacts_it.csv")
	rows, err := kpi.ReadFile(path, res(), kpi.Options{Locale: "it", Preset: kpi.PresetHubSpotContacts})
	require.NoError(t, err)
	for _, r := range rows {
		s := fmt.Sprintf("%+v", r)
		for _, personal := range []string{"@", "Maria", "Bianchi", "333"} {
			require.NotContains(t, s, personal)
		}
	}
	require.Equal(t, "Ricerca organica", rows[0].Dims.Source)
	require.Equal(t, 2, rows[0].Line, "a count points at the first contact it counts")
	_, err = kpi.ReadWith("c.csv", strings.NewReader("Email,Create Date,Lifecycle Stage\na@b.c,,Lead\n"), res(), kpi.Options{Preset: kpi.PresetHubSpotContacts})
	require.ErrorContains(t, err, "c.csv:2: contact with no Create Date")
	_, err = kpi.ReadWith("c.csv", strings.NewReader("Email,Lifecycle Stage\na@b.c,Lead\n"), res(), kpi.Options{Preset: kpi.PresetHubSpotContacts})
	require.ErrorContains(t, err, "no Create Date column: export the contacts with the Create Date property")
}

// The separator is the one that splits the file's lines alike: a short semicolon file of
// Italian amounts is not taken for a comma file because its one value has a comma.
func TestDelimiter(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		data string
		want float64
	}{
		"semicolon, one amount":    {"periodo;spesa_ads\n2026-09;1.250,50 €\n", 1250.5},
		"semicolon, a title above": {"Report spesa, gennaio\nperiodo;spesa_ads\n2026-09;1.250,50\n2026-10;2.000,00\n", 1250.5},
		"comma, quoted decimals":   {"period,ad_spend\n2026-09,\"1.250,50\"\n", 1250.5},
		"tab":                      {"period\tad_spend\n2026-09\t1.250,50\n", 1250.5},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rows, err := kpi.ReadWith("k.csv", strings.NewReader(tc.data), res(), kpi.Options{Locale: "it"})
			require.NoError(t, err)
			require.Equal(t, "ad_spend", rows[0].Metric)
			require.InDelta(t, tc.want, rows[0].Value, 1e-9)
		})
	}
}
