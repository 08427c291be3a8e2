package storetest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/store"
)

// runKnowledge checks knowledge chunks: hybrid search, isolation, the embedder recorded.
func runKnowledge(t *testing.T, newStore func(t *testing.T) store.Store) {
	setup := func(t *testing.T) *bundle { return setupStore(t, newStore) }

	t.Run("KnowledgeSearch", func(t *testing.T) { t.Parallel(); knowledgeSearch(t, setup(t)) })

	t.Run("KnowledgeIsolation", func(t *testing.T) { t.Parallel(); knowledgeIsolation(t, setup(t)) })

	t.Run("KnowledgeModelMismatch", func(t *testing.T) { t.Parallel(); knowledgeModelMismatch(t, setup(t)) })

	t.Run("KnowledgeVectors", func(t *testing.T) { t.Parallel(); knowledgeVectors(t, setup(t)) })
}

// scanned is what ScanVectors read: each chunk's text (by id) and whether its vector came.
func scanned(t *testing.T, s store.Store, ws string, m store.EmbeddingModel, since int64) (map[int64][]float32, int64) {
	t.Helper()
	out := map[int64][]float32{}
	var last int64
	rev, err := s.ScanVectors(ctx, ws, m, since, func(id int64, v []float32) error {
		require.Greater(t, id, last, "ids ascending")
		last = id
		out[id] = v
		return nil
	})
	require.NoError(t, err)
	return out, rev
}

func knowledgeVectors(t *testing.T, b *bundle) {
	none, rev := scanned(t, b.s, "acme", local, 0)
	require.Empty(t, none)
	require.Zero(t, rev, "nothing indexed: revision 0")
	knowledge(t, b.s, "acme", "doc:a.md", store.KindDocument, local, "alpha text", "beta text")
	knowledge(t, b.s, "beta", "doc:z.md", store.KindDocument, local, "zeta text")
	all, rev1 := scanned(t, b.s, "acme", local, 0)
	require.Len(t, all, 2, "only acme's chunks")
	chunks, err := b.s.Chunks(ctx, "acme")
	require.NoError(t, err)
	for _, c := range chunks {
		require.InDelta(t, 1, dot(all[c.ID], testVector(c.Text, 256)), 1e-5, "the stored vector of %q", c.Text)
	}
	other, _ := scanned(t, b.s, "acme", store.EmbeddingModel{Name: "ollama:other-256", Dim: 256}, 0)
	require.Empty(t, other, "another model's vectors are not these")

	knowledge(t, b.s, "acme", "doc:b.md", store.KindDocument, local, "gamma text")
	delta, rev2 := scanned(t, b.s, "acme", local, rev1)
	require.Greater(t, rev2, rev1)
	require.Len(t, delta, 3, "every id is listed")
	var fresh int
	for id, v := range delta {
		if v != nil {
			fresh++
			require.NotContains(t, all, id, "only the new chunk's vector is read again")
		}
	}
	require.Equal(t, 1, fresh)

	ids := make([]int64, 0, len(delta))
	for id := range delta {
		ids = append(ids, id)
	}
	zeta, _, err := b.s.ChunksByID(ctx, "beta", nil)
	require.NoError(t, err)
	require.Empty(t, zeta)
	got, rev, err := b.s.ChunksByID(ctx, "acme", append(ids, 1_000_000))
	require.NoError(t, err)
	require.Len(t, got, 3)
	require.Equal(t, rev2, rev, "read with the revision")
	got, _, err = b.s.ChunksByID(ctx, "beta", ids)
	require.NoError(t, err)
	require.Empty(t, got, "another workspace's ids are not beta's chunks")

	_, err = b.s.RemoveSource(ctx, "acme", "doc:a.md")
	require.NoError(t, err)
	left, rev3 := scanned(t, b.s, "acme", local, rev2)
	require.Greater(t, rev3, rev2)
	require.Len(t, left, 1, "the removed chunks are not listed")
	_, rev, err = b.s.ChunksByID(ctx, "acme", ids)
	require.NoError(t, err)
	require.Equal(t, rev3, rev)

	chunks, err = b.s.Chunks(ctx, "acme")
	require.NoError(t, err)
	emb := map[int64][]float32{}
	for _, c := range chunks {
		emb[c.ID] = testVector(c.Text+" again", 256)
	}
	require.NoError(t, b.s.Reembed(ctx, "acme", local, emb))
	again, rev4 := scanned(t, b.s, "acme", local, rev3)
	require.Greater(t, rev4, rev3)
	for id, v := range again {
		require.InDelta(t, 1, dot(v, emb[id]), 1e-5, "a re-embedded vector is read again")
	}
}

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// knowledge stores a source's chunks, with test vectors.
func knowledge(t *testing.T, s store.Store, ws, source, kind string, m store.EmbeddingModel, texts ...string) {
	t.Helper()
	chunks := make([]store.Chunk, len(texts))
	for i, text := range texts {
		chunks[i] = store.Chunk{Title: source, Text: text, Language: "en", Position: i, Embedding: testVector(text, m.Dim), CreatedAt: now}
	}
	require.NoError(t, s.ReplaceSource(ctx, ws, store.Source{Source: source, Kind: kind, Title: source, Hash: "h", UpdatedAt: now}, m, chunks))
}

// local is the suite's embedding model.
var local = store.EmbeddingModel{Name: "test", Dim: 256}

