package workspace_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/metric"
	"github.com/whybot/whybot/knowledge/starter"
	"github.com/whybot/whybot/knowledge/workspace"
)

// A stored workspace keeps the company's own metrics and roles: rebuilt from its record
// and snapshot (as every replica does), its formulas, kinds and role duties still apply.
func TestStoredWorkspaceKeepsOwnMetricsAndRoles(t *testing.T) {
	t.Parallel()
	p, d, err := starter.Write(filepath.Join(t.TempDir(), "ws"), starter.Options{Company: "Studio", Industry: "dental", Lang: "it"})
	require.NoError(t, err)
	ws, err := workspace.Load(p, []string{d})
	require.NoError(t, err)
	rec, err := ws.Record()
	require.NoError(t, err)
	again, err := workspace.FromSnapshot(rec, ws.KPIRows())
	require.NoError(t, err)

	cat := again.Profile.Catalogue()
	require.Equal(t, metric.Ratio, cat.KindOf("no_show_rate"))
	L := again.Data.Len() - 1
	got, ok := again.Data.Value(L, "no_show_rate")
	require.True(t, ok, "the formula is computed from the snapshot")
	want, _ := ws.Data.Value(L, "no_show_rate")
	require.InDelta(t, want, got, 1e-12)
	x, ok := again.Profile.ByRole("sales")
	require.True(t, ok)
	require.Equal(t, "sara", x.Handle)
	rev, _ := again.Profile.Person("paolo")
	require.True(t, rev.Reviewer)
}

// A metric nobody defined takes its kind from how the data writes it: 12,5% is a percent
// (shown as one, never 0,13), 1.250 € money; the kind is kept with the stored profile.
func TestKindsFromTheData(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p, _, err := starter.Write(filepath.Join(dir, "ws"), starter.Options{Company: "Studio", Industry: "dental", Lang: "it"})
	require.NoError(t, err)
	data := filepath.Join(dir, "extra.csv")
	require.NoError(t, os.WriteFile(data, []byte("periodo;tasso_richiami;costo_lab;canale\n2026-09;12,5%;1.250,00 €;google\n2026-10;14%;1.300,50 €;google\n"), 0o644))
	ws, err := workspace.Load(p, []string{data})
	require.NoError(t, err)
	cat := ws.Profile.Catalogue()
	require.Equal(t, metric.Ratio, cat.KindOf("tasso_richiami"))
	require.Equal(t, metric.Money, cat.KindOf("costo_lab"))
	def, _ := cat.Lookup("tasso_richiami")
	require.Equal(t, "extra.csv:2 (written with %)", def.Source)
	require.Equal(t, "14%", cat.Format("tasso_richiami", 0.14, "it", "EUR"))
	v, ok := ws.Data.Value(ws.Data.Len()-1, "costo_lab")
	require.True(t, ok, "money is summed across channels")
	require.InDelta(t, 1300.5, v, 1e-9)

	rec, err := ws.Record()
	require.NoError(t, err)
	again, err := workspace.FromSnapshot(rec, ws.KPIRows())
	require.NoError(t, err)
	require.Equal(t, metric.Ratio, again.Profile.Catalogue().KindOf("tasso_richiami"), "the stored profile keeps what the data said")

	for body, want := range map[string]string{
		"periodo;spesa_ads;canale\n2026-09;$ 1.250,00;google\n":        `metric ad_spend is in USD but the company's currency is EUR`,
		"periodo;tasso_x;canale\n2026-09;12%;a\n2026-10;14;a\n":        `extra.csv:3: metric tasso_x: a plain number above 1 in a metric written with % at line 2`,
		"periodo;costo_y;canale\n2026-09;1.250 €;a\n2026-10;£ 900;a\n": `extra.csv:3: metric costo_y is written in GBP here but in EUR at line 2`,
	} {
		require.NoError(t, os.WriteFile(data, []byte(body), 0o644))
		_, err := workspace.Load(p, []string{data})
		require.ErrorContains(t, err, want)
	}
}

// A source whose grain is not the data files' is refused at load with its line, before
// any pull could make a dataset of two grains.
func TestSourceGrainMustMatchTheData(t *testing.T) {
	t.Parallel()
	p, d, err := starter.Write(filepath.Join(t.TempDir(), "ws"), starter.Options{Company: "Studio", Industry: "dental", Lang: "it"})
	require.NoError(t, err)
	raw, err := os.ReadFile(p)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(p, append(raw, []byte("sources:\n  - {name: ga4, kind: ga4, property: \"1\", grain: day}\n  - {name: crm, kind: hubspot}\n")...), 0o644))
	_, err = workspace.Load(p, []string{d})
	require.ErrorContains(t, err, "sources[ga4].grain: day, but the data files are by month: use grain: month")
	require.NotContains(t, err.Error(), "sources[crm]", "a source of the files' grain is fine")
}
