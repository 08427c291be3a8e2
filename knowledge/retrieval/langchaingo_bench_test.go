package retrieval_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/tmc/langchaingo/schema"
	lcpgvector "github.com/tmc/langchaingo/vectorstores/pgvector"

	"github.com/whybot/whybot/knowledge/retrieval"
	"github.com/whybot/whybot/knowledge/store/pgstore"
	"github.com/whybot/whybot/knowledge/store/storetest"
)

// localEmbedder is whybot's local embedder as langchaingo's Embedder, so both stores hold
// the same vectors.
type localEmbedder struct{ retrieval.Local }

func (e localEmbedder) EmbedDocuments(ctx context.Context, texts []string) ([][]float32, error) {
	return e.Embed(ctx, texts)
}

func (e localEmbedder) EmbedQuery(ctx context.Context, text string) ([]float32, error) {
	vs, err := e.Embed(ctx, []string{text})
	if err != nil {
		return nil, err
	}
	return vs[0], nil
}

// BenchmarkSearchBesideLangchaingo builds whybot's knowledge store and langchaingo's
// vectorstores/pgvector (with its HNSW index) over the same chunks and vectors in one
// PostgreSQL schema, then asks both the same queries: the 5 nearest chunks. whybot searches
// as `serve` does, from the workspace's graph in memory (built first: graph_build_s),
// reading the chunks found from PostgreSQL. It reports each one's p50 and p95 over 200
// queries asked of both in turn, how many times faster whybot's is, each one's throughput
// with 4 clients at once (and its ratio), and the p50 of whybot's search of PostgreSQL's
// own index (without the graph: the first searches of a workspace, or one whose graph does
// not fit the memory budget).
//
//	go test ./knowledge/retrieval/ -run x -bench BesideLangchaingo -benchtime 1x -timeout 60m
func BenchmarkSearchBesideLangchaingo(b *testing.B) {
	ctx := context.Background()
	st := storetest.Backends()[1].Open(b)
	pg := st.(*pgstore.Store)
	fill(b, st, *pgChunks)
	rows, err := pg.Pool().Query(ctx, `SELECT text FROM knowledge_chunks WHERE workspace = 'acme' ORDER BY id`)
	require.NoError(b, err)
	texts, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(b, err)
	emb := localEmbedder{}
	lc, err := lcpgvector.New(ctx, lcpgvector.WithConn(pg.Pool()), lcpgvector.WithEmbedder(emb), lcpgvector.WithVectorDimensions(emb.Model().Dim),
		lcpgvector.WithHNSWIndex(16, 64, "vector_cosine_ops"), lcpgvector.WithCollectionName("bench"))
	require.NoError(b, err)
	for i := 0; i < len(texts); i += 1000 {
		docs := make([]schema.Document, 0, 1000)
		for _, t := range texts[i:min(i+1000, len(texts))] {
			docs = append(docs, schema.Document{PageContent: t})
		}
		_, err := lc.AddDocuments(ctx, docs)
		require.NoError(b, err)
	}
	_, err = pg.Pool().Exec(ctx, `ANALYZE`)
	require.NoError(b, err)

	r := rand.New(rand.NewPCG(5, 6))
	queries := make([]string, 200)
	for i := range queries {
		queries[i] = synthetic(r, 6)
	}
	mem := retrieval.NewMemory(1<<30, nil)
	idx := retrieval.New(st, emb.Local).WithMemory(mem)
	built := warm(b, idx, mem)
	ours := func(q string) {
		v, err := emb.EmbedQuery(ctx, q)
		require.NoError(b, err)
		_, err = idx.SearchVector(ctx, "acme", v, 5)
		require.NoError(b, err)
	}
	db := func(q string) {
		v, err := emb.EmbedQuery(ctx, q)
		require.NoError(b, err)
		_, err = st.SearchVector(ctx, "acme", emb.Model(), v, 5)
		require.NoError(b, err)
	}
	theirs := func(q string) {
		_, err := lc.SimilaritySearch(ctx, q, 5)
		require.NoError(b, err)
	}
	b.ResetTimer()
	for b.Loop() {
		lo, ll := interleaved(queries, ours, theirs)
		b.ReportMetric(percentile(lo, 50), "whybot_p50_ms")
		b.ReportMetric(percentile(lo, 95), "whybot_p95_ms")
		b.ReportMetric(percentile(ll, 50), "langchaingo_p50_ms")
		b.ReportMetric(percentile(ll, 95), "langchaingo_p95_ms")
		b.ReportMetric(percentile(ll, 50)/percentile(lo, 50), "times_faster_p50")
		ld, _ := interleaved(queries, db, func(string) {})
		b.ReportMetric(percentile(ld, 50), "whybot_db_p50_ms")
		b.ReportMetric(percentile(ll, 50)/percentile(ld, 50), "db_times_faster_p50")
		b.ReportMetric(built.Seconds(), "graph_build_s")
		qo, ql := throughput(4, 100, r, ours), throughput(4, 25, r, theirs)
		b.ReportMetric(qo, "whybot_qps_4_clients")
		b.ReportMetric(ql, "langchaingo_qps_4_clients")
		b.ReportMetric(qo/ql, "times_faster_4_clients")
	}
}

// interleaved times one search of each query by a and by b, taking turns (a first on even
// queries, b first on odd ones) so that a slow spell of a shared machine falls on both, after
// a warm-up of ten queries each.
func interleaved(queries []string, a, b func(string)) (la, lb []time.Duration) {
	for _, q := range queries[:10] {
		a(q)
		b(q)
	}
	timed := func(search func(string), q string, into *[]time.Duration) {
		start := time.Now()
		search(q)
		*into = append(*into, time.Since(start))
	}
	for i, q := range queries {
		if i%2 == 0 {
			timed(a, q, &la)
			timed(b, q, &lb)
		} else {
			timed(b, q, &lb)
			timed(a, q, &la)
		}
	}
	return la, lb
}

// percentile is the p-th percentile of the latencies, in milliseconds.
func percentile(lat []time.Duration, p int) float64 {
	lat = slices.Sorted(slices.Values(lat))
	return float64(lat[len(lat)*p/100].Microseconds()) / 1000
}

// throughput is the searches per second of clients searching at once, each n times.
func throughput(clients, n int, r *rand.Rand, search func(string)) float64 {
	qs := make([][]string, clients)
	for c := range qs {
		for range n {
			qs[c] = append(qs[c], synthetic(r, 6))
		}
	}
	start := time.Now()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for _, q := range qs[c] {
				search(q)
			}
		})
	}
	wg.Wait()
	return float64(clients*n) / time.Since(start).Seconds()
}