func knowledgeSearch(t *testing.T, b *bundle) {
	knowledge(t, b.s, "acme", "doc:brand.md", store.KindDocument, local,
		"Our brand voice is warm and direct; never promise discounts.",
		"Leads from trade fairs convert best when called within two days.")
	knowledge(t, b.s, "acme", "glossary", store.KindGlossary, local, "SQL means sales qualified lead.")
	srcs, err := b.s.Sources(ctx, "acme")
	require.NoError(t, err)
	require.Len(t, srcs, 2)
	require.Equal(t, "doc:brand.md", srcs[0].Source)
	require.Equal(t, 2, srcs[0].Chunks)

	for _, evil := range []string{`"); DROP TABLE knowledge_chunks; --`, `lead* NEAR(a b) OR "x`, `'&|!():*`, `   `} {
		_, err := b.s.SearchText(ctx, "acme", evil, 5)
		require.NoError(t, err, "query text is data, never FTS or SQL syntax: %q", evil)
	}
	hits, err := b.s.SearchText(ctx, "acme", "who should call the leads from the fair?", 5)
	require.NoError(t, err)
	require.NotEmpty(t, hits)
	require.Contains(t, hits[0].Text, "trade fairs", "stemming matches fair/fairs and call/called")

	q := "Leads from trade fairs convert best when called within two days."
	vhits, err := b.s.SearchVector(ctx, "acme", local, testVector(q, 256), 2)
	require.NoError(t, err)
	require.Len(t, vhits, 2)
	require.Equal(t, q, vhits[0].Text)
	require.InDelta(t, 1, vhits[0].Score, 1e-4, "cosine similarity of a vector with itself")
	require.Greater(t, vhits[0].Score, vhits[1].Score)

	// replacing a source swaps its chunks; removing it deletes them from both indexes
	knowledge(t, b.s, "acme", "doc:brand.md", store.KindDocument, local, "Brand voice: warm.")
	chunks, err := b.s.Chunks(ctx, "acme")
	require.NoError(t, err)
	require.Len(t, chunks, 2)
	n, err := b.s.RemoveSource(ctx, "acme", "doc:brand.md")
	require.NoError(t, err)
	require.Equal(t, 1, n)
	hits, err = b.s.SearchText(ctx, "acme", "brand voice warm", 5)
	require.NoError(t, err)
	require.Empty(t, hits)
	vhits, err = b.s.SearchVector(ctx, "acme", local, testVector("Brand voice: warm.", 256), 5)
	require.NoError(t, err)
	require.Len(t, vhits, 1)
	require.Equal(t, "glossary", vhits[0].Source)
	_, err = b.s.RemoveSource(ctx, "acme", "doc:brand.md")
	require.ErrorIs(t, err, store.ErrNotFound)
}

func knowledgeIsolation(t *testing.T, b *bundle) {
	secret := "Beta's confidential pricing playbook: margin floor 42 percent."
	knowledge(t, b.s, "beta", "doc:pricing.md", store.KindDocument, local, secret)
	knowledge(t, b.s, "acme", "doc:voice.md", store.KindDocument, local, "Acme speaks plainly.")
	hits, err := b.s.SearchText(ctx, "acme", "confidential pricing playbook margin", 10)
	require.NoError(t, err)
	require.Empty(t, hits)
	vhits, err := b.s.SearchVector(ctx, "acme", local, testVector(secret, 256), 10)
	require.NoError(t, err)
	for _, h := range vhits {
		require.Equal(t, "acme", h.Workspace)
		require.NotContains(t, h.Text, "confidential")
	}
	srcs, err := b.s.Sources(ctx, "acme")
	require.NoError(t, err)
	require.Len(t, srcs, 1)
	_, err = b.s.RemoveSource(ctx, "acme", "doc:pricing.md")
	require.ErrorIs(t, err, store.ErrNotFound)
	chunks, err := b.s.Chunks(ctx, "beta")
	require.NoError(t, err)
	require.Len(t, chunks, 1, "beta's knowledge is untouched")
}

func knowledgeModelMismatch(t *testing.T, b *bundle) {
	knowledge(t, b.s, "acme", "doc:a.md", store.KindDocument, local, "alpha text", "beta text")
	other := store.EmbeddingModel{Name: "openai:text-embedding-3-small", Dim: 512}
	chunk := store.Chunk{Text: "x", Language: "en", Embedding: testVector("x", 512), CreatedAt: now}
	err := b.s.ReplaceSource(ctx, "acme", store.Source{Source: "doc:b.md", Kind: store.KindDocument, UpdatedAt: now}, other, []store.Chunk{chunk})
	var mm *store.ModelMismatchError
	require.ErrorAs(t, err, &mm)
	require.Contains(t, err.Error(), "whybot knowledge reindex")
	_, err = b.s.SearchVector(ctx, "acme", other, testVector("x", 512), 3)
	require.ErrorAs(t, err, &mm)
	sameDim := store.EmbeddingModel{Name: "ollama:other-256", Dim: 256}
	hits, err := b.s.SearchVector(ctx, "acme", sameDim, testVector("alpha text", 256), 3)
	require.ErrorAs(t, err, &mm, "vectors of the same size from another model are not comparable")
	require.Empty(t, hits)
	srcs, err := b.s.Sources(ctx, "acme")
	require.NoError(t, err)
	require.Len(t, srcs, 1, "nothing half-written")

	// reindex: new embeddings for every chunk, then the new model searches
	chunks, err := b.s.Chunks(ctx, "acme")
	require.NoError(t, err)
	emb := map[int64][]float32{}
	for _, c := range chunks {
		emb[c.ID] = testVector(c.Text, 512)
	}
	require.NoError(t, b.s.Reembed(ctx, "acme", other, emb))
	m, ok, err := b.s.KnowledgeModel(ctx, "acme")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, other, m)
	hits, err = b.s.SearchVector(ctx, "acme", other, testVector("beta text", 512), 1)
	require.NoError(t, err)
	require.Equal(t, "beta text", hits[0].Text)
	_, err = b.s.SearchVector(ctx, "acme", local, testVector("beta text", 256), 1)
	require.ErrorAs(t, err, &mm)
}
