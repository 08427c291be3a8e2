package workspace_test

import (
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
