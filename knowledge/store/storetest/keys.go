package storetest

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/store"
)

// runKeys checks delivery keys and reminders recorded once.
func runKeys(t *testing.T, newStore func(t *testing.T) store.Store) {
	setup := func(t *testing.T) *bundle { return setupStore(t, newStore) }

	t.Run("DeliveryKeysOnce", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		var wg sync.WaitGroup
		firsts := make([]bool, 6)
		for i := range firsts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var err error
				firsts[i], err = b.s.FirstSeen(ctx, "acme", "slack:Ev123", now)
				require.NoError(t, err)
			}()
		}
		wg.Wait()
		n := 0
		for _, f := range firsts {
			if f {
				n++
			}
		}
		require.Equal(t, 1, n, "exactly one delivery is first")
		first, err := b.s.FirstSeen(ctx, "beta", "slack:Ev123", now)
		require.NoError(t, err)
		require.True(t, first, "keys are per workspace")
	})

	t.Run("RemindersOncePerLevel", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		withDraft(t, b.s, "acme", "t1", "d1")
		ok, err := b.s.MarkReminded(ctx, "acme", "d1", 1, now)
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = b.s.MarkReminded(ctx, "acme", "d1", 1, now)
		require.NoError(t, err)
		require.False(t, ok)
		ok, err = b.s.MarkReminded(ctx, "acme", "d1", 2, now)
		require.NoError(t, err)
		require.True(t, ok)
		_, err = b.s.MarkReminded(ctx, "beta", "d1", 1, now)
		require.Error(t, err, "beta has no draft d1")
	})
}
