package sqlitestore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/sqlitestore"
	"github.com/whybot/whybot/knowledge/store/storetest"
)

// BenchmarkInboxClaim: a delivery through the inbox, empty and after 100,000 handled ones.
//
//	go test -run XXX -bench InboxClaim ./knowledge/store/pgstore/ ./knowledge/store/sqlitestore/
func BenchmarkInboxClaim(b *testing.B) {
	var path string
	storetest.BenchInboxClaim(b, func(b *testing.B) store.Store {
		ctx := context.Background()
		path = filepath.Join(b.TempDir(), "whybot.db")
		s, err := sqlitestore.Open(ctx, path)
		require.NoError(b, err)
		b.Cleanup(func() { require.NoError(b, s.Close()) })
		require.NoError(b, s.Migrate(ctx, nil))
		return s
	}, func(b *testing.B, _ store.Store, n int) {
		db, err := sql.Open("sqlite", path)
		require.NoError(b, err)
		defer db.Close()
		_, err = db.Exec(`WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < ?)
			INSERT INTO inbox (source, key, payload, state, attempts, received_at)
			SELECT 'slack', 'old-' || i, '{}', 'done', 1, '2026-01-01T00:00:00.000000000Z' FROM g`, n)
		require.NoError(b, err) // no ANALYZE: the embedded store runs none, so the planner has no statistics
	})
}
