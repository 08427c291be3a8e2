package retrieval_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"
	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/retrieval"
	"github.com/whybot/whybot/knowledge/store/pgstore"
	"github.com/whybot/whybot/knowledge/store/pgstore/pgtest"
)

// BenchmarkGraphTradeoff shows what the search index's parameters cost on the benchmark
// corpus (the chunks of BenchmarkSearch, loaded as a first import is: COPY with the index
// dropped). The index holds half-precision vectors, as SearchVector orders by them. For
// each m / ef_construction: the time to build the index over the corpus (what a bulk load
// waits for), and for each candidate list (hnsw.ef_search) the vector search's recall@5
// against an exact cosine scan and its p50, through SearchVector; then the same for an
// IVFFlat index and its number of lists searched. whybot's are m 16, ef_construction 32 and
// a list of 600. A cheaper graph builds faster but needs a longer list for the same recall:
//
//	go test -run x -bench GraphTradeoff -benchtime 1x -timeout 60m ./knowledge/retrieval/
func BenchmarkGraphTradeoff(b *testing.B) {
	ctx := context.Background()
	base := pgtest.Schema(b)
	st := openPG(b, base, nil)
	require.NoError(b, st.BulkLoad(ctx, 256, *pgChunks, func(context.Context) error { fill(b, st, *pgChunks); return nil }))

	emb := retrieval.Local{}
	r := rand.New(rand.NewPCG(3, 4))
	queries := make([][]float32, 200)
	exact := make([][]int64, len(queries))
	for i := range queries {
		v, err := emb.Embed(ctx, []string{synthetic(r, 6)})
		require.NoError(b, err)
		queries[i] = v[0]
		exact[i] = exactNearest(b, st, v[0], 5)
	}
	hnsw := func(m, efc int) string {
		return fmt.Sprintf("hnsw ((embedding::halfvec(256)) halfvec_cosine_ops) WITH (m = %d, ef_construction = %d)", m, efc)
	}
	lists := []string{"400", "500", "600", "800"}
	for _, g := range []struct {
		name, using, param string
		values             []string
	}{
		{"hnsw_m16_efc64", hnsw(16, 64), "hnsw.ef_search", lists},
		{"hnsw_m16_efc48", hnsw(16, 48), "hnsw.ef_search", lists},
		{"hnsw_m16_efc40", hnsw(16, 40), "hnsw.ef_search", lists},
		{"hnsw_m16_efc32", hnsw(16, 32), "hnsw.ef_search", lists},
		{"hnsw_m12_efc48", hnsw(12, 48), "hnsw.ef_search", lists},
		// IVFFlat, √n lists: it builds in seconds, but a search reads a share of every chunk of
		// the dimension (all workspaces'), so it grows with them
		{"ivfflat_lists316", "ivfflat ((embedding::halfvec(256)) halfvec_cosine_ops) WITH (lists = 316)", "ivfflat.probes", []string{"40", "60", "80"}},
	} {
		b.Run(g.name, func(b *testing.B) {
			var build time.Duration
			for b.Loop() {
				build = buildIndex(b, st, g.using)
			}
			b.ReportMetric(build.Seconds(), "build_s")
			for _, v := range g.values {
				recall, p50 := searchAt(b, openPG(b, base, map[string]string{g.param: v, "ivfflat.iterative_scan": "relaxed_order"}), queries, exact)
				b.ReportMetric(recall, "recall@5/"+v)
				b.ReportMetric(float64(p50.Microseconds())/1000, "p50_ms/"+v)
			}
		})
	}
}

// openPG opens a store on the schema at base, with these settings on every connection.
func openPG(b *testing.B, base string, settings map[string]string) *pgstore.Store {
	b.Helper()
	u, err := url.Parse(base)
	require.NoError(b, err)
	q := u.Query()
	for k, v := range settings {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	st, err := pgstore.Open(context.Background(), u.String())
	require.NoError(b, err)
	b.Cleanup(func() { _ = st.Close() })
	require.NoError(b, st.Migrate(context.Background(), nil))
	return st
}

// buildIndex builds the 256-dimension search index again, USING this, as a bulk load builds
// it, and returns how long it took.
func buildIndex(b *testing.B, st *pgstore.Store, using string) time.Duration {
	b.Helper()
	ctx := context.Background()
	conn, err := st.Pool().Acquire(ctx)
	require.NoError(b, err)
	defer conn.Release()
	b.StopTimer()
	for _, q := range []string{`DROP INDEX IF EXISTS knowledge_hnsw_256`, `SET maintenance_work_mem = '512MB'`} {
		_, err := conn.Exec(ctx, q)
		require.NoError(b, err)
	}
	b.StartTimer()
	start := time.Now()
	_, err = conn.Exec(ctx, `CREATE INDEX knowledge_hnsw_256 ON knowledge_chunks USING `+using+` WHERE dim = 256`)
	took := time.Since(start)
	require.NoError(b, err)
	_, err = conn.Exec(ctx, `RESET ALL`)
	require.NoError(b, err)
	return took
}

// exactNearest is the ids of the k chunks of acme nearest to v, by an exact scan.
func exactNearest(b *testing.B, st *pgstore.Store, v []float32, k int) []int64 {
	b.Helper()
	ctx := context.Background()
	tx, err := st.Pool().Begin(ctx)
	require.NoError(b, err)
	defer tx.Rollback(ctx)
	_, err = tx.Exec(ctx, `SET LOCAL enable_indexscan = off`)
	require.NoError(b, err)
	rows, err := tx.Query(ctx, `SELECT id FROM knowledge_chunks WHERE workspace = 'acme' AND dim = 256
		ORDER BY embedding::vector(256) <=> $1::vector(256) LIMIT $2`, pgvector.NewVector(v), k)
	require.NoError(b, err)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	require.NoError(b, err)
	return ids
}

// searchAt runs the queries through SearchVector and returns the share of the exact
// nearest 5 found and the p50 latency.
func searchAt(b *testing.B, st *pgstore.Store, queries [][]float32, exact [][]int64) (float64, time.Duration) {
	b.Helper()
	ctx := context.Background()
	found, wanted := 0, 0
	lat := make([]time.Duration, 0, len(queries))
	for i, v := range queries {
		start := time.Now()
		hits, err := st.SearchVector(ctx, "acme", retrieval.Local{}.Model(), v, 5)
		lat = append(lat, time.Since(start))
		require.NoError(b, err)
		for _, h := range hits {
			if slices.Contains(exact[i], h.ID) {
				found++
			}
		}
		wanted += len(exact[i])
	}
	slices.Sort(lat)
	return float64(found) / float64(wanted), lat[len(lat)/2]
}
