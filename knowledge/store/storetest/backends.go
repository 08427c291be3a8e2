package storetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/pgstore"
	"github.com/whybot/whybot/knowledge/store/pgstore/pgtest"
	"github.com/whybot/whybot/knowledge/store/sqlitestore"
)

// Backend opens a fresh, migrated store of one kind for a test.
type Backend struct {
	Name string
	Open func(t testing.TB) store.Store
}

// Backends are both backends, so packages above the store can run their tests on each:
// SQLite in a temporary file, PostgreSQL in a schema of its own (TEST_DATABASE_URL).
func Backends() []Backend {
	return []Backend{
		{Name: "sqlite", Open: func(t testing.TB) store.Store {
			t.Helper()
			ctx := context.Background()
			s, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "whybot.db"))
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })
			require.NoError(t, s.Migrate(ctx, nil))
			return s
		}},
		{Name: "postgres", Open: func(t testing.TB) store.Store {
			t.Helper()
			ctx := context.Background()
			s, err := pgstore.Open(ctx, pgtest.Schema(t))
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })
			require.NoError(t, s.Migrate(ctx, nil))
			return s
		}},
	}
}

// EachBackend runs fn as a parallel subtest per backend.
func EachBackend(t *testing.T, fn func(t *testing.T, be Backend)) {
	t.Helper()
	for _, be := range Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, be)
		})
	}
}
