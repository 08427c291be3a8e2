package understand

import (
	"regexp"
	"strings"
)

var anywayRe = regexp.MustCompile(`(?i)\b(answer anyway|draft anyway|reply anyway|go ahead|proceed anyway|just answer|rispondi comunque|procedi comunque|scrivi comunque|vai avanti|bozza comunque|rispondi lo stesso|procedi lo stesso)\b|^/anyway\b`)

// AnswerAnyway reports whether the text asks for a draft without waiting for open questions.
func AnswerAnyway(text string) bool {
	return anywayRe.MatchString(strings.TrimSpace(text))
}

// Candidates are every share a text could be read to state, whatever its topic: each
// quantity in it and its complement (a text that denies, "60% are junk", states 40% of the
// rest). A language model's reading of a reply is kept only when it is one of them.
func Candidates(text string, base float64) []Quantity {
	ts := tokenize(text)
	var out []Quantity
	for _, f := range scan(ts, base) {
		switch {
		case f.base || f.needBase:
			continue
		case f.bare:
			out = append(out, point(f.bareNum/100))
			if q, ok := share(f.bareNum, f.bareNum, base); ok {
				out = append(out, q, q.complement())
			}
			continue
		}
		out = append(out, f.q, f.q.complement())
	}
	return out
}
