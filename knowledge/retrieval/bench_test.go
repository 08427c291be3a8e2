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
// search at once, fusion) and reports its p50 and p95 latency, the p95 of the vector
// search alone (20 nearest chunks: the HNSW index on PostgreSQL, vec0 on SQLite), and on
// PostgreSQL the vector search's recall@5 against an exact cosine scan:
//
//	go test -run x -bench 'Search$' -benchtime 300x -timeout 40m ./knowledge/retrieval/
func BenchmarkSearch(b *testing.B) {
	sizes := map[string]int{"sqlite": 10_000, "postgres": *pgChunks}
	for _, be := range storetest.Backends() {
		n := sizes[be.Name]
		b.Run(fmt.Sprintf("%s/%d", be.Name, n), func(b *testing.B) {
			st := be.Open(b)
			fill(b, st, n)
			idx := retrieval.New(st, retrieval.Local{})
			r := rand.New(rand.NewPCG(3, 4))
			ctx := context.Background()
			emb := retrieval.Local{}
			var lat, vlat []time.Duration
			found, wanted := 0, 0
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
				_, err = st.SearchVector(ctx, "acme", emb.Model(), v[0], 20)
				vlat = append(vlat, time.Since(start))
				require.NoError(b, err)
				if pg, ok := st.(*pgstore.Store); ok {
					b.StopTimer()
					f, w := recallAt5(b, pg, emb.Model(), v[0])
					found, wanted = found+f, wanted+w
					b.StartTimer()
				}
			}
			if wanted > 0 {
				b.ReportMetric(float64(found)/float64(wanted), "recall@5")
			}
			slices.Sort(lat)
			slices.Sort(vlat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
			b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95_ms")
			b.ReportMetric(float64(vlat[len(vlat)*95/100].Microseconds())/1000, "vector_p95_ms")
		})
	}
}

// recallAt5 is how many of the 5 chunks nearest to v by an exact cosine scan (indexes off)
// the vector search finds.
func recallAt5(b *testing.B, pg *pgstore.Store, m store.EmbeddingModel, v []float32) (found, wanted int) {
	ctx := context.Background()
	hits, err := pg.SearchVector(ctx, "acme", m, v, 5)
	require.NoError(b, err)
	got := map[int64]bool{}
	for _, h := range hits {
		got[h.ID] = true
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
	for _, id := range ids {
		if got[id] {
			found++
		}
	}
	return found, len(ids)
}
