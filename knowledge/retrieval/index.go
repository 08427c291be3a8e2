package retrieval

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/whybot/whybot/knowledge/limits"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/store"
)

// Index is a workspace's knowledge base over a store and an embedder.
type Index struct {
	st  store.KnowledgeStore
	emb Embedder
	mem *Memory
	now func() time.Time
}

// WithMemory makes the index search vectors in graphs kept in memory when it can (see
// Memory), and returns it.
func (x *Index) WithMemory(m *Memory) *Index {
	x.mem = m
	return x
}

// SearchVector returns the k chunks nearest to v: from the workspace's graph in memory
// when it is current, from the store's index otherwise.
func (x *Index) SearchVector(ctx context.Context, workspace string, v []float32, k int) ([]store.Hit, error) {
	hits, ok, err := x.mem.search(ctx, x.st, workspace, x.emb.Model(), v, k)
	if err != nil || ok {
		return hits, err
	}
	return x.st.SearchVector(ctx, workspace, x.emb.Model(), v, k)
}

// New returns an index.
func New(st store.KnowledgeStore, emb Embedder) *Index {
	return &Index{st: st, emb: emb, now: time.Now}
}

// Model is the embedder's model.
func (x *Index) Model() store.EmbeddingModel { return x.emb.Model() }

func hash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// put embeds pieces and replaces a source with them, unless the stored source already has
// this content (same hash) and model.
func (x *Index) put(ctx context.Context, workspace string, src store.Source, lang string, pieces []Piece, meta map[string]any) (bool, error) {
	src.Hash = hash(append([]string{x.emb.Model().Name}, flatten(pieces)...)...)
	if cur, err := x.source(ctx, workspace, src.Source); err == nil && cur.Hash == src.Hash {
		return false, nil
	}
	src.UpdatedAt = x.now().UTC()
	texts := make([]string, len(pieces))
	for i, p := range pieces {
		texts[i] = p.Title + "\n" + p.Text
	}
	var vs [][]float32
	if len(texts) > 0 {
		var err error
		if vs, err = x.emb.Embed(ctx, texts); err != nil {
			return false, err
		}
		if err := checkVectors(x.emb.Model(), texts, vs); err != nil {
			return false, err
		}
	}
	mj, err := json.Marshal(meta)
	if err != nil {
		return false, err
	}
	chunks := make([]store.Chunk, len(pieces))
	for i, p := range pieces {
		chunks[i] = store.Chunk{Title: p.Title, Text: p.Text, Language: GuessLanguage(p.Text, lang), Position: i, Metadata: mj, Embedding: vs[i], CreatedAt: src.UpdatedAt}
	}
	if err := x.st.ReplaceSource(ctx, workspace, src, x.emb.Model(), chunks); err != nil {
		return false, err
	}
	return true, nil
}

func flatten(ps []Piece) []string {
	out := make([]string, 0, 2*len(ps))
	for _, p := range ps {
		out = append(out, p.Title, p.Text)
	}
	return out
}

func (x *Index) source(ctx context.Context, workspace, name string) (store.Source, error) {
	srcs, err := x.st.Sources(ctx, workspace)
	if err != nil {
		return store.Source{}, err
	}
	for _, s := range srcs {
		if s.Source == name {
			return s, nil
		}
	}
	return store.Source{}, store.ErrNotFound
}

// SyncProfile indexes the profile's values, limits and goals (source "profile") and its
// glossary (source "glossary"), replacing what was indexed before.
func (x *Index) SyncProfile(ctx context.Context, p *profile.Profile) error {
	it := p.Language == "it"
	label := func(en, itl string) string {
		if it {
			return itl
		}
		return en
	}
	var pieces []Piece
	for _, v := range p.Values {
		pieces = append(pieces, Piece{Title: label("Value", "Valore") + " " + v.ID, Text: v.Text})
	}
	for _, l := range p.Limits {
		pieces = append(pieces, Piece{Title: label("Limit", "Limite") + " " + l.ID, Text: strings.TrimSpace(l.Text + " (" + l.Rule + ")")})
	}
	for _, g := range p.Goals {
		dir := label("at least", "almeno")
		if g.Direction == "down" {
			dir = label("at most", "al massimo")
		}
		text := fmt.Sprintf("%s: %s %g", g.Metric, dir, g.Target)
		if g.By != "" {
			text += " " + label("by", "entro") + " " + g.By
		}
		pieces = append(pieces, Piece{Title: label("Goal", "Obiettivo") + " " + g.ID, Text: text})
	}
	if _, err := x.put(ctx, p.Workspace, store.Source{Source: "profile", Kind: store.KindProfile, Title: p.Company}, p.Language, pieces, map[string]any{"file": p.File}); err != nil {
		return fmt.Errorf("index profile of %s: %w", p.Workspace, err)
	}
	var terms []string
	for t := range p.Glossary {
		terms = append(terms, t)
	}
	sort.Strings(terms)
	var gloss []Piece
	for _, t := range terms {
		gloss = append(gloss, Piece{Title: label("Glossary", "Glossario") + ": " + t, Text: t + " = " + strings.Join(p.Glossary[t], ", ")})
	}
	if _, err := x.put(ctx, p.Workspace, store.Source{Source: "glossary", Kind: store.KindGlossary, Title: label("Glossary", "Glossario")}, p.Language, gloss, nil); err != nil {
		return fmt.Errorf("index glossary of %s: %w", p.Workspace, err)
	}
	return nil
}

