package kpi

import (
	"hash/maphash"
	"slices"
)

// duplicates finds the rows that repeat the (period, metric, dimensions) key of an earlier
// row: pairs of (row, the earlier row), in row order. It sorts the rows' key hashes, 12
// bytes a row, instead of keeping a map of every key; rows whose hashes are equal are
// compared, so a collision is never taken for a duplicate.
func duplicates(rows []Row) [][2]int {
	seed := maphash.MakeSeed()
	hashes := make([]uint64, len(rows))
	for i := range rows {
		hashes[i] = keyHash(seed, rows[i])
	}
	order := make([]int32, len(rows))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		if hashes[a] != hashes[b] {
			if hashes[a] < hashes[b] {
				return -1
			}
			return 1
		}
		return int(a - b) // the earlier row first
	})
	var out [][2]int
	for i := 0; i < len(order); {
		j := i + 1
		for j < len(order) && hashes[order[j]] == hashes[order[i]] {
			j++
		}
		for k := i + 1; k < j; k++ { // a run of equal hashes: find each row's earliest twin
			for m := i; m < k; m++ {
				if sameKey(rows[order[m]], rows[order[k]]) {
					out = append(out, [2]int{int(order[k]), int(order[m])})
					break
				}
			}
		}
		i = j
	}
	slices.SortFunc(out, func(a, b [2]int) int { return a[0] - b[0] })
	return out
}

func keyHash(seed maphash.Seed, r Row) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	k := keyOf(r.Period)
	var b [8]byte
	for i := range 8 {
		b[i] = byte(k.start >> (8 * i))
	}
	h.Write(b[:])
	h.WriteString(string(k.g))
	for _, s := range [...]string{r.Metric, r.Dims.Channel, r.Dims.Segment, r.Dims.Campaign, r.Dims.Source, r.Dims.Medium} {
		h.WriteString(s)
		h.WriteByte(0)
	}
	return h.Sum64()
}

func sameKey(a, b Row) bool {
	return keyOf(a.Period) == keyOf(b.Period) && a.Metric == b.Metric && a.Dims == b.Dims
}
