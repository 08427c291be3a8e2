// Package pgstore is the PostgreSQL backend of store.Store for running at scale: many
// replicas on one database through a pgx connection pool, pgvector for knowledge search
// (HNSW cosine indexes) and Postgres full text, and River for durable jobs. Migrations are
// embedded and applied by Migrate (`whybot migrate up`), never by Open.
package pgstore

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	pgxvec "github.com/pgvector/pgvector-go/pgx"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/whybot/whybot/knowledge/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a store.Store on PostgreSQL.
type Store struct {
	pool  *pgxpool.Pool
	river *river.Client[pgx.Tx] // insert-only: enqueues jobs inside the store's transactions
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at url. It registers pgvector's types on every connection
// once the extension exists, and changes nothing in the schema: call Migrate.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	// knowledge search settings for every connection (pgvector ≥ 0.8): keep walking the HNSW
	// graph until enough rows pass the workspace filter, with a candidate list of 400 (the
	// recall a search needs: see SearchVector)
	for k, v := range map[string]string{"hnsw.iterative_scan": "relaxed_order", "hnsw.ef_search": strconv.Itoa(efSearch)} {
		if _, set := cfg.ConnConfig.RuntimeParams[k]; !set {
			cfg.ConnConfig.RuntimeParams[k] = v
		}
	}
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		var has bool
		if err := c.QueryRow(ctx, `SELECT to_regtype('vector') IS NOT NULL`).Scan(&has); err != nil {
			return err
		}
		if !has {
			return nil // not migrated yet: Migrate creates the extension, then resets the pool
		}
		return pgxvec.RegisterTypes(ctx, c)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to PostgreSQL %s@%s:%d/%s: %w", cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database, err)
	}
	rc, err := river.NewClient(riverpgxv5.New(pool), &river.Config{SkipUnknownJobCheck: true})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("create job client: %w", err)
	}
	return &Store{pool: pool, river: rc}, nil
}

// Pool exposes the connection pool (River workers, benchmarks, tests).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Close closes the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

func (s *Store) provider(log *slog.Logger) (*goose.Provider, *sql.DB, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, nil, err
	}
	db := stdlib.OpenDBFromPool(s.pool)
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, nil, err
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true), goose.WithSessionLocker(locker)}
	if log != nil {
		opts = append(opts, goose.WithSlog(log))
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub, opts...)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return p, db, nil
}

// Migrate applies whybot's pending migrations and River's, under an advisory lock so
// replicas starting together do not race.
func (s *Store) Migrate(ctx context.Context, log *slog.Logger) error {
	p, db, err := s.provider(log)
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	defer db.Close()
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate postgres: %w", err)
	}
	s.pool.Reset() // new connections register the vector type
	if err := s.EnsureSearchIndexes(ctx); err != nil {
		return fmt.Errorf("search indexes: %w", err)
	}
	m, err := rivermigrate.New(riverpgxv5.New(s.pool), &rivermigrate.Config{Logger: log})
	if err != nil {
		return fmt.Errorf("load job migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate job tables: %w", err)
	}
	return nil
}

// SchemaStatus reports the database's version, the newest version this binary knows, and
// whether River's job tables need migrating.
func (s *Store) SchemaStatus(ctx context.Context) (store.Schema, error) {
	st := store.Schema{Backend: "postgres"}
	p, db, err := s.provider(nil)
	if err != nil {
		return st, err
	}
	defer db.Close()
	st.Current, err = p.GetDBVersion(ctx)
	if err != nil {
		return st, fmt.Errorf("read schema version: %w", err)
	}
	if srcs := p.ListSources(); len(srcs) > 0 {
		st.Latest = srcs[len(srcs)-1].Version
	}
	m, err := rivermigrate.New(riverpgxv5.New(s.pool), nil)
	if err != nil {
		return st, err
	}
	res, err := m.Validate(ctx, nil)
	if err != nil {
		return st, fmt.Errorf("check job tables: %w", err)
	}
	if !res.OK {
		st.Pending = append(st.Pending, "river job tables")
	}
	return st, nil
}

func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

func jsonOr(raw json.RawMessage, def string) string {
	if len(raw) == 0 {
		return def
	}
	return string(raw)
}
