package retrieval_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/retrieval"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/storetest"
)

// counting is a store that counts the vector searches it answers itself.
type counting struct {
	store.Store
	searches atomic.Int32
}

func (c *counting) SearchVector(ctx context.Context, ws string, m store.EmbeddingModel, v []float32, k int) ([]store.Hit, error) {
	c.searches.Add(1)
	return c.Store.SearchVector(ctx, ws, m, v, k)
}

// addDoc stores a document's texts as chunks embedded by the local embedder.
func addDoc(t *testing.T, st store.Store, ws, source string, texts ...string) {
	t.Helper()
	ctx := context.Background()
	vs, err := retrieval.Local{}.Embed(ctx, texts)
	require.NoError(t, err)
	chunks := make([]store.Chunk, len(texts))
	for i, text := range texts {
		chunks[i] = store.Chunk{Title: source, Text: text, Language: "it", Position: i, Embedding: vs[i], CreatedAt: time.Now()}
	}
	require.NoError(t, st.ReplaceSource(ctx, ws, store.Source{Source: source, Kind: store.KindDocument, UpdatedAt: time.Now()}, retrieval.LocalModel, chunks))
}

type memSetup struct {
	st  *counting
	mem *retrieval.Memory
	idx *retrieval.Index
}

func setupMemory(t *testing.T, be storetest.Backend, budget int64, workspaces ...string) *memSetup {
	t.Helper()
	st := &counting{Store: be.Open(t)}
	for _, ws := range workspaces {
		require.NoError(t, st.UpsertWorkspace(context.Background(), store.Workspace{ID: ws, Company: ws, Profile: json.RawMessage(`{}`), UpdatedAt: time.Now()}))
	}
	mem := retrieval.NewMemory(budget, nil)
	t.Cleanup(mem.Wait)
	return &memSetup{st: st, mem: mem, idx: retrieval.New(st, retrieval.Local{}).WithMemory(mem)}
}

// nearest searches for query and returns the texts found and whether the store answered.
func (s *memSetup) nearest(t *testing.T, ws, query string, k int) (texts []string, byStore bool) {
	t.Helper()
	v, err := retrieval.Local{}.Embed(context.Background(), []string{query})
	require.NoError(t, err)
	before := s.st.searches.Load()
	hits, err := s.idx.SearchVector(context.Background(), ws, v[0], k)
	require.NoError(t, err)
	for _, h := range hits {
		require.Equal(t, ws, h.Workspace)
		texts = append(texts, h.Text)
	}
	return texts, s.st.searches.Load() > before
}

func corpus(r *rand.Rand, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = synthetic(r, 30)
	}
	return out
}

func TestMemorySearchFollowsTheStore(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		s := setupMemory(t, be, 64<<20, "acme", "other")
		r := rand.New(rand.NewPCG(9, 9))
		addDoc(t, s.st, "acme", "doc:a.md", corpus(r, 300)...)
		addDoc(t, s.st, "other", "doc:secret.md", "il listino segreto dei ricambi per officina")

		query := "listino ricambi officina"
		want, byStore := s.nearest(t, "acme", query, 5)
		require.True(t, byStore, "the first search is the store's while the graph is built")
		require.Len(t, want, 5)
		s.mem.Wait()
		require.Positive(t, s.mem.Used())
		got, byStore := s.nearest(t, "acme", query, 5)
		require.False(t, byStore, "then the graph answers")
		require.Equal(t, want, got, "the same chunks, in the same order")

		// another process adds a document: the next search sees it (from the store), and
		// the graph catches up with that one document
		addDoc(t, s.st, "acme", "doc:b.md", "il listino dei ricambi per officina, aggiornato")
		got, byStore = s.nearest(t, "acme", query, 5)
		require.True(t, byStore, "a graph behind the store's revision is not used")
		require.Equal(t, "il listino dei ricambi per officina, aggiornato", got[0])
		s.mem.Wait()
		got, byStore = s.nearest(t, "acme", query, 5)
		require.False(t, byStore)
		require.Equal(t, "il listino dei ricambi per officina, aggiornato", got[0])
		require.NotContains(t, got, "il listino segreto dei ricambi per officina", "another workspace's chunk")

		_, err := s.st.RemoveSource(context.Background(), "acme", "doc:b.md")
		require.NoError(t, err)
		got, byStore = s.nearest(t, "acme", query, 5)
		require.True(t, byStore)
		require.Equal(t, want, got, "a removed chunk is gone at once")
		s.mem.Wait()
		got, byStore = s.nearest(t, "acme", query, 5)
		require.False(t, byStore)
		require.Equal(t, want, got)

		// a large import: the graph is built again beside the old one
		used := s.mem.Used()
		addDoc(t, s.st, "acme", "doc:c.md", append(corpus(r, 199), "listino ricambi officina, edizione nuova")...)
		_, byStore = s.nearest(t, "acme", query, 5)
		require.True(t, byStore)
		s.mem.Wait()
		got, byStore = s.nearest(t, "acme", query, 5)
		require.False(t, byStore)
		require.Equal(t, "listino ricambi officina, edizione nuova", got[0])
		require.Greater(t, s.mem.Used(), used, "the new graph holds 500 chunks")
	})
}

