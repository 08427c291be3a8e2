// Package backend picks the store from the configuration: DATABASE_URL empty → the embedded
// SQLite file; postgres:// or postgresql:// → PostgreSQL; anything else is an error that
// lists the valid choices.
package backend

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/pgstore"
	"github.com/whybot/whybot/knowledge/store/sqlitestore"
)

// DB is a store with its schema management.
type DB interface {
	store.Store
	Migrate(ctx context.Context, log *slog.Logger) error
	SchemaStatus(ctx context.Context) (store.Schema, error)
}

var (
	_ DB = (*sqlitestore.Store)(nil)
	_ DB = (*pgstore.Store)(nil)
)

// Kind names the backend a DATABASE_URL selects, or fails saying what is accepted.
func Kind(databaseURL string) (string, error) {
	if databaseURL == "" {
		return "sqlite", nil
	}
	u, err := url.Parse(databaseURL)
	if err != nil || u.Scheme == "" {
		return "", fmt.Errorf("DATABASE_URL is not a URL: leave it empty for the embedded SQLite file, or use postgres://USER:PASSWORD@HOST:5432/DB")
	}
	switch strings.ToLower(u.Scheme) {
	case "postgres", "postgresql":
		return "postgres", nil
	}
	return "", fmt.Errorf("DATABASE_URL scheme %q is not supported: use postgres:// (or postgresql://) for PostgreSQL, or leave DATABASE_URL empty for the embedded SQLite file (set its path with --db or WHYBOT_DB)", u.Scheme)
}

// Open opens the store DATABASE_URL selects (sqlitePath for the embedded default). It
// does not migrate.
func Open(ctx context.Context, databaseURL, sqlitePath string) (DB, error) {
	kind, err := Kind(databaseURL)
	if err != nil {
		return nil, err
	}
	if kind == "postgres" {
		return pgstore.Open(ctx, databaseURL)
	}
	return sqlitestore.Open(ctx, sqlitePath)
}

// Ready opens the store and checks its schema. The embedded SQLite file migrates itself when
// it is older than the binary (the zero-set-up default); PostgreSQL never does: shared by
// replicas, it is migrated by one explicit `whybot migrate up`. A schema newer than the
// binary is refused on both.
func Ready(ctx context.Context, databaseURL, sqlitePath string, log *slog.Logger) (DB, error) {
	db, err := Open(ctx, databaseURL, sqlitePath)
	if err != nil {
		return nil, err
	}
	st, err := db.SchemaStatus(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	if st.Backend == "sqlite" && st.Current < st.Latest {
		if err := db.Migrate(ctx, log); err != nil {
			db.Close()
			return nil, err
		}
		return db, nil
	}
	if err := st.Check(); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}
