// Package sqlitestore is the embedded default backend of store.Store: one SQLite file
// through the pure-Go modernc.org/sqlite driver, in WAL mode, with versioned migrations
// embedded in the binary (applied by Migrate, never by Open).
package sqlitestore

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/whybot/whybot/knowledge/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a store.Store on a SQLite file.
type Store struct {
	db *sql.DB
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database file at path. It does not change the schema:
// call Migrate.
func Open(ctx context.Context, path string) (*Store, error) {
	if path != ":memory:" {
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("create database folder: %w", err)
		}
	}
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(10000)", "foreign_keys(ON)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if path == ":memory:" {
		db.SetMaxOpenConns(1)
	} else {
		// Keep the connections: opening one runs the pragmas and reads the schema again,
		// which under load cost more than the queries (database/sql keeps only 2 idle by
		// default). Writers still take turns (WAL, BEGIN IMMEDIATE, busy_timeout).
		n := max(4, 2*runtime.GOMAXPROCS(0))
		db.SetMaxOpenConns(n)
		db.SetMaxIdleConns(n)
		db.SetConnMaxIdleTime(5 * time.Minute)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// DB exposes the handle for migrations and tests.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

func provider(db *sql.DB, log *slog.Logger) (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	if log != nil {
		opts = append(opts, goose.WithSlog(log))
	}
	return goose.NewProvider(goose.DialectSQLite3, db, sub, opts...)
}

// Migrate applies every pending migration.
func (s *Store) Migrate(ctx context.Context, log *slog.Logger) error {
	p, err := provider(s.db, log)
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate sqlite: %w", err)
	}
	return nil
}

// SchemaStatus reports the database's version and the newest version this binary knows.
func (s *Store) SchemaStatus(ctx context.Context) (store.Schema, error) {
	st := store.Schema{Backend: "sqlite"}
	p, err := provider(s.db, nil)
	if err != nil {
		return st, err
	}
	st.Current, err = p.GetDBVersion(ctx)
	if err != nil {
		return st, fmt.Errorf("read schema version: %w", err)
	}
	if srcs := p.ListSources(); len(srcs) > 0 {
		st.Latest = srcs[len(srcs)-1].Version
	}
	return st, nil
}

// ts is a fixed-width UTC timestamp, so that text comparisons in SQL order like times.
func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

func parseTS(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

func parseTSPtr(s sql.NullString) *time.Time {
	if !s.Valid || s.String == "" {
		return nil
	}
	t := parseTS(s.String)
	return &t
}

func jsonOr(raw json.RawMessage, def string) string {
	if len(raw) == 0 {
		return def
	}
	return string(raw)
}
