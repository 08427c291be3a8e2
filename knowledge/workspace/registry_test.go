package workspace_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/storetest"
	"github.com/whybot/whybot/knowledge/workspace"
)

// The registry builds a workspace once per version, sees another replica's new snapshot
// or profile on the next message, and sets a workspace that no longer validates aside
// while the others keep working.
func TestRegistry(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		ctx := context.Background()
		st := be.Open(t)
		ws := storetest.SeedSample(t, st)
		reg := workspace.NewRegistry(st)
		team := store.WorkspaceKey{SlackTeam: ws.Profile.Slack.Team}

		first, err := reg.Find(ctx, team)
		require.NoError(t, err)
		require.NotNil(t, first)
		require.Equal(t, ws.Profile.Workspace, first.Profile.Workspace)
		again, err := reg.Find(ctx, store.WorkspaceKey{ID: ws.Profile.Workspace})
		require.NoError(t, err)
		require.Same(t, first, again, "built once while current, whatever the key")
		none, err := reg.Find(ctx, store.WorkspaceKey{SlackTeam: "T0NOBODY"})
		require.NoError(t, err)
		require.Nil(t, none)

		// another replica reloads the data: the next message sees the new snapshot
		rows := ws.KPIRows()
		last := rows[len(rows)-1]
		rows = append(rows[:len(rows):len(rows)], kpi.Row{Period: last.Period.Next(), Metric: "leads", Value: 99, File: "more.csv", Line: 2})
		require.NoError(t, st.ReplaceKPI(ctx, ws.Profile.Workspace, rows, time.Now()))
		reloaded, err := reg.Find(ctx, team)
		require.NoError(t, err)
		require.NotSame(t, first, reloaded)
		require.Equal(t, first.Data.Len()+1, reloaded.Data.Len())

		// a second company; then the first one's data stops validating (mixed grains)
		other := storetest.SeedSample(t, st, "workspace: meccanica_rossi", "workspace: forno_bianchi", "team: T0ROSSI", "team: T0BIANCHI")
		week, err := kpi.ParsePeriod("2026-W45")
		require.NoError(t, err)
		bad := append(rows[:len(rows):len(rows)], kpi.Row{Period: week, Metric: "leads", Value: 1, File: "weekly.csv", Line: 2})
		require.NoError(t, st.ReplaceKPI(ctx, ws.Profile.Workspace, bad, time.Now()))
		_, err = reg.Find(ctx, team)
		require.ErrorContains(t, err, "workspace meccanica_rossi is set aside until its profile or data is fixed")
		require.ErrorContains(t, err, "weekly.csv:2")
		require.Len(t, reg.SetAside(), 1)
		ok, err := reg.Find(ctx, store.WorkspaceKey{SlackTeam: other.Profile.Slack.Team})
		require.NoError(t, err, "the other company keeps working")
		require.Equal(t, "forno_bianchi", ok.Profile.Workspace)

		// fixed: found again
		require.NoError(t, st.ReplaceKPI(ctx, ws.Profile.Workspace, rows, time.Now()))
		fixed, err := reg.Find(ctx, team)
		require.NoError(t, err)
		require.NotNil(t, fixed)
		require.Empty(t, reg.SetAside())

		// a new profile stored (the team changes): found by the new team only
		rec, err := st.Workspace(ctx, ws.Profile.Workspace)
		require.NoError(t, err)
		var p map[string]any
		require.NoError(t, json.Unmarshal(rec.Profile, &p))
		p["slack"] = map[string]any{"team": "T0NEW"}
		rec.Profile, err = json.Marshal(p)
		require.NoError(t, err)
		require.NoError(t, st.UpsertWorkspace(ctx, rec))
		moved, err := reg.Find(ctx, store.WorkspaceKey{SlackTeam: "T0NEW"})
		require.NoError(t, err)
		require.Equal(t, "T0NEW", moved.Profile.Slack.Team)
		gone, err := reg.Find(ctx, team)
		require.NoError(t, err)
		require.Nil(t, gone)
	})
}
