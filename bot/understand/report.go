package understand

import (
	"math"
	"regexp"
	"strings"

	"github.com/whybot/whybot/knowledge/metric"
	"github.com/whybot/whybot/knowledge/rules"
)

// reportWords ask what a whole report, or a list of numbers, means.
var reportWords = []string{
	"questo report", "il report", "del report", "questi numeri", "questi dati", "cosa significa", "che cosa significa", "cosa vuol dire",
	"che cosa vuol dire", "cosa mi dice", "spiegami", "interpretare", "come leggo", "come interpreto",
	"this report", "the report", "these numbers", "these figures", "what does this mean", "what do these mean", "what does it mean",
	"explain", "interpret", "make sense of", "how do i read",
}

// channelWords name a channel in an asker's figure ("38% delle conversioni da social a
// pagamento"), longest first.
var channelWords = []struct{ phrase, channel string }{
	{"social a pagamento", "paid_social"}, {"paid social", "paid_social"}, {"social ads", "paid_social"}, {"meta ads", "paid_social"},
	{"facebook ads", "paid_social"}, {"ricerca a pagamento", "search"}, {"paid search", "search"}, {"google ads", "search"},
	{"organico", "organic"}, {"organica", "organic"}, {"organic", "organic"}, {"newsletter", "email"}, {"email", "email"},
	{"referral", "referral"}, {"diretto", "direct"}, {"direct", "direct"},
}

var (
	signedPctRe = regexp.MustCompile(`([+\-−–])\s*(\d+(?:[.,]\d+)?)\s*(?:%|per\s*cento|percent)`)
	plainPctRe  = regexp.MustCompile(`(\d+(?:[.,]\d+)?)\s*(?:%|per\s*cento|percent)`)
	secondsRe   = regexp.MustCompile(`(\d+(?:[.,]\d+)?)\s*(?:s|sec|secondi|seconds|secs)\b`)
	signedNumRe = regexp.MustCompile(`(?:^|\s|\()([+\-−–])\s?(\d{1,3}(?:[.,]\d{3})+|\d+(?:[.,]\d+)?)\s*(k|mila)?`)
	plainNumRe  = regexp.MustCompile(`(\d{1,3}(?:[.,]\d{3})+|\d+(?:[.,]\d+)?)\s*(k|mila)?`)
	clauseRe    = regexp.MustCompile(`,\s+|[;:?!\n]+|\s+e\s+|\s+and\s+|\.\s+`)
	fromRe      = regexp.MustCompile(`\b(?:da|dal|dallo|dalla|dai|dagli|dalle|from|via|through)\s+(?:il |lo |la |i |gli |le |the )?(.+)`)
)

// Figures reads the numbers an asker typed into a question ("traffico organico -15%,
// tempo medio sulla pagina 42 s, 38% delle conversioni da social a pagamento"), one per
// clause that names a metric, or something like one, and a figure. They are the asker's:
// the rules compare them with the data, and never take them for facts.
func Figures(text string, phrases []metric.Phrase) []rules.AskerFigure {
	var out []rules.AskerFigure
	lower := strings.ToLower(text)
	if len(lower) > 4000 {
		lower = lower[:4000]
	}
	for _, clause := range clauseRe.Split(lower, -1) {
		words := Words(clause)
		id, _ := FindMetric(words, phrases)
		f, ok := figureIn(withoutName(clause, id, phrases), words)
		if !ok {
			continue
		}
		f.Metric = id
		f.Name = metricWords(clause, id, phrases)
		if f.Name == "" {
			continue // a number with nothing it is of
		}
		out = append(out, f)
	}
	return out
}

// withoutName is a clause without the words that name its metric: "traffico organico"
// names a metric, not the organic channel.
func withoutName(clause, id string, phrases []metric.Phrase) string {
	for _, ph := range phrases {
		if ph.ID == id {
			clause = strings.ReplaceAll(clause, strings.Join(ph.Words, " "), " ")
		}
	}
	return clause
}

