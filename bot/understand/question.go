// Package understand is whybot's deterministic reader of chat text: it turns a question into
// an intent (which metric, which direction, what change is claimed, is it a goal) and a free
// text answer into facts (share of qualified leads, share followed up by sales), in Italian
// and English. It never executes anything it reads: the text only selects values.
package understand

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/whybot/whybot/knowledge/metric"
	"github.com/whybot/whybot/knowledge/rules"
)

// weak names match only when no other metric is named: they are also ordinary words.
var weak = map[string]bool{
	"reach": true, "spend": true, "spesa": true, "speso": true, "spent": true, "spending": true, "spendiamo": true, "spendere": true, "traffic": true, "traffico": true, "margine": true, "fan": true,
	"visite": true, "visits": true, "resi": true, "abbandono": true, "iscritti": true, "subscribers": true,
	"returns": true, "discount": true, "sconto": true, "sconti": true, "copertura": true, "follow_up": true,
	"followup": true, "customers": true, "clienti": true, "sql": true, "richieste": true, "sessions": true,
	"conversions": true, "conversioni": true,
}

// Words splits text into lower-case words (letters and digits, accents kept).
func Words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// FindMetric returns the first metric named in text: strong names first, weak ones after.
func FindMetric(words []string, phrases []metric.Phrase) (id string, at int) {
	best, bestAt, bestWeak := "", -1, true
	for _, ph := range phrases {
		n := len(ph.Words)
		isWeak := n == 1 && weak[ph.Words[0]] || weak[strings.Join(ph.Words, "_")]
		for i := 0; i+n <= len(words); i++ {
			match := true
			for k := 0; k < n; k++ {
				if words[i+k] != ph.Words[k] {
					match = false
					break
				}
			}
			if !match {
				continue
			}
			better := bestAt < 0 || (bestWeak && !isWeak) || (bestWeak == isWeak && (i < bestAt || i == bestAt && n > 1))
			if better {
				best, bestAt, bestWeak = ph.ID, i, isWeak
			}
			break
		}
	}
	return best, bestAt
}

var (
	upWords = []string{"rise", "rose", "risen", "rising", "up", "increase", "increased", "increasing", "grow", "grew", "grown", "growing",
		"jump", "jumped", "spike", "spiked", "gain", "gained", "higher", "more", "surge", "surged", "boost", "boosted", "climb", "climbed", "soared",
		"aumentati", "aumentate", "aumentato", "aumentata", "aumento", "aumentare", "cresciuti", "cresciute", "cresciuto", "cresciuta", "crescita", "crescono",
		"saliti", "salite", "salito", "salita", "balzo", "impennata", "più", "raddoppiati", "raddoppiato", "raddoppiate", "aumentano", "salgono"}
	downWords = []string{"fall", "fell", "fallen", "falling", "drop", "dropped", "dropping", "decrease", "decreased", "decline", "declined", "down",
		"lower", "less", "fewer", "plummet", "plummeted", "halved", "dip", "dipped", "shrank", "shrunk", "sank", "slump", "slumped",
		"calati", "calate", "calato", "calata", "calo", "diminuiti", "diminuite", "diminuito", "diminuita", "scesi", "scese", "sceso", "scesa",
		"crollati", "crollate", "crollato", "crollo", "persi", "perso", "dimezzati", "dimezzato", "ridotti", "ridotto", "flessione", "meno", "calano", "scendono"}
	whyWords  = []string{"why", "how come", "what caused", "perché", "perche", "come mai", "cosa ha causato", "motivo"}
	goalWords = []string{"want", "wants", "goal", "target", "aim", "reach", "hit", "get to", "achieve", "voglio", "vogliamo", "vorrei", "vorremmo",
		"obiettivo", "raggiungere", "arrivare a", "traguardo", "puntare a"}
	valueWords = []string{"quanto", "quanti", "quante", "quanta", "qual è", "qual e'", "qual è stato", "qual era", "quale è stato", "quale è stata", "quali sono stati",
		"a quanto", "how much", "how many", "what was", "what were", "what is", "what's", "what are"}
	statusWords = []string{"how are we doing", "how did we do", "how is", "how are", "summary", "report", "overview", "status",
		"come stiamo andando", "come va", "com'è andato", "come è andato", "com'e andato", "riassunto", "riepilogo", "situazione", "andamento"}
)

