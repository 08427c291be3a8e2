package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/store"
)

// BenchInboxClaim measures one delivery's way through the inbox (received, claimed,
// finished) on an empty inbox and on one holding 100,000 handled deliveries, which fill
// writes in bulk; the claim reads only the open rows, so the two stay close.
func BenchInboxClaim(b *testing.B, newStore func(b *testing.B) store.Store, fill func(b *testing.B, s store.Store, n int)) {
	for _, handled := range []int{0, 100_000} {
		b.Run(fmt.Sprintf("handled=%d", handled), func(b *testing.B) {
			ctx := context.Background()
			s := newStore(b)
			if handled > 0 {
				fill(b, s, handled)
			}
			at := time.Now().UTC()
			i := 0
			for b.Loop() {
				i++
				_, err := s.Receive(ctx, store.Inbound{Source: "slack", Key: fmt.Sprintf("bench-%d", i), Payload: []byte(`{}`), ReceivedAt: at})
				require.NoError(b, err)
				got, err := s.ClaimInbound(ctx, "slack", at, time.Minute, 20)
				require.NoError(b, err)
				require.Len(b, got, 1)
				require.NoError(b, s.FinishInbound(ctx, got[0].ID, "", time.Time{}))
			}
		})
	}
}
