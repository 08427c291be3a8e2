package understand

import (
	"regexp"
	"strings"

	"github.com/whybot/whybot/knowledge/rules"
)

// Share is a fraction stated in an answer, with the clause it came from.
type Share struct {
	Topic  rules.Topic // rules.TopicLeadQuality or rules.TopicSalesFollowup
	Metric string      // qualified_rate or followup_rate
	Value  float64     // 0..1
	Clause string
}

var (
	qualityWords = []string{"qualif", "in target", "on target", "in-target", "on-target", "in linea", "buoni", "buone", "good", "valid",
		"pertinent", "relevant", "rilevant", "in profilo", "in target", "icp", "good fit", "interessanti", "serious", "seri"}
	qualityNeg = []string{"fuori target", "off target", "off-target", "junk", "spam", "spazzatura", "not qualified", "non qualificat",
		"unqualified", "irrilevant", "irrelevant", "non in target", "not in target", "fake", "falsi", "inutili", "useless", "sbagliat", "wrong"}
	followVerbs = []string{"called", "call ", "richiamat", "chiamat", "contacted", "contattat", "ricontattat", "followed up", "follow-up",
		"follow up", "seguit", "sentit", "reached out", "phoned", "rang", "risposto", "answered", "gestit", "handled", "lavorat", "worked"}
	followWeak = []string{"sales", "vendite", "commerciali", "commerciale", "venditori", "sales team", "reparto vendite"}
	negWords   = []string{"not ", "non ", "never", "mai ", "nobody", "no one", "nessuno", "nessun", "haven't", "hasn't", "didn't", "none", "n't "}
)

var fractionWords = []struct {
	phrase string
	v      float64
}{
	{"tre quarti", 0.75}, {"three quarters", 0.75}, {"three-quarters", 0.75}, {"due terzi", 2.0 / 3}, {"two thirds", 2.0 / 3}, {"two-thirds", 2.0 / 3},
	{"quasi tutti", 0.9}, {"quasi tutte", 0.9}, {"almost all", 0.9}, {"nearly all", 0.9}, {"la maggior parte", 0.7}, {"most of", 0.7}, {"most ", 0.7},
	{"un quarto", 0.25}, {"a quarter", 0.25}, {"one quarter", 0.25}, {"one in four", 0.25}, {"uno su quattro", 0.25},
	{"un terzo", 1.0 / 3}, {"a third", 1.0 / 3}, {"one third", 1.0 / 3}, {"one in three", 1.0 / 3}, {"uno su tre", 1.0 / 3},
	{"la metà", 0.5}, {"metà", 0.5}, {"half", 0.5}, {"un decimo", 0.1}, {"a tenth", 0.1}, {"one in ten", 0.1}, {"uno su dieci", 0.1},
	{"pochissimi", 0.05}, {"very few", 0.05}, {"pochi", 0.15}, {"few", 0.15},
	{"tutti", 1}, {"tutte", 1}, {"all of them", 1}, {"all ", 1}, {"every", 1}, {"each", 1}, {"everyone", 1}, {"ognuno", 1}, {"ciascuno", 1},
	{"nessuno", 0}, {"nessuna", 0}, {"none", 0}, {"no one", 0}, {"nobody", 0}, {"zero", 0},
}

var (
	clauseSplit = regexp.MustCompile(`[.;!?\n]+|,\s+|\s+(?:e|and|but|ma|while|mentre|però|pero|whereas|though|although|anche se)\s+`)
	ofRe        = regexp.MustCompile(`(\d+)\s*(?:of|out of|su|di|tra)\s+(?:the\s+|i\s+|gli\s+)?(\d+)`)
	pctOnlyRe   = regexp.MustCompile(`(\d+(?:[.,]\d+)?)\s*(?:%|per\s*cento|percento|percent|per\s*cent)`)
	countRe     = regexp.MustCompile(`\b(\d+)\b`)
)