var tensIT = map[string]float64{"dieci": 10, "quindici": 15, "venti": 20, "venticinque": 25, "trenta": 30, "trentacinque": 35, "quaranta": 40,
	"quarantacinque": 45, "cinquanta": 50, "sessanta": 60, "settanta": 70, "settantacinque": 75, "ottanta": 80, "novanta": 90, "cento": 100, "cinque": 5}
var tensEN = map[string]float64{"five": 5, "ten": 10, "fifteen": 15, "twenty": 20, "twenty-five": 25, "thirty": 30, "forty": 40, "fifty": 50,
	"sixty": 60, "seventy": 70, "seventy-five": 75, "eighty": 80, "ninety": 90, "hundred": 100}

var (
	pctRe     = regexp.MustCompile(`([+\-−]?)\s*(\d+(?:[.,]\d+)?)\s*(?:%|per\s*cento|percento|percent|per\s*cent|pct|punti percentuali)`)
	wordPctRe = regexp.MustCompile(`\b([a-z\-]+)\s+(?:per\s*cento|percento|percent|per\s*cent)`)
	numRe     = regexp.MustCompile(`(\d{1,3}(?:[.,]\d{3})+|\d+(?:[.,]\d+)?)\s*(k|mila|mille|thousand)?\b`)
)

// ParseNumber reads "10.000", "10,000", "12,5", "12.5", "10k".
func ParseNumber(s, suffix string) (float64, bool) {
	s = strings.TrimSpace(s)
	thousands := regexp.MustCompile(`^\d{1,3}([.,]\d{3})+$`)
	var v float64
	var err error
	if thousands.MatchString(s) {
		v, err = strconv.ParseFloat(strings.NewReplacer(".", "", ",", "").Replace(s), 64)
	} else {
		v, err = strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
	}
	if err != nil {
		return 0, false
	}
	switch suffix {
	case "k", "mila", "mille", "thousand":
		v *= 1000
	}
	return v, true
}

// Question parses a question into an intent, using res for metric names. lang is "it", "en"
// or "" when the text does not say.
func Question(text string, res *metric.Resolver, phrases []metric.Phrase) (rules.Intent, string) {
	if phrases == nil {
		phrases = res.Phrases()
	}
	lower := strings.ToLower(text)
	words := Words(text)
	lang := DetectLanguage(words)
	in := rules.Intent{Kind: rules.KindWhy}
	in.Metric, _ = FindMetric(words, phrases)
	if in.Metric == "" {
		in.Metric, in.DidYouMean = metricTypo(words, phrases)
	}

	up, down := hasAnyWord(words, upWords), hasAnyWord(words, downWords)
	switch {
	case hasWordPrefix(words, "raddoppi") || hasAnyWord(words, []string{"doubled"}):
		in.ClaimedChangePct, in.Direction = ptr(100), "up"
	case hasWordPrefix(words, "triplicat") || hasAnyWord(words, []string{"tripled"}):
		in.ClaimedChangePct, in.Direction = ptr(200), "up"
	case hasWordPrefix(words, "dimezzat") || hasAnyWord(words, []string{"halved"}):
		in.ClaimedChangePct, in.Direction = ptr(-50), "down"
	case up && !down:
		in.Direction = "up"
	case down && !up:
		in.Direction = "down"
	}
	if in.ClaimedChangePct == nil {
		if m := pctRe.FindStringSubmatch(lower); m != nil {
			if v, ok := ParseNumber(m[2], ""); ok {
				switch {
				case m[1] == "-" || m[1] == "−":
					v, in.Direction = -v, "down"
				case m[1] == "+":
					in.Direction = "up"
				case in.Direction == "down":
					v = -v
				}
				in.ClaimedChangePct = ptr(v)
			}
		} else if m := wordPctRe.FindStringSubmatch(lower); m != nil {
			v, ok := tensIT[m[1]]
			if !ok {
				v, ok = tensEN[m[1]]
			}
			if ok {
				if in.Direction == "down" {
					v = -v
				}
				in.ClaimedChangePct = ptr(v)
			}
		}
	}
	goal := hasAnyPhrase(lower, words, goalWords)
	why := hasAnyPhrase(lower, words, whyWords)
	if goal && !why {
		in.Kind = rules.KindGoal
		if in.ClaimedChangePct == nil {
			for _, m := range numRe.FindAllStringSubmatch(lower, -1) {
				if v, ok := ParseNumber(m[1], m[2]); ok && v >= 10 {
					in.Target = ptr(v)
					break
				}
			}
		}
		if in.Direction == "" {
			in.Direction = "up"
		}
	} else if figures := Figures(text, phrases); !why && isReport(lower, words, figures) {
		in = rules.Intent{Kind: rules.KindReport, Figures: figures}
	} else if !why && in.ClaimedChangePct == nil && (hasAnyPhrase(lower, words, valueWords) && (in.Metric != "" || valueSubject(lower) != "") ||
		in.Metric != "" && in.Direction == "" && namesTime(text)) {
		in.Kind = rules.KindValue
		if in.Metric == "" {
			in.Unknown = valueSubject(lower)
		}
	} else if !why && in.Direction == "" && in.ClaimedChangePct == nil && (hasAnyPhrase(lower, words, statusWords) || in.Metric == "") {
		in.Kind = rules.KindStatus
	}
	if in.Metric == "" && in.Kind != rules.KindStatus && in.Unknown == "" {
		in.Unknown = unknownSubject(lower)
	}
	return in, lang
}

