package vectorindex_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/vectorindex"
)

type setup struct {
	vecs [][]float32
	g    *vectorindex.Graph
}

// clustered returns n unit vectors of dim around 50 centres, as texts on a few topics are.
func clustered(r *rand.Rand, n, dim int) [][]float32 {
	centres := make([][]float32, 50)
	for i := range centres {
		centres[i] = randomUnit(r, dim, nil, 0)
	}
	out := make([][]float32, n)
	for i := range out {
		out[i] = randomUnit(r, dim, centres[r.IntN(len(centres))], 3)
	}
	return out
}

func randomUnit(r *rand.Rand, dim int, around []float32, spread float64) []float32 {
	v := make([]float32, dim)
	var n float64
	for d := range v {
		x := r.NormFloat64()
		if around != nil {
			x = float64(around[d]) + spread*x/math.Sqrt(float64(dim))
		}
		v[d] = float32(x)
		n += x * x
	}
	for d := range v {
		v[d] /= float32(math.Sqrt(n))
	}
	return v
}

func newSetup(t *testing.T, n int) *setup {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	s := &setup{vecs: clustered(r, n, 64), g: vectorindex.New(64, vectorindex.DefaultParams)}
	for i, v := range s.vecs {
		s.g.Add(int64(i+1), v)
	}
	return s
}

// exact is the k nearest ids by a full scan, skipping dead ones.
func (s *setup) exact(q []float32, k int, dead map[int64]bool) []int64 {
	type scored struct {
		id int64
		d  float64
	}
	var all []scored
	for i, v := range s.vecs {
		if dead[int64(i+1)] {
			continue
		}
		var dot float64
		for d := range v {
			dot += float64(v[d]) * float64(q[d])
		}
		all = append(all, scored{int64(i + 1), 1 - dot})
	}
	slices.SortFunc(all, func(a, b scored) int { return int(math.Copysign(1, a.d-b.d)) })
	out := make([]int64, k)
	for i := range out {
		out[i] = all[i].id
	}
	return out
}

func ids(hits []vectorindex.Hit) []int64 {
	out := make([]int64, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}

func TestGraphRecall(t *testing.T) {
	t.Parallel()
	s := newSetup(t, 5000)
	r := rand.New(rand.NewPCG(3, 4))
	found := 0
	for range 200 {
		q := randomUnit(r, 64, s.vecs[r.IntN(len(s.vecs))], 3)
		hits := s.g.Search(q, 10, 128)
		require.Len(t, hits, 10)
		require.True(t, slices.IsSortedFunc(hits, func(a, b vectorindex.Hit) int { return int(math.Copysign(1, float64(a.Distance-b.Distance))) }), "nearest first")
		want := s.exact(q, 10, nil)
		for _, id := range ids(hits) {
			if slices.Contains(want, id) {
				found++
			}
		}
	}
	recall := float64(found) / 2000
	require.GreaterOrEqual(t, recall, 0.95, "recall@10 at a list of 128")
	t.Logf("recall@10 = %.3f", recall)
}

func TestGraphFindsItsOwnVectors(t *testing.T) {
	t.Parallel()
	s := newSetup(t, 2000)
	for i := 0; i < len(s.vecs); i += 97 {
		hits := s.g.Search(s.vecs[i], 1, 32)
		require.Equal(t, int64(i+1), hits[0].ID)
		require.InDelta(t, 0, hits[0].Distance, 1e-5)
	}
}

func TestGraphDeleteAndReplace(t *testing.T) {
	t.Parallel()
	s := newSetup(t, 2000)
	q := s.vecs[10]
	require.True(t, s.g.Delete(11))
	require.False(t, s.g.Delete(11), "deleted once")
	require.False(t, s.g.Has(11))
	require.Equal(t, 1999, s.g.Len())
	require.Equal(t, 1, s.g.Dead())
	dead := map[int64]bool{11: true}
	hits := s.g.Search(q, 5, 64)
	require.NotContains(t, ids(hits), int64(11), "a deleted node is not found")
	require.Equal(t, s.exact(q, 5, dead), ids(hits), "its neighbours still are")

	// a vector added again under an id replaces the old one
	s.g.Add(12, q)
	hits = s.g.Search(q, 1, 64)
	require.Equal(t, int64(12), hits[0].ID)
	require.Equal(t, 1999, s.g.Len())
	var live []int64
	s.g.IDs(func(id int64) { live = append(live, id) })
	require.Len(t, live, 1999)
	require.NotContains(t, live, int64(11))
}

func TestGraphEmptyAndSmall(t *testing.T) {
	t.Parallel()
	g := vectorindex.New(8, vectorindex.Params{})
	require.Empty(t, g.Search(make([]float32, 8), 3, 10))
	v := []float32{1, 0, 0, 0, 0, 0, 0, 0}
	g.Add(7, v)
	require.Equal(t, []int64{7}, ids(g.Search(v, 3, 10)), "fewer nodes than asked: all of them")
	require.Empty(t, g.Search(v[:4], 3, 10), "a vector of another size finds nothing")
	require.Panics(t, func() { g.Add(8, v[:4]) })
	g.Delete(7)
	require.Empty(t, g.Search(v, 3, 10))
}

func TestGraphConcurrentSearches(t *testing.T) {
	t.Parallel()
	s := newSetup(t, 2000)
	want := make([][]int64, 50)
	for i := range want {
		want[i] = ids(s.g.Search(s.vecs[i*7], 5, 64))
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := range want {
				require.Equal(t, want[i], ids(s.g.Search(s.vecs[i*7], 5, 64)))
			}
		})
	}
	wg.Wait()
}
