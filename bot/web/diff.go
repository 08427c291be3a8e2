package web

import "strings"

// diffPart is a run of words the same in both texts, removed from the draft, or added.
type diffPart struct {
	Op   string // same | del | add
	Text string
}

// wordDiff is the word-level difference between a draft and its edited text (longest
// common subsequence; drafts are a few hundred words).
func wordDiff(a, b string) []diffPart {
	x, y := strings.Fields(a), strings.Fields(b)
	if len(x)*len(y) > 4_000_000 { // too long to compare word by word: show the swap
		return []diffPart{{Op: "del", Text: a}, {Op: "add", Text: b}}
	}
	n, m := len(x), len(y)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []diffPart
	add := func(op, w string) {
		if k := len(out) - 1; k >= 0 && out[k].Op == op {
			out[k].Text += " " + w
			return
		}
		out = append(out, diffPart{Op: op, Text: w})
	}
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case x[i] == y[j]:
			add("same", x[i])
			i, j = i+1, j+1
		case lcs[i+1][j] >= lcs[i][j+1]:
			add("del", x[i])
			i++
		default:
			add("add", y[j])
			j++
		}
	}
	for ; i < n; i++ {
		add("del", x[i])
	}
	for ; j < m; j++ {
		add("add", y[j])
	}
	return out
}
