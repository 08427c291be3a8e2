package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/whybot/whybot/knowledge/store"
)

// BulkLoad runs a large load of knowledge chunks of one embedding dimension (a first
// import, a reindex) with that dimension's HNSW index built once afterwards instead of
// maintained for every row: the index is dropped (CONCURRENTLY: searches go on, by a scan,
// meanwhile), load runs, and the index is built again (CONCURRENTLY), also when load fails.
// One bulk load per dimension runs at a time across replicas (an advisory lock). An index
// left missing or invalid by a replica that died in between is rebuilt by the next bulk
// load or by Migrate (EnsureSearchIndexes).
//
// The index is rebuilt only when the load brings at least a third as many chunks as the
// index already holds (rebuildShare): a graph is built at about 3,000 chunks a second on two
// cores and chunks are added to a live one at about 650, so adding n chunks to an index of
// more than 3n is faster row by row, and the other workspaces' searches keep their index.
func (s *Store) BulkLoad(ctx context.Context, dim, n int, load func(ctx context.Context) error) (err error) {
	if !store.DimSupported(dim) {
		return fmt.Errorf("embedding dimension %d is not supported (supported: %v)", dim, store.SupportedDims)
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("bulk load: %w", err)
	}
	defer conn.Release()
	if big, err := indexedMore(ctx, conn.Conn(), dim, rebuildShare*n); err != nil {
		return fmt.Errorf("bulk load: %w", err)
	} else if big {
		return load(ctx)
	}
	lock := `hashtextextended('whybot.hnsw:` + strconv.Itoa(dim) + `', 0)`
	if err := tryLock(ctx, conn.Conn(), lock); err != nil {
		return fmt.Errorf("bulk load: %w", err)
	}
	defer func() {
		_, uerr := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(`+lock+`)`)
		err = errors.Join(err, uerr)
	}()
	if _, err := conn.Exec(ctx, `DROP INDEX CONCURRENTLY IF EXISTS `+hnswIndex(dim)); err != nil {
		return fmt.Errorf("bulk load: drop the search index: %w", err)
	}
	lerr := load(ctx)
	// the index comes back whatever the load did: searches of every workspace need it
	if err := createHNSW(context.WithoutCancel(ctx), conn.Conn(), dim); err != nil {
		return errors.Join(lerr, fmt.Errorf("bulk load: build the search index: %w", err))
	}
	return lerr
}

// rebuildShare: an index holding more than rebuildShare times the chunks of a load is kept
// and maintained row by row (see BulkLoad).
const rebuildShare = 3

// indexedMore reports whether more than limit chunks of a dimension are stored, reading at
// most limit+1 of them.
func indexedMore(ctx context.Context, conn *pgx.Conn, dim, limit int) (bool, error) {
	var n int
	err := conn.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM knowledge_chunks WHERE dim = $1 LIMIT $2) x`, dim, limit+1).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("count the indexed chunks: %w", err)
	}
	return n > limit, nil
}

// EnsureSearchIndexes builds any HNSW index that is missing or was left invalid (a
// replica died during a bulk load).
func (s *Store) EnsureSearchIndexes(ctx context.Context) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	for _, dim := range store.SupportedDims {
		var valid *bool
		err := conn.QueryRow(ctx, `SELECT i.indisvalid FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid
			WHERE c.relname = $1 AND c.relnamespace = current_schema()::regnamespace`, hnswIndex(dim)).Scan(&valid)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if valid != nil && *valid {
			continue
		}
		if valid != nil { // invalid: drop it first
			if _, err := conn.Exec(ctx, `DROP INDEX CONCURRENTLY IF EXISTS `+hnswIndex(dim)); err != nil {
				return err
			}
		}
		if err := createHNSW(ctx, conn.Conn(), dim); err != nil {
			return fmt.Errorf("build search index %s: %w", hnswIndex(dim), err)
		}
	}
	return nil
}

// tryLock takes a session advisory lock, asking again until it is free. It never waits
// inside a statement: a session waiting in pg_advisory_lock holds a snapshot, and the
// lock holder's CREATE INDEX CONCURRENTLY would wait for it in turn (a deadlock).
func tryLock(ctx context.Context, conn *pgx.Conn, lock string) error {
	for {
		var ok bool
		if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(`+lock+`)`).Scan(&ok); err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func hnswIndex(dim int) string { return "knowledge_hnsw_" + strconv.Itoa(dim) }

// createHNSW builds the knowledge search index of a dimension: HNSW over half-precision
// copies of the vectors (cosine), m 16, ef_construction 32 (migration 15). It is the one
// definition of the index: Migrate builds it where missing, a bulk load builds it again.
// The graph is built in memory, by as many parallel workers as the server's
// max_parallel_maintenance_workers allows (set it to the database server's cores less one:
// more processes than cores contend, and on 2 cores one worker built in 10–25% less time
// than two); the connection goes back to the pool with its settings reset.
func createHNSW(ctx context.Context, conn *pgx.Conn, dim int) (err error) {
	if _, err := conn.Exec(ctx, `SET maintenance_work_mem = '512MB'`); err != nil {
		return err
	}
	defer func() {
		_, rerr := conn.Exec(context.WithoutCancel(ctx), `RESET maintenance_work_mem`)
		err = errors.Join(err, rerr)
	}()
	_, err = conn.Exec(ctx, `CREATE INDEX CONCURRENTLY IF NOT EXISTS `+hnswIndex(dim)+` ON knowledge_chunks
		USING hnsw ((`+indexedVector(dim)+`) halfvec_cosine_ops) WITH (m = 16, ef_construction = 32) WHERE dim = `+strconv.Itoa(dim))
	return err
}

// indexedVector is the expression the search index of a dimension holds; a search orders
// by the same expression to use it.
func indexedVector(dim int) string { return "embedding::halfvec(" + strconv.Itoa(dim) + ")" }
