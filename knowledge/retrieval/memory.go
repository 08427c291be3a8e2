package retrieval

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/vectorindex"
)

// Memory keeps the knowledge vectors of the workspaces a process searches in HNSW graphs
// in memory (vectorindex), within a budget of bytes: a vector search walks the graph and
// reads only the chunks it found from the store, in one query that also returns the
// workspace's knowledge revision. The store stays the truth: a graph behind that revision
// (another replica or command changed the knowledge) is not used; the search goes to the
// store's own index while the graph catches up in the background with the vectors that
// changed. So does a workspace's first search, while its graph is built, and every search
// of a workspace whose graph does not fit the budget; the least recently searched graphs
// make room for newer ones.
type Memory struct {
	budget int64
	log    *slog.Logger

	mu     sync.Mutex
	graphs map[memKey]*memGraph
	used   int64
	clock  int64 // a search's turn, for least-recently-used eviction

	loads sync.WaitGroup
}

type memKey struct {
	workspace string
	model     store.EmbeddingModel
}

// memGraph is one workspace's graph and the revision it holds. Locks are taken in one
// order: Memory.mu, then memGraph.mu. g is written with both held, so either one guards a
// read of it.
type memGraph struct {
	mu    sync.RWMutex
	g     *vectorindex.Graph
	rev   int64
	bytes int64 // guarded by Memory.mu

	loading  atomic.Bool
	retryAt  atomic.Int64 // unix nanoseconds before which no load starts again (too big, failed)
	lastUsed int64        // Memory.clock at its last search; guarded by Memory.mu
}

// Graph construction and search settings, measured on the benchmark corpus (100,000
// chunks of 256 dimensions, 200 queries; see BenchmarkSearch and the README): m 16 and a
// construction list of 80 build the graph in about 30 s on one core; a search list of 400
// finds about 97% of the 5 nearest chunks an exact scan finds, in under a millisecond.
var (
	memParams   = vectorindex.Params{M: 16, EfConstruction: 80}
	memEfSearch = 400
)

// patchMost is the most new vectors added to a graph in place (searches of the workspace
// wait meanwhile, about a quarter of a millisecond each); more and the graph is built again
// beside it.
const patchMost = 500

// rebuildShare: when a catch-up brings more than this share of a graph's size in new
// vectors, or deleted nodes reach it, the graph is built again instead of patched.
const rebuildShare = 0.2

// loadTimeout bounds a graph's load from the store.
const loadTimeout = 10 * time.Minute

// NewMemory returns graphs within budget bytes (0: none are kept, every search goes to the
// store).
func NewMemory(budget int64, log *slog.Logger) *Memory {
	if log == nil {
		log = slog.Default()
	}
	return &Memory{budget: budget, log: log, graphs: map[memKey]*memGraph{}}
}

// Used is how many bytes the graphs hold.
func (m *Memory) Used() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.used
}

// Wait waits for the loads under way.
func (m *Memory) Wait() { m.loads.Wait() }

func (m *Memory) entry(k memKey) *memGraph {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.graphs[k]
	if !ok {
		e = &memGraph{}
		m.graphs[k] = e
	}
	m.clock++
	e.lastUsed = m.clock
	return e
}

// search returns the k chunks nearest to v from the workspace's graph; ok is false when the
// graph is not there or behind the store, and the caller searches the store instead.
func (m *Memory) search(ctx context.Context, st store.KnowledgeStore, workspace string, model store.EmbeddingModel, v []float32, k int) (hits []store.Hit, ok bool, err error) {
	if m == nil || m.budget <= 0 || len(v) != model.Dim {
		return nil, false, nil
	}
	key := memKey{workspace, model}
	e := m.entry(key)
	q := unit(v)
	e.mu.RLock()
	rev := e.rev
	var found []vectorindex.Hit
	if e.g != nil {
		found = e.g.Search(q, k, max(memEfSearch, k))
	}
	e.mu.RUnlock()
	if len(found) == 0 {
		m.load(st, key, e)
		return nil, false, nil
	}
	ids := make([]int64, len(found))
	for i, h := range found {
		ids[i] = h.ID
	}
	chunks, cur, err := st.ChunksByID(ctx, workspace, ids)
	if err != nil {
		return nil, false, err
	}
	if cur != rev || len(chunks) != len(found) {
		m.load(st, key, e)
		return nil, false, nil
	}
	byID := make(map[int64]store.Chunk, len(chunks))
	for _, c := range chunks {
		byID[c.ID] = c
	}
	hits = make([]store.Hit, len(found))
	for i, h := range found {
		hits[i] = store.Hit{Chunk: byID[h.ID], Score: 1 - float64(h.Distance)}
	}
	return hits, true, nil
}

// load brings a workspace's graph up to the store's revision in the background, unless a
// load is under way or waiting to be retried.
func (m *Memory) load(st store.KnowledgeStore, key memKey, e *memGraph) {
	if time.Now().UnixNano() < e.retryAt.Load() || !e.loading.CompareAndSwap(false, true) {
		return
	}
	m.loads.Add(1)
	go func() {
		defer m.loads.Done()
		defer e.loading.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), loadTimeout)
		defer cancel()
		start := time.Now()
		err := m.catchUp(ctx, st, key, e)
		var big *tooBigError
		switch {
		case errors.As(err, &big):
			e.retryAt.Store(time.Now().Add(10 * time.Minute).UnixNano())
			m.log.Info("knowledge graph does not fit in memory: searches use the store", "workspace", key.workspace, "chunks", big.chunks, "budget_bytes", m.budget)
		case err != nil:
			e.retryAt.Store(time.Now().Add(30 * time.Second).UnixNano())
			m.log.Warn("knowledge graph not loaded: searches use the store", "workspace", key.workspace, "err", err)
		default:
			e.mu.RLock()
			empty := e.g == nil || e.g.Len() == 0
			e.mu.RUnlock()
			if empty { // nothing to search: the store answers; look again shortly
				e.retryAt.Store(time.Now().Add(5 * time.Second).UnixNano())
			}
			m.log.Debug("knowledge graph loaded", "workspace", key.workspace, "elapsed", time.Since(start))
		}
	}()
}