func TestMemoryBudget(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		// 400 chunks of 256 dimensions take about 500 KB: one fits, two do not
		s := setupMemory(t, be, 700<<10, "a", "b")
		r := rand.New(rand.NewPCG(7, 7))
		for _, ws := range []string{"a", "b"} {
			addDoc(t, s.st, ws, "doc:x.md", corpus(r, 400)...)
		}
		for _, ws := range []string{"a", "b"} {
			_, byStore := s.nearest(t, ws, "lead fiera", 3)
			require.True(t, byStore)
			s.mem.Wait()
			_, byStore = s.nearest(t, ws, "lead fiera", 3)
			require.False(t, byStore, "%s's graph is loaded", ws)
			require.LessOrEqual(t, s.mem.Used(), int64(700<<10))
		}
		_, byStore := s.nearest(t, "a", "lead fiera", 3)
		require.True(t, byStore, "a's graph made room for b's")
		s.mem.Wait()
		_, byStore = s.nearest(t, "a", "lead fiera", 3)
		require.True(t, byStore, "and is not loaded again at once (no thrashing)")

		tiny := setupMemory(t, be, 10<<10, "c")
		addDoc(t, tiny.st, "c", "doc:x.md", corpus(r, 400)...)
		for range 2 {
			got, byStore := tiny.nearest(t, "c", "lead fiera", 3)
			require.True(t, byStore, "a graph larger than the budget is never kept")
			require.Len(t, got, 3)
			tiny.mem.Wait()
		}
		require.Zero(t, tiny.mem.Used())

		off := setupMemory(t, be, 0, "d")
		addDoc(t, off.st, "d", "doc:x.md", "uno", "due")
		_, byStore = off.nearest(t, "d", "uno", 1)
		require.True(t, byStore)
	})
}

func TestMemoryModelChange(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		s := setupMemory(t, be, 64<<20, "acme")
		addDoc(t, s.st, "acme", "doc:a.md", "alpha lead", "beta vendite", "gamma fiera")
		s.nearest(t, "acme", "alpha", 1)
		s.mem.Wait()
		_, byStore := s.nearest(t, "acme", "alpha", 1)
		require.False(t, byStore)
		chunks, err := s.st.Chunks(context.Background(), "acme")
		require.NoError(t, err)
		emb := map[int64][]float32{}
		for i, c := range chunks {
			v := make([]float32, 512)
			v[i] = 1
			emb[c.ID] = v
		}
		other := store.EmbeddingModel{Name: "openai:text-embedding-3-small", Dim: 512}
		require.NoError(t, s.st.Reembed(context.Background(), "acme", other, emb))
		v, _ := retrieval.Local{}.Embed(context.Background(), []string{"alpha"})
		_, err = s.idx.SearchVector(context.Background(), "acme", v[0], 1)
		var mm *store.ModelMismatchError
		require.ErrorAs(t, err, &mm, "the graph of the old model does not answer for the new one: %v", fmt.Sprint(err))
	})
}

func TestMemoryFromEnv(t *testing.T) {
	t.Parallel()
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "WHYBOT_KNOWLEDGE_MEMORY" {
				return v
			}
			return ""
		}
	}
	b, err := retrieval.MemoryFromEnv(env(""))
	require.NoError(t, err)
	require.Equal(t, int64(256<<20), b)
	b, err = retrieval.MemoryFromEnv(env("0"))
	require.NoError(t, err)
	require.Zero(t, b)
	b, err = retrieval.MemoryFromEnv(env("1024"))
	require.NoError(t, err)
	require.Equal(t, int64(1<<30), b)
	for _, bad := range []string{"-1", "1GB", "lots"} {
		_, err = retrieval.MemoryFromEnv(env(bad))
		require.ErrorContains(t, err, "WHYBOT_KNOWLEDGE_MEMORY=")
	}
}
