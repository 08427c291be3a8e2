package retrieval_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"
	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/retrieval"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/pgstore"
	"github.com/whybot/whybot/knowledge/store/storetest"
)

var vocab = strings.Fields(`lead leads qualificati qualified vendite sales fiera fair richiamare call campagna campaign
	facebook google linkedin newsletter margine margin sconto discount cliente customer costo cost acquisizione acquisition
	obiettivo goal marchio brand tono voice prezzo price listino catalogue ordine order consegna delivery ricambi spare
	parts macchina machine officina workshop preventivo quote settimana week mese month trimestre quarter budget spesa
	spend conversione conversion traffico traffic sito website modulo form telefonata phone export estero abroad`)

// lexicon is the benchmark corpus's vocabulary: the domain words above, then 4,000 more
// made-up words; words are drawn with a Zipf distribution (s = 1.1), as in real text,
// so a few words are in most chunks and most words in few.
var lexicon = func() []string {
	out := slices.Clone(vocab)
	syll := []string{"ba", "ce", "di", "fo", "gu", "la", "me", "ni", "po", "ru", "sa", "te", "vi", "zo"}
	for i := 0; len(out) < len(vocab)+4000; i++ {
		out = append(out, syll[i%14]+syll[(i/14)%14]+syll[(i/196)%14]+fmt.Sprint(i/2744))
	}
	return out
}()

func synthetic(r *rand.Rand, words int) string {
	z := rand.NewZipf(r, 1.1, 1, uint64(len(lexicon)-1))
	w := make([]string, words)
	for i := range w {
		w[i] = lexicon[z.Uint64()]
	}
	return strings.Join(w, " ") + "."
}

// fill stores n chunks of synthetic text in a workspace (and a tenth as many in a second
// one, so the workspace filter has work to do), embedded with the local embedder, then
// refreshes the planner's statistics as autovacuum would.
func fill(b *testing.B, st store.Store, n int) {
	ctx := context.Background()
	emb := retrieval.Local{}
	r := rand.New(rand.NewPCG(1, 2))
	for _, ws := range []string{"acme", "other"} {
		require.NoError(b, st.UpsertWorkspace(ctx, store.Workspace{ID: ws, Company: ws, Profile: json.RawMessage(`{}`), UpdatedAt: time.Now()}))
		const per = 500
		count := n
		if ws == "other" {
			count = n / 10
		}
		for src := 0; src < count/per; src++ {
			texts := make([]string, per)
			for i := range texts {
				texts[i] = synthetic(r, 40)
			}
			vs, err := emb.Embed(ctx, texts)
			require.NoError(b, err)
			chunks := make([]store.Chunk, per)
			for i := range chunks {
				chunks[i] = store.Chunk{Title: "doc", Text: texts[i], Language: "it", Position: i, Embedding: vs[i], CreatedAt: time.Now()}
			}
			require.NoError(b, st.ReplaceSource(ctx, ws, store.Source{Source: fmt.Sprintf("doc:%d.md", src), Kind: store.KindDocument, UpdatedAt: time.Now()}, emb.Model(), chunks))
		}
	}
	if pg, ok := st.(*pgstore.Store); ok {
		_, err := pg.Pool().Exec(ctx, `ANALYZE knowledge_chunks`)
		require.NoError(b, err)
	}
}

var pgChunks = flag.Int("search-chunks", 100_000, "BenchmarkSearch: chunks in the PostgreSQL corpus")

