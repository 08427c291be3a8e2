package storetest

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/store"
)

// runInbox checks the inbox of platform deliveries: once per key, claims, leases, backoff,
// retention.
func runInbox(t *testing.T, newStore func(t *testing.T) store.Store) {
	setup := func(t *testing.T) *bundle { return setupStore(t, newStore) }

	t.Run("InboxPrunedPastRetention", func(t *testing.T) { t.Parallel(); inboxPruned(t, setup(t)) })

	t.Run("InboxOncePerKey", func(t *testing.T) { t.Parallel(); inboxOncePerKey(t, setup(t)) })
}

// inboxPruned: handled and failed deliveries past the retention window are deleted, the
// open ones stay whatever their age, and a retry inside the window is still acknowledged
// without being queued again.
func inboxPruned(t *testing.T, b *bundle) {
	recv := func(key string, at time.Time) bool {
		ok, err := b.s.Receive(ctx, store.Inbound{Source: "slack", Key: key, Payload: json.RawMessage(`{}`), ReceivedAt: at})
		require.NoError(t, err)
		return ok
	}
	old, recent := now.Add(-10*24*time.Hour), now.Add(-time.Hour)
	for _, k := range []string{"old-done", "old-failed", "old-queued"} {
		require.True(t, recv(k, old))
	}
	require.True(t, recv("recent-done", recent))
	claimed, err := b.s.ClaimInbound(ctx, "slack", now, time.Minute, 10)
	require.NoError(t, err)
	require.Len(t, claimed, 4)
	for _, in := range claimed {
		switch in.Key {
		case "old-done", "recent-done":
			require.NoError(t, b.s.FinishInbound(ctx, in.ID, "", time.Time{}))
		case "old-failed":
			for a := in.Attempts; a < store.InboxAttempts; a++ { // fail it for good
				require.NoError(t, b.s.FinishInbound(ctx, in.ID, "boom", time.Time{}))
				_, err := b.s.ClaimInbound(ctx, "slack", now, time.Minute, 10)
				require.NoError(t, err)
			}
			require.NoError(t, b.s.FinishInbound(ctx, in.ID, "boom", time.Time{}))
		case "old-queued":
			require.NoError(t, b.s.FinishInbound(ctx, in.ID, "later", now.Add(time.Hour))) // waits for its retry
		}
	}
	n, err := b.s.PruneInbox(ctx, now.Add(-7*24*time.Hour))
	require.NoError(t, err)
	require.EqualValues(t, 2, n, "the old handled and the old failed delivery")
	require.False(t, recv("recent-done", now), "a retry inside the window is still known")
	require.False(t, recv("old-queued", now), "an open delivery stays, however old")
	require.True(t, recv("old-done", now), "past the window a key is forgotten")
	n, err = b.s.PruneInbox(ctx, now.Add(-7*24*time.Hour))
	require.NoError(t, err)
	require.Zero(t, n)
}

func inboxOncePerKey(t *testing.T, b *bundle) {
	recv := func(key string) bool {
		ok, err := b.s.Receive(ctx, store.Inbound{Source: "slack", Key: key, Payload: json.RawMessage(`{"event_id":"` + key + `"}`), ReceivedAt: now})
		require.NoError(t, err)
		return ok
	}
	require.True(t, recv("Ev1"))
	require.False(t, recv("Ev1"), "a retried delivery is not queued twice")
	require.True(t, recv("Ev2"))
	require.True(t, recv("Ev3"))
	ok, err := b.s.Receive(ctx, store.Inbound{Source: "discord", Key: "Ev1", Payload: json.RawMessage(`{}`), ReceivedAt: now})
	require.NoError(t, err)
	require.True(t, ok, "keys are per platform")

	// two workers at once take disjoint deliveries
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := b.s.ClaimInbound(ctx, "slack", now, time.Minute, 10)
			require.NoError(t, err)
			mu.Lock()
			defer mu.Unlock()
			for _, in := range got {
				seen[in.ID]++
			}
		}()
	}
	wg.Wait()
	require.Len(t, seen, 3, "each platform's worker takes only its own deliveries")
	for id, n := range seen {
		require.Equal(t, 1, n, "delivery %d claimed once", id)
	}
	again, err := b.s.ClaimInbound(ctx, "slack", now.Add(time.Second), time.Minute, 10)
	require.NoError(t, err)
	require.Empty(t, again, "held by their workers")
	other, err := b.s.ClaimInbound(ctx, "discord", now, time.Minute, 10)
	require.NoError(t, err)
	require.Len(t, other, 1)
	require.Equal(t, "discord", other[0].Source)
	require.NoError(t, b.s.FinishInbound(ctx, other[0].ID, "", time.Time{}))

	// a worker that died: its deliveries come back after the lease, oldest first
	back, err := b.s.ClaimInbound(ctx, "slack", now.Add(2*time.Minute), time.Minute, 10)
	require.NoError(t, err)
	require.Len(t, back, 3)
	require.Less(t, back[0].ID, back[1].ID)
	require.Equal(t, 2, back[0].Attempts)
	require.JSONEq(t, `{"event_id":"Ev1"}`, string(back[0].Payload))

	require.NoError(t, b.s.FinishInbound(ctx, back[0].ID, "", time.Time{}))
	t3 := now.Add(3 * time.Minute)
	require.NoError(t, b.s.FinishInbound(ctx, back[1].ID, "slack is down", t3.Add(store.InboxBackoff(back[1].Attempts))))
	require.NoError(t, b.s.FinishInbound(ctx, back[2].ID, "", time.Time{}))
	got, err := b.s.ClaimInbound(ctx, "slack", t3, time.Minute, 10)
	require.NoError(t, err)
	require.Empty(t, got, "a failed delivery waits out its backoff")
	at := t3.Add(store.InboxBackoff(back[1].Attempts))
	got, err = b.s.ClaimInbound(ctx, "slack", at, time.Minute, 10)
	require.NoError(t, err)
	require.Len(t, got, 1, "only the failed one is retried, once its backoff has passed")
	require.Equal(t, "slack is down", got[0].LastError)
	for got[0].Attempts < store.InboxAttempts {
		next := at.Add(store.InboxBackoff(got[0].Attempts))
		require.NoError(t, b.s.FinishInbound(ctx, got[0].ID, "still down", next))
		early, err := b.s.ClaimInbound(ctx, "slack", next.Add(-time.Second), time.Minute, 10)
		require.NoError(t, err)
		require.Empty(t, early)
		at = next
		got, err = b.s.ClaimInbound(ctx, "slack", at, time.Minute, 10)
		require.NoError(t, err)
		require.Len(t, got, 1)
	}
	require.NoError(t, b.s.FinishInbound(ctx, got[0].ID, "gave up", at.Add(time.Minute)))
	got, err = b.s.ClaimInbound(ctx, "slack", at.Add(time.Hour), time.Minute, 10)
	require.NoError(t, err)
	require.Empty(t, got, "after the last attempt it is failed, not retried forever")
	require.False(t, recv("Ev1"), "a handled delivery's key still de-duplicates")
}