// DocExts are the document types the knowledge folder takes.
var DocExts = []string{".md", ".markdown", ".txt"}

// AddFile indexes one Markdown or text document as source "doc:<name>"; it reports whether
// anything changed.
func (x *Index) AddFile(ctx context.Context, workspace, lang, path, name string) (bool, error) {
	if !slices.Contains(DocExts, strings.ToLower(filepath.Ext(path))) {
		return false, fmt.Errorf("%s: only Markdown and text documents (%s) can be added", path, strings.Join(DocExts, ", "))
	}
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	b, err := limits.ReadAll(f, limits.DocumentBytes, path)
	if err != nil {
		return false, fmt.Errorf("read %s: %w", path, err)
	}
	title := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	for _, line := range strings.SplitN(string(b), "\n", 20) {
		if strings.HasPrefix(line, "# ") {
			title = strings.TrimSpace(line[2:])
			break
		}
	}
	pieces := SplitMarkdown(title, string(b))
	if len(pieces) == 0 {
		return false, fmt.Errorf("%s: the document is empty", path)
	}
	changed, err := x.put(ctx, workspace, store.Source{Source: "doc:" + name, Kind: store.KindDocument, Title: title}, lang, pieces, map[string]any{"file": name})
	if err != nil {
		return false, fmt.Errorf("index %s: %w", path, err)
	}
	return changed, nil
}

// SyncFolder indexes every document under dir (names relative to dir) and removes indexed
// documents whose file is gone from it. A missing folder is not an error.
func (x *Index) SyncFolder(ctx context.Context, workspace, lang, dir string) (changed []string, err error) {
	seen := map[string]bool{}
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, os.ErrNotExist) && path == dir {
				return filepath.SkipAll
			}
			return err
		}
		if d.IsDir() || !slices.Contains(DocExts, strings.ToLower(filepath.Ext(path))) {
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		seen["doc:"+rel] = true
		ok, err := x.AddFile(ctx, workspace, lang, path, rel)
		if err != nil {
			return err
		}
		if ok {
			changed = append(changed, rel)
		}
		return nil
	})
	if err != nil {
		return changed, err
	}
	srcs, err := x.st.Sources(ctx, workspace)
	if err != nil {
		return changed, err
	}
	for _, s := range srcs {
		if s.Kind == store.KindDocument && !seen[s.Source] {
			if _, err := x.st.RemoveSource(ctx, workspace, s.Source); err != nil {
				return changed, err
			}
			changed = append(changed, strings.TrimPrefix(s.Source, "doc:")+" (removed)")
		}
	}
	return changed, nil
}

// AddAnswer indexes an answer a human approved (source "answer:<draft>"). Rejected drafts
// and chat history are never indexed: only what a person confirmed.
func (x *Index) AddAnswer(ctx context.Context, workspace, lang, draftID, question, text string, approvedBy string) error {
	title := question
	if r := []rune(title); len(r) > 120 {
		title = string(r[:120]) + "…"
	}
	pieces := []Piece{{Title: title, Text: text}}
	if _, err := x.put(ctx, workspace, store.Source{Source: "answer:" + draftID, Kind: store.KindAnswer, Title: title}, lang, pieces,
		map[string]any{"draft": draftID, "approved_by": approvedBy}); err != nil {
		return fmt.Errorf("index approved answer %s: %w", draftID, err)
	}
	return nil
}