// BenchmarkSearch measures a whole hybrid search (embed the query, vector and full-text
// search at once, fusion) as `serve` runs it, with the workspace's graph in memory
// (retrieval.Memory), and reports its p50 and p95 latency, the p95 of the vector search
// alone (20 nearest chunks) from the graph and from the store's own index (PostgreSQL's
// HNSW, SQLite's exact vec0 scan), the recall@5 of both against an exact cosine scan, and
// the graph's build time and size:
//
//	go test -run x -bench 'Search$' -benchtime 300x -timeout 40m ./knowledge/retrieval/
func BenchmarkSearch(b *testing.B) {
	sizes := map[string]int{"sqlite": 10_000, "postgres": *pgChunks}
	for _, be := range storetest.Backends() {
		n := sizes[be.Name]
		b.Run(fmt.Sprintf("%s/%d", be.Name, n), func(b *testing.B) {
			st := be.Open(b)
			fill(b, st, n)
			mem := retrieval.NewMemory(1<<30, nil)
			idx := retrieval.New(st, retrieval.Local{}).WithMemory(mem)
			built := warm(b, idx, mem)
			r := rand.New(rand.NewPCG(3, 4))
			ctx := context.Background()
			emb := retrieval.Local{}
			var lat, vlat, slat []time.Duration
			var found, dbFound, wanted int
			b.ResetTimer()
			for b.Loop() {
				q := synthetic(r, 6)
				start := time.Now()
				res, err := idx.Search(ctx, "acme", q, 5)
				lat = append(lat, time.Since(start))
				require.NoError(b, err)
				require.NotEmpty(b, res)
				v, err := emb.Embed(ctx, []string{q})
				require.NoError(b, err)
				start = time.Now()
				_, err = idx.SearchVector(ctx, "acme", v[0], 20)
				vlat = append(vlat, time.Since(start))
				require.NoError(b, err)
				start = time.Now()
				_, err = st.SearchVector(ctx, "acme", emb.Model(), v[0], 20)
				slat = append(slat, time.Since(start))
				require.NoError(b, err)
				b.StopTimer()
				truth := exact5(b, st, emb.Model(), v[0])
				found += overlap(b, truth, func() ([]store.Hit, error) { return idx.SearchVector(ctx, "acme", v[0], 5) })
				dbFound += overlap(b, truth, func() ([]store.Hit, error) { return st.SearchVector(ctx, "acme", emb.Model(), v[0], 5) })
				wanted += len(truth)
				b.StartTimer()
			}
			b.ReportMetric(float64(found)/float64(wanted), "recall@5")
			b.ReportMetric(float64(dbFound)/float64(wanted), "db_recall@5")
			b.ReportMetric(percentile(lat, 50), "p50_ms")
			b.ReportMetric(percentile(lat, 95), "p95_ms")
			b.ReportMetric(percentile(vlat, 95), "vector_p95_ms")
			b.ReportMetric(percentile(slat, 95), "db_vector_p95_ms")
			b.ReportMetric(built.Seconds(), "graph_build_s")
			b.ReportMetric(float64(mem.Used())/(1<<20), "graph_MB")
		})
	}
}

// warm makes the index build the workspace's graph and waits for it; it returns how long
// that took.
func warm(b *testing.B, idx *retrieval.Index, mem *retrieval.Memory) time.Duration {
	ctx := context.Background()
	v, err := retrieval.Local{}.Embed(ctx, []string{"lead fiera"})
	require.NoError(b, err)
	start := time.Now()
	_, err = idx.SearchVector(ctx, "acme", v[0], 5)
	require.NoError(b, err)
	mem.Wait()
	require.Positive(b, mem.Used(), "the graph is in memory")
	return time.Since(start)
}

func overlap(b *testing.B, truth []int64, search func() ([]store.Hit, error)) int {
	hits, err := search()
	require.NoError(b, err)
	n := 0
	for _, h := range hits {
		if slices.Contains(truth, h.ID) {
			n++
		}
	}
	return n
}

// exact5 is the 5 chunks nearest to v by an exact cosine scan: PostgreSQL with its indexes
// off, SQLite's vec0 (which always scans).
func exact5(b *testing.B, st store.Store, m store.EmbeddingModel, v []float32) []int64 {
	ctx := context.Background()
	pg, ok := st.(*pgstore.Store)
	if !ok {
		hits, err := st.SearchVector(ctx, "acme", m, v, 5)
		require.NoError(b, err)
		ids := make([]int64, len(hits))
		for i, h := range hits {
			ids[i] = h.ID
		}
		return ids
	}
	tx, err := pg.Pool().Begin(ctx)
	require.NoError(b, err)
	defer tx.Rollback(ctx)
	_, err = tx.Exec(ctx, `SET LOCAL enable_indexscan = off`)
	require.NoError(b, err)
	typ := fmt.Sprintf("vector(%d)", m.Dim)
	rows, err := tx.Query(ctx, `SELECT id FROM knowledge_chunks WHERE workspace = 'acme' AND dim = $2
		ORDER BY embedding::`+typ+` <=> $1::`+typ+` LIMIT 5`, pgvector.NewVector(v), m.Dim)
	require.NoError(b, err)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	require.NoError(b, err)
	return ids
}