// Shares extracts the shares of qualified leads and of leads followed up from an answer.
// leads is the period's lead count (0 when unknown), used to turn counts into shares.
func Shares(text string, leads float64) []Share {
	lower := " " + strings.ToLower(text) + " "
	var out []Share
	seen := map[rules.Topic]bool{}
	for _, clause := range clauseSplit.Split(lower, -1) {
		c := " " + strings.TrimSpace(clause) + " "
		if strings.TrimSpace(c) == "" {
			continue
		}
		var topic rules.Topic
		metricID, inverse := "", false
		switch {
		case containsAny(c, followVerbs):
			topic, metricID = rules.TopicSalesFollowup, "followup_rate"
		case containsAny(c, qualityNeg):
			topic, metricID, inverse = rules.TopicLeadQuality, "qualified_rate", true
		case containsAny(c, qualityWords):
			topic, metricID = rules.TopicLeadQuality, "qualified_rate"
		case containsAny(c, followWeak):
			topic, metricID = rules.TopicSalesFollowup, "followup_rate"
		default:
			continue
		}
		v, ok := shareIn(c, leads)
		neg := containsAny(c, negWords)
		if !ok {
			if !neg {
				continue
			}
			v, ok = 0, true // "nobody called them", "non li ha richiamati nessuno"
		} else if neg && !containsAny(c, []string{"nessuno", "nobody", "none", "no one", "nessuna", "zero"}) {
			v = 1 - v // "40% were not called"
		}
		if inverse {
			v = 1 - v
		}
		if v < 0 || v > 1 || seen[topic] {
			continue
		}
		seen[topic] = true
		out = append(out, Share{Topic: topic, Metric: metricID, Value: v, Clause: strings.TrimSpace(clause)})
	}
	return out
}

func shareIn(c string, leads float64) (float64, bool) {
	if m := ofRe.FindStringSubmatch(c); m != nil {
		a, _ := ParseNumber(m[1], "")
		b, _ := ParseNumber(m[2], "")
		if b > 0 && a <= b {
			return a / b, true
		}
	}
	if m := pctOnlyRe.FindStringSubmatch(c); m != nil {
		if v, ok := ParseNumber(m[1], ""); ok && v <= 100 {
			return v / 100, true
		}
	}
	if leads > 0 {
		if m := countRe.FindStringSubmatch(c); m != nil {
			if v, ok := ParseNumber(m[1], ""); ok && v <= leads {
				return v / leads, true
			}
		}
	}
	for _, f := range fractionWords {
		if strings.Contains(c, " "+f.phrase) || strings.HasPrefix(strings.TrimSpace(c), strings.TrimSpace(f.phrase)) {
			return f.v, true
		}
	}
	return 0, false
}

// Negative reports whether a text says something is not so ("not called", "fuori target"),
// so that a figure in it may state the complement of a share.
func Negative(text string) bool {
	lower := " " + strings.ToLower(text) + " "
	return containsAny(lower, negWords) || containsAny(lower, qualityNeg)
}

// FractionsIn lists the shares a text states in words ("un quarto", "nobody", "most of").
func FractionsIn(text string) []float64 {
	lower := " " + strings.ToLower(text) + " "
	var out []float64
	for _, f := range fractionWords {
		if strings.Contains(lower, " "+f.phrase) {
			out = append(out, f.v)
		}
	}
	return out
}

func containsAny(s string, list []string) bool {
	for _, l := range list {
		if strings.Contains(s, l) {
			return true
		}
	}
	return false
}

var anywayRe = regexp.MustCompile(`(?i)\b(answer anyway|draft anyway|reply anyway|go ahead|proceed anyway|just answer|rispondi comunque|procedi comunque|scrivi comunque|vai avanti|bozza comunque|rispondi lo stesso|procedi lo stesso)\b|^/anyway\b`)

// AnswerAnyway reports whether the text asks for a draft without waiting for open questions.
func AnswerAnyway(text string) bool {
	return anywayRe.MatchString(strings.TrimSpace(text))
}
