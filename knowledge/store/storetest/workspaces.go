package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/store"
)

// runWorkspaces checks how a workspace is found by its keys and how its stamp follows
// changes of its profile, data files and KPI snapshot.
func runWorkspaces(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("WorkspaceStampByKey", func(t *testing.T) { t.Parallel(); workspaceStamps(t, setupStore(t, newStore)) })
}

func workspaceStamps(t *testing.T, b *bundle) {
	prof := json.RawMessage(`{"company":"Rossi","slack":{"team":"T0ROSSI"},"discord":{"guild":"2000000000000000001"}}`)
	rossi := store.Workspace{ID: "rossi", Company: "Rossi", Profile: prof, DataFiles: []string{"/d/rossi.csv"}, UpdatedAt: now}
	require.NoError(t, b.s.UpsertWorkspace(ctx, rossi))
	stamp := func(k store.WorkspaceKey) store.WorkspaceStamp {
		t.Helper()
		st, err := b.s.WorkspaceStamp(ctx, k)
		require.NoError(t, err)
		return st
	}
	first := stamp(store.WorkspaceKey{ID: "rossi"})
	require.Equal(t, "rossi", first.ID)
	require.NotEmpty(t, first.Version)
	require.Zero(t, first.Snapshot, "no KPI snapshot yet")
	require.Equal(t, first, stamp(store.WorkspaceKey{SlackTeam: "T0ROSSI"}), "found by the profile's Slack team")
	require.Equal(t, first, stamp(store.WorkspaceKey{DiscordGuild: "2000000000000000001"}), "and by its Discord server")
	for _, k := range []store.WorkspaceKey{{ID: "nope"}, {SlackTeam: "T0NOPE"}, {DiscordGuild: "1"}, {}} {
		_, err := b.s.WorkspaceStamp(ctx, k)
		require.ErrorIs(t, err, store.ErrNotFound, "%+v", k)
	}
	_, err := b.s.WorkspaceStamp(ctx, store.WorkspaceKey{SlackTeam: ""})
	require.ErrorIs(t, err, store.ErrNotFound, "the workspaces without a team are not found by an empty one")

	// the same profile stored again keeps the version; a new snapshot or profile changes the stamp
	rossi.UpdatedAt = now.Add(time.Hour)
	require.NoError(t, b.s.UpsertWorkspace(ctx, rossi))
	require.Equal(t, first, stamp(store.WorkspaceKey{ID: "rossi"}))
	per, err := kpi.ParsePeriod("2026-10")
	require.NoError(t, err)
	rows := []kpi.Row{{Period: per, Metric: "leads", Value: 78, File: "rossi.csv", Line: 2}}
	require.NoError(t, b.s.ReplaceKPI(ctx, "rossi", rows, now))
	s1 := stamp(store.WorkspaceKey{ID: "rossi"})
	require.Equal(t, first.Version, s1.Version)
	require.Positive(t, s1.Snapshot)
	require.NoError(t, b.s.ReplaceKPI(ctx, "rossi", rows, now))
	s2 := stamp(store.WorkspaceKey{ID: "rossi"})
	require.Greater(t, s2.Snapshot, s1.Snapshot, "each snapshot is a new one, the same rows and time or not")
	rossi.Profile = json.RawMessage(`{"company":"Rossi","slack":{"team":"T0OTHER"}}`)
	require.NoError(t, b.s.UpsertWorkspace(ctx, rossi))
	s3 := stamp(store.WorkspaceKey{SlackTeam: "T0OTHER"})
	require.NotEqual(t, s2.Version, s3.Version)
	_, err = b.s.WorkspaceStamp(ctx, store.WorkspaceKey{SlackTeam: "T0ROSSI"})
	require.ErrorIs(t, err, store.ErrNotFound, "the old team no longer finds it")
}