type tooBigError struct{ chunks int }

func (e *tooBigError) Error() string {
	return fmt.Sprintf("%d chunks do not fit the memory budget", e.chunks)
}

// nodeBytes is about what one node of a graph of dim takes.
func nodeBytes(dim int) int64 { return int64(4*dim + 4*2*memParams.M + 64) }

// catchUp reads what changed since the graph's revision and patches the graph, or builds a
// new one when there is none or much changed.
func (m *Memory) catchUp(ctx context.Context, st store.KnowledgeStore, key memKey, e *memGraph) error {
	e.mu.RLock()
	old, since := e.g, e.rev
	e.mu.RUnlock()
	if old == nil {
		since = 0
	}
	limit := int(m.budget / nodeBytes(key.model.Dim))
	var listed []int64
	fresh := map[int64][]float32{}
	rev, err := st.ScanVectors(ctx, key.workspace, key.model, since, func(id int64, v []float32) error {
		listed = append(listed, id)
		if len(listed) > limit {
			return &tooBigError{chunks: len(listed)}
		}
		if v != nil {
			fresh[id] = unit(v)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if rev == 0 {
		return nil // nothing indexed with this model: searches go to the store, which says so
	}
	if old == nil || len(fresh) > patchMost || float64(len(fresh)) > rebuildShare*float64(old.Len()) || old.Dead() > int(rebuildShare*float64(old.Len())) {
		return m.rebuild(ctx, st, key, e, listed, fresh, rev)
	}
	e.mu.Lock()
	if e.g != old { // dropped meanwhile to make room: the next search loads it again
		e.mu.Unlock()
		return nil
	}
	keep := make(map[int64]bool, len(listed))
	for _, id := range listed {
		keep[id] = true
	}
	var gone []int64
	old.IDs(func(id int64) {
		if !keep[id] {
			gone = append(gone, id)
		}
	})
	for _, id := range gone {
		old.Delete(id)
	}
	for _, id := range listed {
		if v, ok := fresh[id]; ok {
			old.Add(id, v)
		}
	}
	e.rev = rev
	bytes := int64(old.Bytes())
	e.mu.Unlock()
	m.mu.Lock()
	if e.g == old {
		m.used += bytes - e.bytes
		e.bytes = bytes
	}
	m.mu.Unlock()
	return nil
}

// rebuild builds a new graph of the listed chunks, reading again the vectors the scan did
// not bring, and swaps it in.
func (m *Memory) rebuild(ctx context.Context, st store.KnowledgeStore, key memKey, e *memGraph, listed []int64, fresh map[int64][]float32, rev int64) error {
	if len(fresh) < len(listed) {
		fresh = map[int64][]float32{}
		var err error
		rev, err = st.ScanVectors(ctx, key.workspace, key.model, 0, func(id int64, v []float32) error {
			fresh[id] = unit(v)
			return nil
		})
		if err != nil {
			return err
		}
	}
	ids := make([]int64, 0, len(fresh))
	for id := range fresh {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	g := vectorindex.New(key.model.Dim, memParams)
	g.Grow(len(ids))
	for i, id := range ids {
		if i%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		g.Add(id, fresh[id])
	}
	bytes := int64(g.Bytes())
	if bytes > m.budget {
		return &tooBigError{chunks: len(ids)}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.makeRoom(key, bytes-e.bytes)
	m.used += bytes - e.bytes
	e.bytes = bytes
	e.mu.Lock()
	e.g, e.rev = g, rev
	e.mu.Unlock()
	return nil
}

// makeRoom drops the least recently searched graphs but key's until need more bytes fit.
// m.mu is held; it takes each dropped graph's lock.
func (m *Memory) makeRoom(key memKey, need int64) {
	type aged struct {
		k    memKey
		used int64
	}
	var all []aged
	for k, e := range m.graphs {
		if k != key && e.bytes > 0 {
			all = append(all, aged{k, e.lastUsed})
		}
	}
	slices.SortFunc(all, func(a, b aged) int { return cmp.Compare(a.used, b.used) })
	for _, a := range all {
		if m.used+need <= m.budget {
			return
		}
		e := m.graphs[a.k]
		m.used -= e.bytes
		e.bytes = 0
		e.mu.Lock()
		e.g, e.rev = nil, 0
		e.mu.Unlock()
		e.retryAt.Store(time.Now().Add(10 * time.Minute).UnixNano()) // no thrashing: it waits its turn
		m.log.Debug("knowledge graph dropped from memory", "workspace", a.k.workspace)
	}
}

// unit is v scaled to length 1 (a copy).
func unit(v []float32) []float32 {
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	out := make([]float32, len(v))
	if n == 0 {
		return out
	}
	s := float32(1 / math.Sqrt(n))
	for i, x := range v {
		out[i] = x * s
	}
	return out
}
