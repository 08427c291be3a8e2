package store

import (
	"strings"
	"unicode"
)

// TextTerms splits free text into at most 24 distinct lower-case words of two or more
// letters or digits, for full-text queries. Backends quote or parameterise every term, so
// no user text reaches a query language as syntax.
func TextTerms(s string) []string {
	seen := map[string]bool{}
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if len([]rune(w)) < 2 || seen[w] {
			continue
		}
		seen[w] = true
		out = append(out, w)
		if len(out) == 24 {
			break
		}
	}
	return out
}
