package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/store"
)

// runChatPeople checks the people added from chat: added, changed (who first added them
// kept), counted on the workspace's stamp.
func runChatPeople(t *testing.T, newStore func(t *testing.T) store.Store) {
	setup := func(t *testing.T) *bundle { return setupStore(t, newStore) }

	t.Run("ChatPeopleAddedChangedCounted", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		before, err := b.s.WorkspaceStamp(ctx, store.WorkspaceKey{ID: "acme"})
		require.NoError(t, err)
		p := store.ChatPerson{Workspace: "acme", Handle: "giulia", Name: "Giulia Bianchi", Role: "marketing", Slack: "U0GIULIA", AddedBy: "anna", AddedAt: now, ChangedBy: "anna", ChangedAt: now}
		require.NoError(t, b.s.PutChatPerson(ctx, p))
		later := now.Add(time.Hour)
		p.Role, p.Reviewer, p.AddedBy, p.AddedAt, p.ChangedBy, p.ChangedAt = "sales", true, "luca", later, "luca", later
		require.NoError(t, b.s.PutChatPerson(ctx, p))
		got, err := b.s.ChatPeople(ctx, "acme")
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.Equal(t, "sales", got[0].Role)
		require.True(t, got[0].Reviewer)
		require.Equal(t, "anna", got[0].AddedBy, "who first added them stays")
		require.True(t, got[0].AddedAt.Equal(now))
		require.Equal(t, "luca", got[0].ChangedBy)
		after, err := b.s.WorkspaceStamp(ctx, store.WorkspaceKey{ID: "acme"})
		require.NoError(t, err)
		require.Equal(t, before.People+2, after.People, "every change is seen by every replica's registry")
		log, err := b.s.ChatPeopleLog(ctx, "acme")
		require.NoError(t, err)
		require.Len(t, log, 2, "every addition and change")
		require.Equal(t, "added", log[0].Action)
		require.Equal(t, "anna", log[0].By)
		require.Equal(t, "marketing", log[0].Role)
		require.Equal(t, "changed", log[1].Action)
		require.Equal(t, "luca", log[1].By)
		require.True(t, log[1].Reviewer)
		require.True(t, log[1].At.Equal(later))
		none, err := b.s.ChatPeople(ctx, "beta")
		require.NoError(t, err)
		require.Empty(t, none)
		require.ErrorIs(t, b.s.PutChatPerson(ctx, store.ChatPerson{Workspace: "nope", Handle: "x", Role: "other", Slack: "U1", AddedBy: "a", AddedAt: now, ChangedBy: "a", ChangedAt: now}), store.ErrNotFound)
		require.Error(t, b.s.PutChatPerson(ctx, store.ChatPerson{Workspace: "acme", Handle: "y", Role: "other", AddedBy: "a", AddedAt: now, ChangedBy: "a", ChangedAt: now}), "a platform id is needed")
	})
}
