// Package vectorindex is an in-memory HNSW graph (Malkov and Yashunin, 2016) over unit
// vectors, searched by cosine distance. whybot keeps one per workspace in the process, so
// a knowledge search walks memory instead of PostgreSQL's shared buffers; the store stays
// the truth and the graph is rebuilt or caught up from it.
package vectorindex

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/viterin/vek/vek32"
)

// Params shape the graph: M neighbours per node on the upper levels (2M on the bottom one)
// and the candidate list of an insertion.
type Params struct {
	M              int
	EfConstruction int
}

// DefaultParams are pgvector's defaults for m, with a longer construction list.
var DefaultParams = Params{M: 16, EfConstruction: 64}

// Graph is an HNSW graph. Searches may run at once; Add and Delete need the caller to hold
// out every search (Index does).
type Graph struct {
	dim, m, m0, efc int
	ml              float64
	rng             *rand.Rand

	ids     []int64
	vecs    []float32 // node i's vector at [i*dim, (i+1)*dim)
	deleted []bool
	pos     map[int64]int32
	live    int

	base  []int32 // bottom-level links: node i's at [i*m0, i*m0+nbase[i])
	nbase []uint8
	upper []map[int32][]int32 // upper[l-1][i]: node i's links on level l

	entry int32
	top   int

	visits sync.Pool
}

// Hit is a node found by Search: its id and cosine distance to the query.
type Hit struct {
	ID       int64
	Distance float32
}

// New returns an empty graph of vectors of dim numbers.
func New(dim int, p Params) *Graph {
	if p.M < 2 {
		p.M = DefaultParams.M
	}
	if p.EfConstruction < p.M {
		p.EfConstruction = max(DefaultParams.EfConstruction, p.M)
	}
	return &Graph{dim: dim, m: p.M, m0: 2 * p.M, efc: p.EfConstruction, ml: 1 / math.Log(float64(p.M)),
		rng: rand.New(rand.NewPCG(uint64(dim), uint64(p.M))), pos: map[int64]int32{}, entry: -1}
}

// Grow reserves room for n more nodes, so a graph built from a known count holds no
// spare capacity.
func (g *Graph) Grow(n int) {
	g.ids = slices.Grow(g.ids, n)
	g.vecs = slices.Grow(g.vecs, n*g.dim)
	g.deleted = slices.Grow(g.deleted, n)
	g.base = slices.Grow(g.base, n*g.m0)
	g.nbase = slices.Grow(g.nbase, n)
}

// Dim is the vectors' size.
func (g *Graph) Dim() int { return g.dim }

// Len is how many nodes are live (added and not deleted).
func (g *Graph) Len() int { return g.live }

// Bytes is about how much memory the graph holds.
func (g *Graph) Bytes() int {
	n := cap(g.vecs)*4 + cap(g.base)*4 + cap(g.ids)*8 + cap(g.nbase) + cap(g.deleted) + len(g.pos)*24
	for _, lv := range g.upper {
		n += len(lv) * (g.m*4 + 48)
	}
	return n
}

// Has reports whether id is a live node.
func (g *Graph) Has(id int64) bool {
	i, ok := g.pos[id]
	return ok && !g.deleted[i]
}

// IDs calls fn with every live node's id.
func (g *Graph) IDs(fn func(int64)) {
	for i, id := range g.ids {
		if !g.deleted[i] {
			fn(id)
		}
	}
}

func (g *Graph) vec(i int32) []float32 { return g.vecs[int(i)*g.dim : (int(i)+1)*g.dim] }

func (g *Graph) dist(q []float32, i int32) float32 { return 1 - vek32.Dot(q, g.vec(i)) }

func (g *Graph) links(i int32, level int) []int32 {
	if level == 0 {
		return g.base[int(i)*g.m0 : int(i)*g.m0+int(g.nbase[i])]
	}
	return g.upper[level-1][i]
}

func (g *Graph) setLinks(i int32, level int, to []int32) {
	if level == 0 {
		copy(g.base[int(i)*g.m0:], to)
		g.nbase[i] = uint8(len(to))
		return
	}
	g.upper[level-1][i] = append(g.upper[level-1][i][:0], to...)
}

// Delete removes id from search results; its node still routes searches until the graph
// is rebuilt. It reports whether id was live.
func (g *Graph) Delete(id int64) bool {
	i, ok := g.pos[id]
	if !ok || g.deleted[i] {
		return false
	}
	g.deleted[i] = true
	g.live--
	return true
}

// Dead is how many deleted nodes still sit in the graph.
func (g *Graph) Dead() int { return len(g.ids) - g.live }

