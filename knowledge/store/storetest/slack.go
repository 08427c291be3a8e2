package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/store"
)

// runSlackInstalls checks the Slack installations of a multi-workspace app: one row per
// team, reinstalls, links that move, tokens deleted when a team leaves.
func runSlackInstalls(t *testing.T, newStore func(t *testing.T) store.Store) {
	setup := func(t *testing.T) *bundle { return setupStore(t, newStore) }
	install := func(team, ws, sealed string) store.SlackInstall {
		return store.SlackInstall{Team: team, TeamName: "Team " + team, Workspace: ws, BotUser: "UBOT" + team, Scopes: "chat:write", InstalledBy: "U1",
			State: store.InstallActive, KeyID: "k1", Sealed: sealed, InstalledAt: now, UpdatedAt: now}
	}

	t.Run("SlackInstallStoredAndRead", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, err := b.s.SlackInstall(ctx, "T1")
		require.ErrorIs(t, err, store.ErrNotFound)
		require.NoError(t, b.s.PutSlackInstall(ctx, install("T1", "acme", "sealed-1")))
		got, err := b.s.SlackInstall(ctx, "T1")
		require.NoError(t, err)
		require.Equal(t, "acme", got.Workspace)
		require.Equal(t, "sealed-1", got.Sealed)
		require.Equal(t, store.InstallActive, got.State)
		require.True(t, got.InstalledAt.Equal(now))
		of, err := b.s.SlackInstallFor(ctx, "acme")
		require.NoError(t, err)
		require.Equal(t, "T1", of.Team)
		_, err = b.s.SlackInstallFor(ctx, "beta")
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("SlackReinstallKeepsTheLink", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		require.NoError(t, b.s.PutSlackInstall(ctx, install("T1", "acme", "sealed-1")))
		require.NoError(t, b.s.EndSlackInstall(ctx, "T1", store.InstallUninstalled, now.Add(time.Hour)))
		gone, err := b.s.SlackInstall(ctx, "T1")
		require.NoError(t, err)
		require.Equal(t, store.InstallUninstalled, gone.State)
		require.Empty(t, gone.Sealed, "the token is deleted")
		require.Equal(t, "acme", gone.Workspace, "the link stays for a reinstall")
		again := install("T1", "", "sealed-2")
		again.InstalledAt = now.Add(2 * time.Hour)
		require.NoError(t, b.s.PutSlackInstall(ctx, again))
		got, err := b.s.SlackInstall(ctx, "T1")
		require.NoError(t, err)
		require.Equal(t, store.InstallActive, got.State)
		require.Equal(t, "sealed-2", got.Sealed)
		require.Equal(t, "acme", got.Workspace)
		require.Error(t, b.s.EndSlackInstall(ctx, "T1", store.InstallActive, now), "active is not an end")
	})

	t.Run("SlackLinkMovesTheWorkspace", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		require.NoError(t, b.s.PutSlackInstall(ctx, install("T1", "acme", "s1")))
		require.NoError(t, b.s.PutSlackInstall(ctx, install("T2", "", "s2")))
		require.NoError(t, b.s.LinkSlackInstall(ctx, "T2", "acme", now))
		of, err := b.s.SlackInstallFor(ctx, "acme")
		require.NoError(t, err)
		require.Equal(t, "T2", of.Team, "a workspace is linked to one team")
		t1, err := b.s.SlackInstall(ctx, "T1")
		require.NoError(t, err)
		require.Empty(t, t1.Workspace)
		require.NoError(t, b.s.LinkSlackInstall(ctx, "T2", "", now))
		_, err = b.s.SlackInstallFor(ctx, "acme")
		require.ErrorIs(t, err, store.ErrNotFound)
		require.ErrorIs(t, b.s.LinkSlackInstall(ctx, "T9", "acme", now), store.ErrNotFound)
		all, err := b.s.SlackInstalls(ctx)
		require.NoError(t, err)
		require.Len(t, all, 2)
		require.Equal(t, "T1", all[0].Team)
	})
}