// Reindex re-embeds every chunk of a workspace with the configured embedder (after the
// embedding model or its size changed). It reports the number of chunks.
func (x *Index) Reindex(ctx context.Context, workspace string) (int, error) {
	chunks, err := x.st.Chunks(ctx, workspace)
	if err != nil {
		return 0, err
	}
	emb := make(map[int64][]float32, len(chunks))
	for start := 0; start < len(chunks); start += 256 {
		batch := chunks[start:min(start+256, len(chunks))]
		texts := make([]string, len(batch))
		for i, c := range batch {
			texts[i] = c.Title + "\n" + c.Text
		}
		vs, err := x.emb.Embed(ctx, texts)
		if err != nil {
			return 0, err
		}
		if err := checkVectors(x.emb.Model(), texts, vs); err != nil {
			return 0, err
		}
		for i, c := range batch {
			emb[c.ID] = vs[i]
		}
	}
	err = x.bulk(ctx, len(chunks), func(ctx context.Context) error { return x.st.Reembed(ctx, workspace, x.emb.Model(), emb) })
	if err != nil {
		return 0, err
	}
	return len(chunks), nil
}

// BulkMin is how many chunks make a load a bulk load: the search index is then built once
// afterwards, where the store can (store.BulkLoader), instead of maintained chunk by chunk.
const BulkMin = 2000

// bulk runs a load of about n chunks, as a bulk load when it is large.
func (x *Index) bulk(ctx context.Context, n int, load func(ctx context.Context) error) error {
	if bl, ok := x.st.(store.BulkLoader); ok && n >= BulkMin {
		return bl.BulkLoad(ctx, x.emb.Model().Dim, n, load)
	}
	return load(ctx)
}

// SyncFolderBulk is SyncFolder, as a bulk load when it is a large first import: the
// workspace has no documents yet and the folder's size says it makes BulkMin chunks or more
// (maxChunk characters each). A later sync loads only what changed, the ordinary way.
func (x *Index) SyncFolderBulk(ctx context.Context, workspace, lang, dir string) (changed []string, err error) {
	srcs, err := x.st.Sources(ctx, workspace)
	if err != nil {
		return nil, err
	}
	if slices.ContainsFunc(srcs, func(s store.Source) bool { return s.Kind == store.KindDocument }) {
		return x.SyncFolder(ctx, workspace, lang, dir)
	}
	size := 0
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && slices.Contains(DocExts, strings.ToLower(filepath.Ext(path))) {
			if info, ierr := d.Info(); ierr == nil {
				size += int(info.Size())
			}
		}
		return nil
	})
	err = x.bulk(ctx, size/maxChunk, func(ctx context.Context) error {
		changed, err = x.SyncFolder(ctx, workspace, lang, dir)
		return err
	})
	return changed, err
}

// Result is a search result with how each retriever ranked it (0: not found by it).
type Result struct {
	store.Chunk
	Score      float64 `json:"score"` // fused: sum of 1/(60+rank)
	VectorRank int     `json:"vector_rank,omitempty"`
	TextRank   int     `json:"text_rank,omitempty"`
}

// rrfK is reciprocal-rank fusion's constant (60, as in Cormack et al. and most engines).
const rrfK = 60

// Search runs the vector and the full-text search for query, fetching 4k candidates from
// each, and fuses them by reciprocal rank; it returns at most k results, best first.
func (x *Index) Search(ctx context.Context, workspace, query string, k int) ([]Result, error) {
	if k <= 0 {
		k = 5
	}
	vs, err := x.emb.Embed(ctx, []string{query})
	if err != nil {
		return nil, err
	}
	if err := checkVectors(x.emb.Model(), []string{query}, vs); err != nil {
		return nil, err
	}
	// the two searches are independent: run them at once
	var vhits, thits []store.Hit
	var verr, terr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		vhits, verr = x.SearchVector(ctx, workspace, vs[0], 4*k)
	}()
	thits, terr = x.st.SearchText(ctx, workspace, query, 4*k)
	<-done
	if err := errors.Join(verr, terr); err != nil {
		return nil, err
	}
	byID := map[int64]*Result{}
	var order []int64
	get := func(h store.Hit) *Result {
		r, ok := byID[h.ID]
		if !ok {
			r = &Result{Chunk: h.Chunk}
			byID[h.ID] = r
			order = append(order, h.ID)
		}
		return r
	}
	for i, h := range vhits {
		r := get(h)
		r.VectorRank = i + 1
		r.Score += 1.0 / float64(rrfK+i+1)
	}
	for i, h := range thits {
		r := get(h)
		r.TextRank = i + 1
		r.Score += 1.0 / float64(rrfK+i+1)
	}
	out := make([]Result, 0, len(order))
	for _, id := range order {
		out = append(out, *byID[id])
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	if len(out) > k {
		out = out[:k]
	}
	return out, nil
}