var (
	unknownEN = regexp.MustCompile(`why (?:did|have|has|are|is|were|was|do|does)\s+(?:our|the|my|these|those)?\s*([a-z][a-z \-]{1,40}?)\s+(?:rise|go up|grow|increase|jump|fall|drop|decrease|decline|go down|rose|fell|grew|dropped|increased|decreased|jumped|been|change|changed|so)`)
	unknownIT = regexp.MustCompile(`perch[eé]\s+(?:i |il |la |le |lo |gli |l'|l’)?\s*([a-zà-ù][a-zà-ù \-]{1,40}?)\s+(?:sono |è |e' |hanno |ha )?(?:aumentat|cresciut|calat|diminuit|scesi|scese|sceso|crollat|salit|cambiat|così|cosi)`)
)

var (
	valueEN = regexp.MustCompile(`how (?:much|many)\s+([a-z][a-z \-]{1,40}?)\s+(?:did|do|does|have|has|were|was|are|is|in|on|for|this|last|we|did|so|since)\b`)
	valueIT = regexp.MustCompile(`quant[oiea]\s+([a-zà-ù][a-zà-ù \-]{1,40}?)\s+(?:abbiamo|avete|hanno|ha|sono|è|a|ad|in|nel|nell|di|del|questo|quest|lo|il|da|dal|nello|negli|nei)\b`)
)

// namesTime reports whether a question names a month, a quarter or a year ("lead a
// ottobre?", "spend in Q3"): with a metric and nothing else asked, it asks for the figure.
func namesTime(text string) bool {
	s := ParseSpan(text, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{})
	return s != nil && s.Kind != ""
}

// valueSubject is what a direct question asks the amount of ("how many new patients in
// March" → "new patients"), or "".
func valueSubject(lower string) string { return subject(lower, valueEN, valueIT) }

// unknownSubject is what a why question asks about when it names no metric, or "".
func unknownSubject(lower string) string { return subject(lower, unknownEN, unknownIT) }

// subject is the words the first matching pattern captures, at most the last four.
func subject(lower string, patterns ...*regexp.Regexp) string {
	for _, re := range patterns {
		if m := re.FindStringSubmatch(lower); m != nil {
			w := strings.Fields(m[1])
			if len(w) > 4 {
				w = w[len(w)-4:]
			}
			return strings.Join(w, " ")
		}
	}
	return ""
}

var itMarkers = map[string]bool{"perché": true, "perche": true, "il": true, "lo": true, "la": true, "gli": true, "le": true, "sono": true, "è": true,
	"del": true, "della": true, "dei": true, "di": true, "che": true, "questo": true, "questa": true, "mese": true, "nostri": true, "nostro": true,
	"come": true, "mai": true, "cosa": true, "quanto": true, "non": true, "solo": true, "hanno": true, "ha": true, "vendite": true, "anche": true,
	"voglio": true, "vorrei": true, "entro": true, "follower": true, "aumentati": true, "calati": true, "sei": true, "mesi": true, "ne": true,
	"tutti": true, "nessuno": true, "rispetto": true, "anno": true, "scorso": true, "trimestre": true, "abbiamo": true, "nel": true, "nella": true, "quanti": true, "quante": true, "speso": true, "quarto": true, "metà": true, "circa": true, "ci": true, "una": true, "un": true, "per": true, "cento": true}