// Add inserts a unit vector under id (a vector already there under id is deleted first).
func (g *Graph) Add(id int64, v []float32) {
	if len(v) != g.dim {
		panic("vectorindex: wrong dimension")
	}
	g.Delete(id)
	i := int32(len(g.ids))
	g.ids = append(g.ids, id)
	g.vecs = append(g.vecs, v...)
	g.deleted = append(g.deleted, false)
	g.pos[id] = i
	g.live++
	g.base = append(g.base, make([]int32, g.m0)...)
	g.nbase = append(g.nbase, 0)
	level := int(-math.Log(1-g.rng.Float64()) * g.ml)
	for len(g.upper) < level {
		g.upper = append(g.upper, map[int32][]int32{})
	}
	for l := 1; l <= level; l++ {
		g.upper[l-1][i] = nil
	}
	if g.entry < 0 {
		g.entry, g.top = i, level
		return
	}
	vis := g.visited()
	defer g.visits.Put(vis)
	q := g.vec(i)
	ep := []cand{{d: g.dist(q, g.entry), i: g.entry}}
	for l := g.top; l > level; l-- {
		ep = g.searchLayer(q, ep, 1, l, vis)
	}
	for l := min(g.top, level); l >= 0; l-- {
		w := g.searchLayer(q, ep, g.efc, l, vis)
		own := g.selectNeighbours(w, g.m)
		g.setLinks(i, l, ids(own))
		for _, c := range own {
			g.link(c.i, i, c.d, l)
		}
		ep = w
	}
	if level > g.top {
		g.entry, g.top = i, level
	}
}

// link adds a link from node a to node b (at distance d) on level l, pruning a's links
// with the selection heuristic when they are full.
func (g *Graph) link(a, b int32, d float32, l int) {
	limit := g.m
	if l == 0 {
		limit = g.m0
	}
	cur := g.links(a, l)
	if len(cur) < limit {
		g.setLinks(a, l, append(slices.Clone(cur), b))
		return
	}
	va := g.vec(a)
	cs := make([]cand, 0, len(cur)+1)
	cs = append(cs, cand{d: d, i: b})
	for _, n := range cur {
		cs = append(cs, cand{d: g.dist(va, n), i: n})
	}
	slices.SortFunc(cs, cmpCand)
	g.setLinks(a, l, ids(g.selectNeighbours(cs, limit)))
}

// selectNeighbours is the paper's heuristic (algorithm 4): from candidates sorted nearest
// first, keep one only when it is nearer to the query than to every one kept, so links
// spread in all directions; it fills up with the nearest of the rest.
func (g *Graph) selectNeighbours(cs []cand, m int) []cand {
	if len(cs) <= m {
		return cs
	}
	out := make([]cand, 0, m)
	var rest []cand
	for _, c := range cs {
		good := true
		vc := g.vec(c.i)
		for _, o := range out {
			if g.dist(vc, o.i) < c.d {
				good = false
				break
			}
		}
		if good {
			out = append(out, c)
			if len(out) == m {
				return out
			}
		} else if len(rest) < m {
			rest = append(rest, c)
		}
	}
	for _, c := range rest {
		if len(out) == m {
			break
		}
		out = append(out, c)
	}
	return out
}

func ids(cs []cand) []int32 {
	out := make([]int32, len(cs))
	for k, c := range cs {
		out[k] = c.i
	}
	return out
}

// Search returns up to k live nodes nearest to the unit vector q, nearest first, from a
// candidate list of ef (at least k).
func (g *Graph) Search(q []float32, k, ef int) []Hit {
	if g.entry < 0 || len(q) != g.dim || k <= 0 {
		return nil
	}
	vis := g.visited()
	defer g.visits.Put(vis)
	ep := []cand{{d: g.dist(q, g.entry), i: g.entry}}
	for l := g.top; l > 0; l-- {
		ep = g.searchLayer(q, ep, 1, l, vis)
	}
	w := g.searchLayer(q, ep, max(ef, k), 0, vis)
	out := make([]Hit, 0, k)
	for _, c := range w {
		if !g.deleted[c.i] {
			out = append(out, Hit{ID: g.ids[c.i], Distance: c.d})
			if len(out) == k {
				break
			}
		}
	}
	return out
}

// searchLayer is the paper's algorithm 2: the ef nodes nearest to q on one level, found
// from the entry points, nearest first.
func (g *Graph) searchLayer(q []float32, entry []cand, ef, level int, vis *visited) []cand {
	vis.reset(len(g.ids))
	// near pops the nearest candidate; best holds the ef nearest found, keyed by negated
	// distance so that its top is the farthest of them
	var near, best minHeap
	for _, e := range entry {
		vis.mark(e.i)
		near.push(e)
		best.push(cand{d: -e.d, i: e.i})
	}
	for best.len() > ef {
		best.pop()
	}
	for near.len() > 0 {
		c := near.pop()
		if c.d > -best[0].d && best.len() >= ef {
			break
		}
		for _, n := range g.links(c.i, level) {
			if vis.mark(n) {
				continue
			}
			d := g.dist(q, n)
			if best.len() < ef || d < -best[0].d {
				near.push(cand{d: d, i: n})
				best.push(cand{d: -d, i: n})
				if best.len() > ef {
					best.pop()
				}
			}
		}
	}
	for k := range best {
		best[k].d = -best[k].d
	}
	out := []cand(best)
	slices.SortFunc(out, cmpCand)
	return out
}
