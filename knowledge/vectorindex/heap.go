package vectorindex

import "cmp"

// cand is a node and its distance to the query.
type cand struct {
	d float32
	i int32
}

func cmpCand(a, b cand) int { return cmp.Compare(a.d, b.d) }

// minHeap pops the nearest candidate first.
type minHeap []cand

func (h minHeap) len() int { return len(h) }

func (h *minHeap) push(c cand) {
	*h = append(*h, c)
	s := *h
	for j := len(s) - 1; j > 0; {
		p := (j - 1) / 2
		if s[p].d <= s[j].d {
			break
		}
		s[p], s[j] = s[j], s[p]
		j = p
	}
}

func (h *minHeap) pop() cand {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	for j := 0; ; {
		l, r, small := 2*j+1, 2*j+2, j
		if l < len(s) && s[l].d < s[small].d {
			small = l
		}
		if r < len(s) && s[r].d < s[small].d {
			small = r
		}
		if small == j {
			break
		}
		s[j], s[small] = s[small], s[j]
		j = small
	}
	*h = s
	return top
}

// visited marks the nodes one search has seen: a generation stamp per node, so a search
// clears it in O(1).
type visited struct {
	stamp []uint32
	gen   uint32
}

func (g *Graph) visited() *visited {
	if v, ok := g.visits.Get().(*visited); ok {
		return v
	}
	return &visited{}
}

func (v *visited) reset(n int) {
	if len(v.stamp) < n {
		v.stamp = append(v.stamp, make([]uint32, n-len(v.stamp)+n/4)...)
	}
	v.gen++
	if v.gen == 0 {
		clear(v.stamp)
		v.gen = 1
	}
}

// mark marks node i and reports whether it was marked already.
func (v *visited) mark(i int32) bool {
	if v.stamp[i] == v.gen {
		return true
	}
	v.stamp[i] = v.gen
	return false
}
