package storetest

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/store"
)

// runDelivery checks what makes a delivery safe to handle again: a turn's reply kept
// under its message key (a second turn with the key is a conflict), and bot messages
// recorded once the platform accepted them.
func runDelivery(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("TurnReplyByKey", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		require.NoError(t, s.UpsertWorkspace(ctx, store.Workspace{ID: "acme", Company: "acme", Profile: json.RawMessage(`{}`), UpdatedAt: now}))
		_, err := s.TurnReply(ctx, "acme", "slack-message:C1:1.1")
		require.ErrorIs(t, err, store.ErrNotFound)
		th := store.Thread{Workspace: "acme", ID: "t1", Asker: "anna", Language: "it", Transport: "slack", State: store.ThreadAwaitingAnswers, CreatedAt: now, UpdatedAt: now}
		turn := store.Turn{Thread: th, New: true, Key: "slack-message:C1:1.1", Reply: json.RawMessage(`{"thread":"t1","state":"awaiting_answers"}`),
			Events: []store.Event{{Kind: store.EventQuestion, At: now, By: "anna", Data: json.RawMessage(`{"text":"why?"}`)}}}
		saved, err := s.SaveTurn(ctx, turn)
		require.NoError(t, err)
		reply, err := s.TurnReply(ctx, "acme", "slack-message:C1:1.1")
		require.NoError(t, err)
		require.JSONEq(t, `{"thread":"t1","state":"awaiting_answers"}`, string(reply))
		_, err = s.TurnReply(ctx, "beta", "slack-message:C1:1.1")
		require.ErrorIs(t, err, store.ErrNotFound, "scoped by workspace")

		// the same message again (a retried delivery that raced the first): a conflict,
		// and nothing of the second turn is written
		again := turn
		again.New, again.Thread = false, saved
		_, err = s.SaveTurn(ctx, again)
		require.ErrorIs(t, err, store.ErrConflict)
		evs, err := s.Events(ctx, "acme", "t1")
		require.NoError(t, err)
		require.Len(t, evs, 1)
		cur, err := s.Thread(ctx, "acme", "t1")
		require.NoError(t, err)
		require.Equal(t, saved.Version, cur.Version)
	})
	t.Run("ChatPostedOnce", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		_, ok, err := s.ChatPosted(ctx, "acme", "k/questions")
		require.NoError(t, err)
		require.False(t, ok)
		require.NoError(t, s.MarkChatPosted(ctx, "acme", "k/questions", "C1/1.2", now))
		require.NoError(t, s.MarkChatPosted(ctx, "acme", "k/questions", "C1/9.9", now), "a second record keeps the first")
		ref, ok, err := s.ChatPosted(ctx, "acme", "k/questions")
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, "C1/1.2", ref)
		_, ok, err = s.ChatPosted(ctx, "beta", "k/questions")
		require.NoError(t, err)
		require.False(t, ok, "scoped by workspace")
	})
}
