package llm

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// numberRe finds figures as people write them: 1.234,5 (it), 1,234.5 (en), 30%, 12k.
var numberRe = regexp.MustCompile(`[0-9]+(?:[.,'’ ][0-9]{3})*(?:[.,][0-9]+)?`)

// numbers reads every figure in a text, each in both readings when the separator is
// ambiguous (1.234 is 1234 in Italian and 1.234 in English).
func numbers(text string) [][]float64 {
	var out [][]float64
	for _, m := range numberRe.FindAllString(text, -1) {
		out = append(out, readings(m))
	}
	return out
}

func readings(s string) []float64 {
	s = strings.NewReplacer("'", "", "’", "", " ", "").Replace(s)
	var out []float64
	add := func(x string) {
		if v, err := strconv.ParseFloat(x, 64); err == nil {
			out = append(out, v)
		}
	}
	add(strings.ReplaceAll(s, ",", ""))                               // English: , groups, . decimal
	add(strings.ReplaceAll(strings.ReplaceAll(s, ".", ""), ",", ".")) // Italian: . groups, , decimal
	add(strings.ReplaceAll(s, ",", "."))                              // a lone decimal comma
	return out
}

// Evidence is every figure a draft may state: observed values, changes, thresholds,
// facts people gave, periods, and the figures of the rules' own draft.
type Evidence struct {
	values []float64
}

// Add adds figures.
func (e *Evidence) Add(vs ...float64) {
	for _, v := range vs {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			e.values = append(e.values, v, math.Abs(v))
			if math.Abs(v) <= 1 { // shares are written as percentages
				e.values = append(e.values, math.Abs(v)*100)
			}
		}
	}
}

// AddText adds every figure in a text (the rules' draft, period names).
func (e *Evidence) AddText(text string) {
	for _, rs := range numbers(text) {
		e.Add(rs...)
	}
}

// matches reports whether v is an evidence figure within rounding: the same to the
// precision the text gives, or within 1% (a rounded percentage or euro amount).
func (e *Evidence) matches(v float64) bool {
	for _, x := range e.values {
		if math.Abs(x-v) <= 0.5 && (math.Round(x) == math.Round(v) || math.Abs(x-v) <= 0.05) {
			return true
		}
		if x != 0 && math.Abs(x-v)/math.Abs(x) <= 0.01 {
			return true
		}
	}
	return false
}

// Ground checks a text against the evidence: every figure in it must be one of the
// evidence's, within rounding. It returns the figures that are not, as written.
func (e *Evidence) Ground(text string) []string {
	var bad []string
	for _, m := range numberRe.FindAllString(text, -1) {
		ok := false
		for _, v := range readings(m) {
			if v <= 10 && math.Trunc(v) == v { // small counts (one step, two people) are wording
				ok = true
			}
			if e.matches(v) {
				ok = true
			}
		}
		if !ok {
			bad = append(bad, m)
		}
	}
	return bad
}

// Failures names what failed grounding, for the logs and the reviewer.
func Failures(bad []string) string {
	return fmt.Sprintf("figures not in the evidence: %s", strings.Join(bad, ", "))
}
