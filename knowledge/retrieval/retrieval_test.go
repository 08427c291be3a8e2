package retrieval_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/retrieval"
	"github.com/whybot/whybot/knowledge/sample"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/storetest"
)

type bundle struct {
	st  store.Store
	idx *retrieval.Index
	p   *profile.Profile
	dir string
}

func setup(t *testing.T, b storetest.Backend) *bundle {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	prof, _, err := sample.Write(dir)
	require.NoError(t, err)
	p, err := profile.Load(prof)
	require.NoError(t, err)
	st := b.Open(t)
	require.NoError(t, st.UpsertWorkspace(ctx, store.Workspace{ID: p.Workspace, Company: p.Company, Profile: json.RawMessage(`{}`), UpdatedAt: time.Now()}))
	require.NoError(t, st.UpsertWorkspace(ctx, store.Workspace{ID: "other", Company: "Other", Profile: json.RawMessage(`{}`), UpdatedAt: time.Now()}))
	return &bundle{st: st, idx: retrieval.New(st, retrieval.Local{}), p: p, dir: dir}
}

func cosine(a, b []float32) float64 {
	var d float64
	for i := range a {
		d += float64(a[i]) * float64(b[i])
	}
	return d
}

func TestLocalEmbedder(t *testing.T) {
	t.Parallel()
	vs, err := retrieval.Local{}.Embed(context.Background(), []string{"lead qualificati", "leads qualified", "quarterly revenue of the shop", "", "Qualità"})
	require.NoError(t, err)
	for _, v := range vs {
		require.Len(t, v, 256)
		var n float64
		for _, x := range v {
			n += float64(x) * float64(x)
		}
		require.InDelta(t, 1, math.Sqrt(n), 1e-5, "unit vectors")
	}
	require.Greater(t, cosine(vs[0], vs[1]), cosine(vs[0], vs[2])+0.1, "shared stems are nearer than unrelated text")
	again, _ := retrieval.Local{}.Embed(context.Background(), []string{"lead qualificati"})
	require.Equal(t, vs[0], again[0], "deterministic")
}

func TestSplitMarkdown(t *testing.T) {
	t.Parallel()
	long := ""
	for range 80 {
		long += "This sentence is about leads. "
	}
	pieces := retrieval.SplitMarkdown("Guide", "# Guide\nIntro line.\n\n## Fairs\nCall within 48 hours.\n\n"+long+"\n## Discounts\nNone.")
	require.GreaterOrEqual(t, len(pieces), 4)
	require.Equal(t, "Guide", pieces[0].Title)
	require.Equal(t, "Guide › Fairs", pieces[1].Title)
	require.Equal(t, "Guide › Discounts", pieces[len(pieces)-1].Title)
	for _, p := range pieces {
		require.LessOrEqual(t, len(p.Text), 900)
	}
}

func TestIndexAndSearch(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		ctx := context.Background()
		b := setup(t, be)
		ws := b.p.Workspace
		require.NoError(t, b.idx.SyncProfile(ctx, b.p))
		changed, err := b.idx.SyncFolder(ctx, ws, "it", filepath.Join(b.dir, "knowledge"))
		require.NoError(t, err)
		require.ElementsMatch(t, []string{"brand.md", "playbook-commerciale.md"}, changed)
		again, err := b.idx.SyncFolder(ctx, ws, "it", filepath.Join(b.dir, "knowledge"))
		require.NoError(t, err)
		require.Empty(t, again, "unchanged documents are not re-embedded")

		res, err := b.idx.Search(ctx, ws, "i lead da facebook sono qualificati?", 3)
		require.NoError(t, err)
		require.NotEmpty(t, res)
		require.Equal(t, "doc:playbook-commerciale.md", res[0].Source)
		require.Contains(t, res[0].Text, "qualifica")
		require.Positive(t, res[0].TextRank)
		require.Positive(t, res[0].VectorRank)

		res, err = b.idx.Search(ctx, ws, "obiettivo lead", 5)
		require.NoError(t, err)
		found := false
		for _, r := range res {
			found = found || r.Source == "profile"
		}
		require.True(t, found, "the profile's goals are searchable")

		// approved answers go in; nothing leaks to another workspace
		require.NoError(t, b.idx.AddAnswer(ctx, ws, "it", "d-1", "perché i lead sono saliti?", "I lead sono saliti per la fiera di ottobre.", "luca"))
		res, err = b.idx.Search(ctx, ws, "fiera di ottobre", 3)
		require.NoError(t, err)
		require.Equal(t, "answer:d-1", res[0].Source)
		other, err := b.idx.Search(ctx, "other", "fiera di ottobre playbook qualificati", 10)
		require.NoError(t, err)
		require.Empty(t, other)

		// a removed file leaves the index on the next sync
		require.NoError(t, os.Remove(filepath.Join(b.dir, "knowledge", "brand.md")))
		changed, err = b.idx.SyncFolder(ctx, ws, "it", filepath.Join(b.dir, "knowledge"))
		require.NoError(t, err)
		require.Equal(t, []string{"brand.md (removed)"}, changed)
	})
}