// figureIn is the figure of a clause: a change (a signed percentage, or a percentage with
// a word of rising or falling), a share of a channel, a duration, or a value.
func figureIn(clause string, words []string) (rules.AskerFigure, bool) {
	num := func(s string) float64 { v, _ := ParseNumber(s, ""); return v }
	if loc := signedPctRe.FindStringSubmatchIndex(clause); loc != nil {
		v := num(clause[loc[4]:loc[5]])
		if clause[loc[2]:loc[3]] != "+" {
			v = -v
		}
		// "sessioni 12.400 (+8%)": the value, with its change
		rest := clause[:loc[0]] + " " + clause[loc[1]:]
		if m := plainNumRe.FindStringSubmatch(rest); m != nil {
			if x, ok := ParseNumber(m[1], m[2]); ok {
				c := v
				return rules.AskerFigure{Kind: "value", Value: x, Change: &c}, true
			}
		}
		return rules.AskerFigure{Kind: "change", Value: v}, true
	}
	if m := plainPctRe.FindStringSubmatch(clause); m != nil {
		v := num(m[1])
		if from := fromRe.FindStringSubmatch(clause); from != nil { // "dal paid social", "from email"
			for _, c := range channelWords {
				if strings.HasPrefix(from[1], c.phrase) {
					return rules.AskerFigure{Kind: "share", Value: math.Round(v*1000) / 100000, Part: c.channel}, true
				}
			}
		}
		switch {
		case hasAnyWord(words, downWords):
			return rules.AskerFigure{Kind: "change", Value: -v}, true
		case hasAnyWord(words, upWords):
			return rules.AskerFigure{Kind: "change", Value: v}, true
		}
		return rules.AskerFigure{Kind: "percent", Value: math.Round(v*1000) / 100000}, true
	}
	if m := secondsRe.FindStringSubmatch(clause); m != nil {
		return rules.AskerFigure{Kind: "value", Value: num(m[1])}, true
	}
	if m := signedNumRe.FindStringSubmatch(clause); m != nil { // "follower +120": a change in units
		v, ok := ParseNumber(m[2], m[3])
		if m[1] != "+" {
			v = -v
		}
		return rules.AskerFigure{Kind: "delta", Value: v}, ok
	}
	if m := plainNumRe.FindStringSubmatch(clause); m != nil {
		v, ok := ParseNumber(m[1], m[2])
		return rules.AskerFigure{Kind: "value", Value: v}, ok
	}
	return rules.AskerFigure{}, false
}

// metricWords are the words of a clause that name its metric: the metric's name when one
// matched, else the clause's words that are not the figure, at most four.
func metricWords(clause, id string, phrases []metric.Phrase) string {
	if id != "" {
		return id
	}
	before := clause
	if loc := plainNumRe.FindStringIndex(clause); loc != nil && len(Words(clause[:loc[0]])) > 0 {
		before = clause[:loc[0]] // the words before the figure name it
	}
	var kept []string
	for _, w := range Words(before) {
		if !plainNumRe.MatchString(w) {
			kept = append(kept, w)
		}
	}
	for len(kept) > 0 && stop[kept[0]] { // "il report dice: la frequenza di rimbalzo" → "frequenza di rimbalzo"
		kept = kept[1:]
	}
	for len(kept) > 0 && stop[kept[len(kept)-1]] {
		kept = kept[:len(kept)-1]
	}
	if len(kept) > 4 {
		kept = kept[len(kept)-4:]
	}
	return strings.Join(kept, " ")
}

// stop are the words left out of an unknown metric's name.
var stop = map[string]bool{"il": true, "la": true, "lo": true, "i": true, "gli": true, "le": true, "di": true, "del": true, "della": true,
	"dei": true, "delle": true, "da": true, "dal": true, "a": true, "in": true, "the": true, "of": true, "from": true, "our": true,
	"nostro": true, "nostra": true, "s": true, "sec": true, "secondi": true, "seconds": true, "per": true, "cento": true, "percent": true,
	"cosa": true, "significa": true, "what": true, "does": true, "do": true, "this": true, "these": true, "mean": true, "report": true,
	"questo": true, "numbers": true, "numeri": true, "was": true, "is": true, "are": true, "è": true, "sono": true}

// isReport reports whether a question asks what a report or a list of numbers means.
func isReport(lower string, words []string, figures []rules.AskerFigure) bool {
	return hasAnyPhrase(lower, words, reportWords) || len(figures) >= 2
}
