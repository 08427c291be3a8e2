package pgstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"
	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/pgstore"
)

var bulkModel = store.EmbeddingModel{Name: "test", Dim: 256}

// loadChunks stores n chunks with random vectors in sources of 500.
func loadChunks(t testing.TB, s *pgstore.Store, ws string, n int) {
	t.Helper()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, uint64(n)))
	for src := 0; src*500 < n; src++ {
		chunks := make([]store.Chunk, min(500, n-src*500))
		for i := range chunks {
			v := make([]float32, bulkModel.Dim)
			for j := range v {
				v[j] = r.Float32() - 0.5
			}
			chunks[i] = store.Chunk{Title: "doc", Text: fmt.Sprintf("chunk %d of %d", i, src), Language: "en", Position: i, Embedding: v, CreatedAt: time.Now()}
		}
		require.NoError(t, s.ReplaceSource(ctx, ws, store.Source{Source: fmt.Sprintf("doc:%d.md", src), Kind: store.KindDocument, UpdatedAt: time.Now()}, bulkModel, chunks))
	}
}

func hnswValid(t testing.TB, s *pgstore.Store) bool {
	t.Helper()
	var valid bool
	err := s.Pool().QueryRow(context.Background(), `SELECT i.indisvalid FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid
		WHERE c.relname = 'knowledge_hnsw_256' AND c.relnamespace = current_schema()::regnamespace`).Scan(&valid)
	if err != nil {
		return false
	}
	return valid
}

func indexDef(t testing.TB, s *pgstore.Store) string {
	t.Helper()
	var def string
	require.NoError(t, s.Pool().QueryRow(context.Background(), `SELECT indexdef FROM pg_indexes
		WHERE indexname = 'knowledge_hnsw_256' AND schemaname = current_schema()`).Scan(&def))
	return def
}

// usesIndex asserts that SearchVector's statement can read the search index (its order
// is the index's own expression): with table scans made dearer, as on a large table, its
// plan reads it.
func usesIndex(t testing.TB, s *pgstore.Store) {
	t.Helper()
	ctx := context.Background()
	tx, err := s.Pool().Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx)
	for _, q := range []string{`ANALYZE knowledge_chunks`, `SET LOCAL enable_seqscan = off`, `SET LOCAL enable_bitmapscan = off`} {
		_, err = tx.Exec(ctx, q)
		require.NoError(t, err)
	}
	rows, err := tx.Query(ctx, `EXPLAIN `+pgstore.SearchVectorSQL(256), "w", pgvector.NewVector(make([]float32, 256)), 5, 256, 100, bulkModel.Name)
	require.NoError(t, err)
	plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Contains(t, strings.Join(plan, "\n"), "Index Scan using knowledge_hnsw_256", "the search orders by the index's own expression")
}

// A bulk load builds the search index once at the end, also when the load fails; an index
// a dead replica left missing comes back with Migrate.
func TestBulkLoadRebuildsTheSearchIndex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t)
	require.NoError(t, s.UpsertWorkspace(ctx, store.Workspace{ID: "w", Company: "W", Profile: json.RawMessage(`{}`), UpdatedAt: time.Now()}))
	require.True(t, hnswValid(t, s))
	migrated := indexDef(t, s)
	require.Contains(t, migrated, "halfvec_cosine_ops")
	require.Contains(t, migrated, "m='16', ef_construction='32'")
	require.NoError(t, s.BulkLoad(ctx, 256, 1200, func(ctx context.Context) error {
		require.False(t, hnswValid(t, s), "no index maintained while loading")
		loadChunks(t, s, "w", 1200)
		return nil
	}))
	require.True(t, hnswValid(t, s), "built again")
	require.Equal(t, migrated, indexDef(t, s), "the bulk load builds the index Migrate builds")
	usesIndex(t, s)
	hits, err := s.SearchVector(ctx, "w", bulkModel, make([]float32, 256), 5)
	require.NoError(t, err)
	require.Len(t, hits, 5)

	boom := errors.New("embedder gone")
	require.ErrorIs(t, s.BulkLoad(ctx, 256, 1200, func(context.Context) error { return boom }), boom)
	require.True(t, hnswValid(t, s), "built again after a failed load")

	// 300 chunks beside the 1,200 indexed: the index is kept and maintained row by row
	require.NoError(t, s.BulkLoad(ctx, 256, 300, func(ctx context.Context) error {
		require.True(t, hnswValid(t, s), "a small load into a large index keeps it")
		return nil
	}))
	require.NoError(t, s.BulkLoad(ctx, 256, 400, func(ctx context.Context) error {
		require.False(t, hnswValid(t, s), "a third of the index or more is rebuilt")
		return nil
	}))
	require.True(t, hnswValid(t, s))

	_, err = s.Pool().Exec(ctx, `DROP INDEX knowledge_hnsw_256`) // a replica died mid-load
	require.NoError(t, err)
	require.NoError(t, s.Migrate(ctx, nil))
	require.True(t, hnswValid(t, s), "Migrate builds a missing search index")
}

// BenchmarkBulkLoad loads 10,000, 50,000 and 100,000 chunks (random 256-dimension vectors,
// sources of 500) as a bulk load, and 10,000 the ordinary way, with the HNSW index
// maintained for every row; it reports chunks per second. Building the index is most of a
// bulk load's time, and grows a little faster than the chunks.
//
//	go test -run x -bench BulkLoad -benchtime 1x -timeout 30m ./knowledge/store/pgstore/
func BenchmarkBulkLoad(b *testing.B) {
	for _, c := range []struct {
		name string
		n    int
		bulk bool
	}{{"bulk", 10_000, true}, {"bulk", 50_000, true}, {"bulk", 100_000, true}, {"row_by_row", 10_000, false}} {
		b.Run(fmt.Sprintf("%s/%d", c.name, c.n), func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				b.StopTimer()
				s := open(b)
				require.NoError(b, s.UpsertWorkspace(ctx, store.Workspace{ID: "w", Company: "W", Profile: json.RawMessage(`{}`), UpdatedAt: time.Now()}))
				b.StartTimer()
				if c.bulk {
					require.NoError(b, s.BulkLoad(ctx, 256, c.n, func(context.Context) error { loadChunks(b, s, "w", c.n); return nil }))
				} else {
					loadChunks(b, s, "w", c.n)
				}
			}
			b.ReportMetric(float64(c.n*b.N)/b.Elapsed().Seconds(), "chunks/s")
		})
	}
}
