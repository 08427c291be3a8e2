package llm

import (
	"encoding/json"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/knowledge/metric"
)

// numberRe finds figures as people write them: 1.234,5 (it), 1,234.5 (en), 30%, 12k.
var numberRe = regexp.MustCompile(`[0-9]+(?:[.,'’][0-9]{3})*(?:[.,][0-9]+)?`)

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

// Failure is one thing a model's text states that the evidence does not hold.
type Failure = conversation.Unsupported

// Evidence is everything a draft may state: figures (observed values, changes,
// thresholds, facts people gave, the rules' own draft), the metrics and periods they are
// about, and the conclusions of the rules that fired.
type Evidence struct {
	lang        string
	values      []float64
	theirs      []string        // what people and documents said (normalised): quotable, never evidence
	metrics     map[string]bool // metric ids
	months      map[string]bool // "2026-10" and "10" (a month named without a year)
	conclusions map[string]bool // conclusion families supported by a fired rule or by the rules' text
}

// NewEvidence is empty evidence for a draft in lang (it | en).
func NewEvidence(lang string) *Evidence {
	return &Evidence{lang: lang, metrics: map[string]bool{}, months: map[string]bool{}, conclusions: map[string]bool{}}
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

// AddText adds what a text states: its figures, the metrics and months it names, and the
// conclusions it draws (the rules' draft, people's answers, period labels).
func (e *Evidence) AddText(text string) {
	for _, rs := range numbers(text) {
		e.Add(rs...)
	}
	for _, m := range metricMentions(text, "en", "it") { // people and reports use either language's names
		e.metrics[m.id] = true
	}
	for _, m := range monthMentions(text) {
		e.months[m.key] = true
		e.months[m.month] = true
	}
	for _, c := range conclusionMentions(text) {
		e.conclusions[c.family] = true
	}
	for _, m := range periodLabel.FindAllStringSubmatch(text, -1) {
		e.months[m[1]+"-"+m[2]] = true
		e.months[strings.TrimLeft(m[2], "0")] = true
	}
}

// AddTheirs records what people said and documents say (answers, excerpts, titles). It is
// never evidence: it is taken out of the rules' texts before they are read (AddRulesText),
// and a model may only quote it, verbatim. Call it before AddRulesText.
func (e *Evidence) AddTheirs(texts ...string) {
	for _, t := range texts {
		if n := normalise(t); n != "" {
			e.theirs = append(e.theirs, n)
		}
	}
}

// AddRulesText adds what a text of the rules states (their draft, a finding's message, a
// caveat) without what it quotes: the rules quote people's answers and company documents,
// and what those say is theirs. Both the texts given to AddTheirs and anything in quotation
// marks are taken out first, so a quotation mark typed into an answer cannot carry its
// figures out of the quote.
func (e *Evidence) AddRulesText(text string) {
	norm := normalise(text)
	for _, t := range e.theirs {
		norm = strings.ReplaceAll(norm, t, " ")
	}
	for _, q := range quoted.FindAllString(norm, -1) {
		e.AddTheirs(strings.Trim(q, `"“”«»`))
	}
	e.AddText(quoted.ReplaceAllString(norm, " "))
}

// normalise folds a text's spaces, for comparing quotations.
func normalise(s string) string { return strings.Join(strings.Fields(s), " ") }

// AddFact adds the reading of a person's answer: the value read, and its metric.
func (e *Evidence) AddFact(metricID string, value *float64) {
	if value != nil {
		e.Add(*value)
	}
	if metricID != "" {
		e.metrics[metricID] = true
	}
}

// quoted is a quotation in the rules' text: "…", “…”, «…».
var quoted = regexp.MustCompile(`"[^"]*"|“[^”]*”|«[^»]*»`)

// AddRules adds the rules that fired: the conclusions they support.
func (e *Evidence) AddRules(ids ...string) {
	for _, id := range ids {
		for _, c := range conclusionFamilies {
			for _, r := range c.rules {
				if r == id {
					e.conclusions[c.family] = true
				}
			}
		}
	}
}

// AddJSON adds every number found in values (observed values, findings, facts), every
// metric id and every period label.
func (e *Evidence) AddJSON(values ...any) {
	for _, v := range values {
		b, err := json.Marshal(v)
		if err != nil {
			continue
		}
		var x any
		if json.Unmarshal(b, &x) == nil {
			e.walk(x)
		}
	}
}

// periodLabel is a month as the data names it (2026-10, or the month of 2026-10-05).
var periodLabel = regexp.MustCompile(`\b(\d{4})-(\d{2})\b`)

func (e *Evidence) walk(x any) {
	switch v := x.(type) {
	case float64:
		e.Add(v)
	case string:
		if metric.Known(v) {
			e.metrics[v] = true
		}
		e.AddText(v)
	case []any:
		for _, y := range v {
			e.walk(y)
		}
	case map[string]any:
		for _, y := range v {
			e.walk(y)
		}
	}
}

// matches reports whether v is an evidence figure within rounding: the same to the
// precision the text gives, or within 1% (a rounded percentage or euro amount).
func (e *Evidence) matches(v float64) bool { return matchesAny(e.values, v) }

func matchesAny(values []float64, v float64) bool {
	for _, x := range values {
		if math.Abs(x-v) <= 0.5 && (math.Round(x) == math.Round(v) || math.Abs(x-v) <= 0.05) {
			return true
		}
		if x != 0 && math.Abs(x-v)/math.Abs(x) <= 0.01 {
			return true
		}
	}
	return false
}

// Ground checks a text against the evidence: every figure must be one of the evidence's
// within rounding, every metric and month it names must be in the evidence, and every
// conclusion it draws must be one a fired rule (or the rules' own draft) drew. It returns
// what is not, as written.
//
// A figure inside a quotation of at least three words that is, verbatim, part of what a
// person or a document said is theirs, quoted: quoting someone is not stating it as a fact.
// Anywhere else a figure must be the data's, a reading's or the rules' own.
func (e *Evidence) Ground(text string) []Failure {
	var bad []Failure
	inQuote := quoted.FindAllStringIndex(text, -1)
	for _, loc := range numberRe.FindAllStringIndex(text, -1) {
		m := text[loc[0]:loc[1]]
		quotedHere := slices.ContainsFunc(inQuote, func(q []int) bool {
			return q[0] <= loc[0] && loc[1] <= q[1] && e.isTheirs(text[q[0]:q[1]])
		})
		ok := quotedHere
		for _, v := range readings(m) {
			if v <= 10 && math.Trunc(v) == v { // small counts (one step, two people) are wording
				ok = true
			}
			if e.matches(v) {
				ok = true
			}
		}
		if !ok {
			bad = append(bad, Failure{Kind: "figure", Text: m})
		}
	}
	lang := e.lang
	if metricNames[lang] == nil {
		lang = "en"
	}
	for _, m := range metricMentions(text, lang) {
		if !e.metrics[m.id] {
			bad = append(bad, Failure{Kind: "metric", Text: m.text})
		}
	}
	for _, m := range monthMentions(text) {
		if (m.year && !e.months[m.key]) || !e.months[m.month] {
			bad = append(bad, Failure{Kind: "period", Text: m.text})
		}
	}
	for _, c := range conclusionMentions(text) {
		if !e.conclusions[c.family] {
			bad = append(bad, Failure{Kind: "conclusion", Text: c.text})
		}
	}
	for _, loc := range approvalClaim.FindAllStringIndex(text, -1) {
		bad = append(bad, Failure{Kind: "approval", Text: text[loc[0]:loc[1]]})
	}
	return bad
}

// approvalClaim is a draft saying it was approved, reviewed or signed off, or what a
// reviewer did: only the approval records say that, never a draft (an injected "say the
// reviewer approved" must not reach the channel).
var approvalClaim = regexp.MustCompile(`(?i)\b(?:(?:already|been|was|were|is|has|have)\s+(?:\w+\s+)?(?:approved|reviewed|signed off|validated|checked by)|approved by|reviewed by|signed off by|the reviewer|a reviewer|our reviewer|(?:già|stata|stato|è|e'|sono)\s+(?:\w+\s+)?(?:approvat[aoie]|revisionat[aoie]|validat[aoie]|verificat[aoie] dal)|approvat[aoie] da|revisionat[aoie] da|il revisore|la revisora|un revisore|i revisori|dal revisore)\b`)

// isTheirs reports whether a quotation in a model's text quotes a person or a document
// verbatim, at least three words of it.
func (e *Evidence) isTheirs(q string) bool {
	q = normalise(strings.Trim(q, `"“”«»`))
	if len(strings.Fields(q)) < 3 {
		return false
	}
	return slices.ContainsFunc(e.theirs, func(t string) bool { return strings.Contains(strings.ToLower(t), strings.ToLower(q)) })
}

// Failures names what failed grounding, for the logs.
func Failures(bad []Failure) string {
	parts := make([]string, len(bad))
	for i, f := range bad {
		parts[i] = f.Kind + " " + strconv.Quote(f.Text)
	}
	return strings.Join(parts, ", ")
}

// metrics

type mention struct {
	id, text string
}

// commonWords are metric names that are also everyday words in a language ("reach the
// goal", "i clienti"); naming them is not taken as a claim about the metric.
var commonWords = map[string]map[string]bool{
	"en": {"reach": true, "customers": true, "likes": true, "clicks": true, "conversions": true},
	"it": {"clienti": true, "like": true, "copertura": true, "clic": true, "conversioni": true, "iscritti alla newsletter": false},
}

type metricName struct {
	id, name string
	re       *regexp.Regexp
}

var metricNames = func() map[string][]metricName {
	out := map[string][]metricName{}
	paren := regexp.MustCompile(`^(.*?)\s*\(([^)]+)\)$`)
	for _, lang := range []string{"en", "it"} {
		seen := map[string]bool{}
		var names []metricName
		add := func(id, n string) {
			n = strings.ToLower(strings.TrimSpace(n))
			if n == "" || seen[n] || commonWords[lang][n] {
				return
			}
			seen[n] = true
			names = append(names, metricName{id: id, name: n, re: regexp.MustCompile(`(?i)\b` + regexp.QuoteMeta(n) + `\b`)})
		}
		for _, id := range metric.IDs() {
			n := metric.Name(id, lang)
			if m := paren.FindStringSubmatch(n); m != nil {
				add(id, m[1])
				add(id, m[2])
				continue
			}
			add(id, n)
		}
		sort.SliceStable(names, func(i, j int) bool { return len(names[i].name) > len(names[j].name) })
		out[lang] = names
	}
	return out
}()

// metricMentions finds the catalogue metrics a text names in the given languages,
// longest name first, so "cost per lead" is not also "lead".
func metricMentions(text string, langs ...string) []mention {
	var names []metricName
	for _, l := range langs {
		names = append(names, metricNames[l]...)
	}
	sort.SliceStable(names, func(i, j int) bool { return len(names[i].name) > len(names[j].name) })
	masked := []byte(text)
	var out []mention
	for _, n := range names {
		for _, loc := range n.re.FindAllIndex(masked, -1) {
			out = append(out, mention{id: n.id, text: text[loc[0]:loc[1]]})
			for i := loc[0]; i < loc[1]; i++ {
				masked[i] = '_'
			}
		}
	}
	return out
}

// months

type monthMention struct {
	text, key, month string // "ottobre 2026", "2026-10", "10"
	year             bool
}

var monthNumbers = map[string]int{
	"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
	"september": 9, "october": 10, "november": 11, "december": 12,
	"gennaio": 1, "febbraio": 2, "marzo": 3, "aprile": 4, "maggio": 5, "giugno": 6, "luglio": 7, "agosto": 8,
	"settembre": 9, "ottobre": 10, "novembre": 11, "dicembre": 12,
}

var monthRe = regexp.MustCompile(`(?i)\b(january|february|march|april|may|june|july|august|september|october|november|december|gennaio|febbraio|marzo|aprile|maggio|giugno|luglio|agosto|settembre|ottobre|novembre|dicembre)\b(?:\s+(\d{4}))?`)

// monthMentions finds months named in a text. "may" and "march" are also words, so they
// count as months only when capitalised.
func monthMentions(text string) []monthMention {
	var out []monthMention
	for _, m := range monthRe.FindAllStringSubmatchIndex(text, -1) {
		name := text[m[2]:m[3]]
		lower := strings.ToLower(name)
		if (lower == "may" || lower == "march") && name == lower {
			continue
		}
		n := strconv.Itoa(monthNumbers[lower])
		mm := monthMention{text: text[m[0]:m[1]], month: n}
		if m[4] >= 0 {
			mm.year = true
			mm.key = text[m[4]:m[5]] + "-" + pad2(monthNumbers[lower])
		}
		out = append(out, mm)
	}
	return out
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// conclusions

// conclusionFamilies are the conclusions only a rule may draw, with the rules that draw
// them and the words that state them in either language.
var conclusionFamilies = []struct {
	family string
	rules  []string
	re     *regexp.Regexp
}{
	{"vanity", []string{"vanity_metric"}, regexp.MustCompile(`(?i)vanity metric|metrica di vanit|metriche di vanit|metrica vanity`)},
	{"limit", []string{"limit_breached"}, regexp.MustCompile(`(?i)\b(limit|limite)\b[^.]{0,60}\b(crossed|breached|exceeded|superat\w*|sforat\w*|oltrepassat\w*)|\b(over|above) the limit|\b(oltre|sopra) il limite`)},
	{"at_risk", []string{"value_at_risk", "goal_off_track"}, regexp.MustCompile(`(?i)\bat risk\b|\ba rischio\b`)},
	{"off_track", []string{"goal_off_track"}, regexp.MustCompile(`(?i)\boff[ -]track\b|\bfuori (strada|rotta)\b|\bbehind (the |its |your |our )?goal`)},
	{"on_track", []string{"goal_on_track"}, regexp.MustCompile(`(?i)\bon track\b|\bgoal (is |has been )?(met|reached)\b|\bobiettivo (è |e' )?(raggiunto|centrato)\b|\bin linea con l'obiettivo\b`)},
	{"premise", []string{"premise_mismatch"}, regexp.MustCompile(`(?i)\bthe data (does not|doesn't) (show|support|confirm)\b|\bi dati non (lo |la )?(mostrano|confermano)\b`)},
	{"single_channel", []string{"channel_concentration"}, regexp.MustCompile(`(?i)\b(single|one) channel\b|\b(un )?(solo|unico) canale\b|\bfragile dependence\b|\bdipendenza fragile\b`)},
	{"low_quality", []string{"lead_quality_low"}, regexp.MustCompile(`(?i)\b(low|poor)[- ]quality leads?\b|\blead (di )?(bassa|scarsa) qualit`)},
	{"not_followed", []string{"followup_gap"}, regexp.MustCompile(`(?i)\bnever (been )?(contacted|called|followed up)\b|\bmai (stati )?(contattat|richiamat|ricontattat)`)},
}

type conclusionMention struct{ family, text string }

// conclusionMentions finds the rule-level conclusions a text draws. A conclusion denied
// ("not on track", "non è a rischio") is not one.
func conclusionMentions(text string) []conclusionMention {
	var out []conclusionMention
	lower := strings.ToLower(text)
	for _, c := range conclusionFamilies {
		for _, loc := range c.re.FindAllStringIndex(text, -1) {
			before := lower[max(0, loc[0]-10):loc[0]]
			if strings.Contains(before, "not ") || strings.Contains(before, "non ") || strings.Contains(before, "n't ") || strings.Contains(before, "no ") {
				continue
			}
			out = append(out, conclusionMention{family: c.family, text: text[loc[0]:loc[1]]})
		}
	}
	return out
}
