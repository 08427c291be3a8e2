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