var enMarkers = map[string]bool{"why": true, "did": true, "the": true, "is": true, "are": true, "our": true, "this": true, "month": true, "how": true,
	"what": true, "rise": true, "fall": true, "were": true, "was": true, "of": true, "them": true, "all": true, "about": true, "called": true,
	"we": true, "want": true, "in": true, "by": true, "so": true, "much": true, "only": true, "and": true, "sales": true, "qualified": true,
	"followers": true, "months": true, "last": true, "leads": true, "do": true, "have": true, "has": true, "none": true, "half": true}

// DetectLanguage guesses "it" or "en" from function words; "" when unsure.
func DetectLanguage(words []string) string {
	it, en := 0, 0
	for _, w := range words {
		if itMarkers[w] {
			it++
		}
		if enMarkers[w] {
			en++
		}
	}
	switch {
	case it > en:
		return "it"
	case en > it:
		return "en"
	}
	return ""
}

func hasAnyWord(words, list []string) bool {
	for _, w := range words {
		for _, l := range list {
			if w == l {
				return true
			}
		}
	}
	return false
}

func hasWordPrefix(words []string, prefix string) bool {
	for _, w := range words {
		if strings.HasPrefix(w, prefix) {
			return true
		}
	}
	return false
}

// hasAnyPhrase matches single words against the word list and multi-word phrases against text.
func hasAnyPhrase(lower string, words, list []string) bool {
	for _, l := range list {
		if strings.Contains(l, " ") || strings.Contains(l, "'") {
			if strings.Contains(lower, l) {
				return true
			}
			continue
		}
		for _, w := range words {
			if w == l {
				return true
			}
		}
	}
	return false
}

func ptr(v float64) *float64 {
	v = math.Round(v*100) / 100
	return &v
}

// notMetricTypos are common words one letter from a metric's name ("spesso" is not "speso").
var notMetricTypos = map[string]bool{"spesso": true, "stesso": true, "stessi": true, "stessa": true, "costo": true, "costi": true,
	"clienti": true, "cliente": true, "vendita": true, "vendite": true, "leader": true, "reached": true}

// metricTypo finds a metric named with a typo ("contati" for contatti, "folowers"): a word
// of five letters or more one letter from a name of six or more (two from eight, with the
// same first two letters), with the same first letter; in a name of several words, one
// word off. The nearest match wins, then the longest name; a tie between metrics is no
// match. It returns the metric and the words as written.
func metricTypo(words []string, phrases []metric.Phrase) (id, written string) {
	dist := func(w, p string) int {
		if len(w) < 5 || len(p) < 6 || w[0] != p[0] || stopWords[w] || notMetricTypos[w] {
			return 99
		}
		limit := 1
		if len(p) >= 8 && len(w) >= 8 && w[1] == p[1] {
			limit = 2
		}
		if d := distance(w, p, limit); d <= limit {
			return d
		}
		return 99
	}
	type match struct {
		id, written string
		d, n        int
	}
	var best []match
	for _, ph := range phrases {
		n := len(ph.Words)
		for i := 0; i+n <= len(words); i++ {
			d, off := 0, 0
			for k := 0; k < n && off <= 1; k++ {
				if words[i+k] != ph.Words[k] {
					d, off = dist(words[i+k], ph.Words[k]), off+1
				}
			}
			if off != 1 || d == 99 {
				continue
			}
			m := match{ph.ID, strings.Join(words[i:i+n], " "), d, n}
			switch {
			case len(best) == 0 || d < best[0].d || d == best[0].d && n > best[0].n:
				best = []match{m}
			case d == best[0].d && n == best[0].n && m.id != best[0].id:
				best = append(best, m)
			}
		}
	}
	if len(best) != 1 {
		return "", ""
	}
	return best[0].id, best[0].written
}