// fakeOpenAI serves /embeddings like OpenAI's API, with vectors of dim numbers.
func fakeOpenAI(t *testing.T, dim int) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/embeddings" || r.Header.Get("Authorization") != "Bearer sk-test" {
			http.Error(w, "unexpected "+r.URL.Path, http.StatusNotFound)
			return
		}
		var req struct {
			Input      []string `json:"input"`
			Model      string   `json:"model"`
			Dimensions int      `json:"dimensions"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		type item struct {
			Object    string    `json:"object"`
			Index     int       `json:"index"`
			Embedding []float32 `json:"embedding"`
		}
		var data []item
		for i, in := range req.Input {
			v, _ := retrieval.Local{}.Embed(r.Context(), []string{in})
			e := make([]float32, dim)
			copy(e, v[0])
			data = append(data, item{Object: "embedding", Index: i, Embedding: e})
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data, "model": req.Model, "usage": map[string]int{"prompt_tokens": 1, "total_tokens": 1}})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestRemoteEmbedderAndReindex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, storetest.Backends()[0])
	ws := b.p.Workspace
	require.NoError(t, b.idx.SyncProfile(ctx, b.p))

	srv := fakeOpenAI(t, 512)
	remote, err := retrieval.NewOpenAI(srv.URL+"/v1", "sk-test", "text-embedding-3-small", 512)
	require.NoError(t, err)
	idx2 := retrieval.New(b.st, remote)
	_, err = idx2.Search(ctx, ws, "obiettivo", 3)
	var mm *store.ModelMismatchError
	require.ErrorAs(t, err, &mm, "a changed embedder is an error until reindexed")
	n, err := idx2.Reindex(ctx, ws)
	require.NoError(t, err)
	require.Positive(t, n)
	res, err := idx2.Search(ctx, ws, "obiettivo lead", 3)
	require.NoError(t, err)
	require.NotEmpty(t, res)

	// a server answering with the wrong size is caught, nothing is written
	wrong, err := retrieval.NewOpenAI(fakeOpenAI(t, 384).URL+"/v1", "sk-test", "text-embedding-3-small", 512)
	require.NoError(t, err)
	_, err = retrieval.New(b.st, wrong).AddFile(ctx, ws, "it", filepath.Join(b.dir, "knowledge", "brand.md"), "brand.md")
	require.ErrorContains(t, err, "returned 384 dimensions")

	_, err = retrieval.NewOpenAI("", "", "m", 3072)
	require.ErrorContains(t, err, "WHYBOT_EMBED_DIM=3072 is not supported")
}

func TestOllamaEmbedder(t *testing.T) {
	t.Parallel()
	var models []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/embed" {
			http.Error(w, "unexpected "+r.URL.Path, http.StatusNotFound)
			return
		}
		var req struct {
			Model string `json:"model"`
			Input string `json:"input"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		models = append(models, req.Model)
		v, _ := retrieval.Local{}.Embed(r.Context(), []string{req.Input})
		e := make([]float32, 768)
		copy(e, v[0])
		_ = json.NewEncoder(w).Encode(map[string]any{"embeddings": [][]float32{e}})
	}))
	t.Cleanup(srv.Close)
	emb, err := retrieval.FromEnv(func(k string) string {
		return map[string]string{"WHYBOT_EMBEDDER": "ollama", "WHYBOT_EMBED_MODEL": "nomic-embed-text", "OLLAMA_HOST": srv.URL}[k]
	})
	require.NoError(t, err)
	require.Equal(t, store.EmbeddingModel{Name: "ollama:nomic-embed-text", Dim: 768}, emb.Model())
	vs, err := emb.Embed(context.Background(), []string{"lead qualificati", "brand voice"})
	require.NoError(t, err)
	require.Len(t, vs, 2)
	require.Len(t, vs[1], 768)
	require.Equal(t, []string{"nomic-embed-text", "nomic-embed-text"}, models)

	_, err = retrieval.FromEnv(func(k string) string { return map[string]string{"WHYBOT_EMBEDDER": "bert"}[k] })
	require.ErrorContains(t, err, "use local (built in, the default), openai (any OpenAI-compatible API) or ollama")
	_, err = retrieval.FromEnv(func(k string) string { return map[string]string{"WHYBOT_EMBEDDER": "ollama"}[k] })
	require.ErrorContains(t, err, "WHYBOT_EMBED_MODEL is empty")
}

// A large first import is one bulk load (on PostgreSQL the search index is built once at
// the end) with the same result as a sync; a later sync loads only what changed.
func TestLargeFirstImport(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		ctx := context.Background()
		b := setup(t, be)
		ws := b.p.Workspace
		dir := filepath.Join(t.TempDir(), "knowledge")
		require.NoError(t, os.MkdirAll(dir, 0o755))
		r := rand.New(rand.NewPCG(7, 8))
		for f := range 40 { // about 2 MB: more than retrieval.BulkMin chunks
			var doc strings.Builder
			fmt.Fprintf(&doc, "# Documento %d\n\n", f)
			for range 60 {
				doc.WriteString(synthetic(r, 120) + "\n\n")
			}
			require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("doc%02d.md", f)), []byte(doc.String()), 0o644))
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, "fiera.md"), []byte("# Fiera\n\nI lead della fiera di ottobre sono qualificati."), 0o644))
		changed, err := b.idx.SyncFolderBulk(ctx, ws, "it", dir)
		require.NoError(t, err)
		require.Len(t, changed, 41)
		chunks, err := b.st.Chunks(ctx, ws)
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(chunks), retrieval.BulkMin)
		res, err := b.idx.Search(ctx, ws, "fiera di ottobre qualificati", 3)
		require.NoError(t, err)
		require.Equal(t, "doc:fiera.md", res[0].Source, "searchable once the load is done")
		again, err := b.idx.SyncFolderBulk(ctx, ws, "it", dir)
		require.NoError(t, err)
		require.Empty(t, again, "a later sync loads only what changed")
	})
}
