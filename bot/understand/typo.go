package understand

import "strings"

var (
	vocabulary = map[string]bool{}
	stems      []string              // words that match by prefix ("qualificat")
	byFirst    = map[byte][]string{} // the vocabulary by first letter, for typo lookups
)

// buildVocabulary gathers every word the reader knows, for typo correction.
func buildVocabulary() {
	lists := []*phraseSet{qualityPos, qualityNeg, followPos, followNeg, followWeak, negWords, flipWords, unsureWords, laterWords,
		hedgeWords, approxBefore, approxAfter, correctionWords, yesWords}
	for _, q := range quantityPhrases {
		lists = append(lists, q.p)
	}
	lists = append(lists, exceptWords, allWords, zeroWords, yetWords, lowerBounds, upperBounds, percentWords)
	add := func(w string) {
		if len(w) >= 4 && !vocabulary[w] {
			vocabulary[w] = true
			byFirst[w[0]] = append(byFirst[w[0]], w)
		}
	}
	for _, list := range lists {
		for _, p := range list.all {
			for _, w := range p {
				if stem, ok := strings.CutSuffix(w, "*"); ok {
					stems = append(stems, stem)
					for _, end := range []string{"i", "o", "e", "a"} {
						add(stem + end)
					}
					continue
				}
				add(w)
			}
		}
	}
	// numbers in words only when long enough not to be a typo of a common word ("cento"
	// is one letter from "certo")
	for _, list := range []map[string]float64{unitsIT, unitsEN, tensEN2} {
		for w := range list {
			stopWords[w] = true // a number is never taken for a typo ("nove" is not "none")
			if len(w) >= 7 {
				add(w)
			}
		}
	}
	for _, t := range tensIT2 {
		if len(t.stem) >= 7 {
			add(t.stem)
		}
	}
}

// correct returns the vocabulary word a word is a typo of ("tuti": "tutti", "folowed":
// "followed"), or the word itself: one letter off for words of 4 letters or more, two for
// 8 or more (then with the same first two letters), the same first letter, one best match
// only. Common words are never changed.
func correct(w string) string {
	if len(w) < 4 || stopWords[w] || vocabulary[w] {
		return w
	}
	for _, s := range stems {
		if strings.HasPrefix(w, s) {
			return w
		}
	}
	limit := 1
	if len(w) >= 8 {
		limit = 2
	}
	bestD := limit + 1
	var best []string
	for _, v := range byFirst[w[0]] {
		if d := len(v) - len(w); d > limit || d < -limit {
			continue
		}
		if limit == 2 && (len(v) < 2 || v[1] != w[1]) { // two letters off only from the same start: "minority" is not "majority"
			continue
		}
		d := distance(w, v, limit)
		switch {
		case d < bestD:
			best, bestD = []string{v}, d
		case d == bestD:
			best = append(best, v)
		}
	}
	if bestD > limit {
		return w
	}
	return tieBreak(w, best)
}

// tieBreak picks among vocabulary words equally near a typo: the one that begins the
// other ("pochii": "pochi"), else the one longer than it, as a letter left out is the
// commonest typo ("nessuo": "nessuno"); with no single one, the word stays as it is.
func tieBreak(w string, cands []string) string {
	if len(cands) == 1 {
		return cands[0]
	}
	for _, rule := range []func(string) bool{
		func(v string) bool { return strings.HasPrefix(w, v) || strings.HasPrefix(v, w) },
		func(v string) bool { return len(v) > len(w) },
	} {
		var pick []string
		for _, v := range cands {
			if rule(v) {
				pick = append(pick, v)
			}
		}
		if len(pick) == 1 {
			return pick[0]
		}
	}
	return w
}

// distance is the optimal string alignment distance of a and b (insertions, deletions,
// substitutions and swaps of neighbours), or limit+1 once it is sure to exceed limit.
func distance(a, b string, limit int) int {
	if a == b {
		return 0
	}
	la, lb := len(a), len(b)
	prev2 := make([]int, lb+1)
	prev := make([]int, lb+1)
	cur := make([]int, lb+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= la; i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= lb; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[lb]
}
