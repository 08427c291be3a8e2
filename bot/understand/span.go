package understand

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/whybot/whybot/knowledge/rules"
)

// monthWords are month names and their common short forms, Italian and English.
var monthWords = map[string]int{
	"gennaio": 1, "febbraio": 2, "marzo": 3, "aprile": 4, "maggio": 5, "giugno": 6, "luglio": 7, "agosto": 8,
	"settembre": 9, "ottobre": 10, "novembre": 11, "dicembre": 12,
	"gen": 1, "feb": 2, "apr": 4, "mag": 5, "giu": 6, "lug": 7, "ago": 8, "set": 9, "sett": 9, "ott": 10, "nov": 11, "dic": 12,
	"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
	"september": 9, "october": 10, "november": 11, "december": 12,
	"jan": 1, "mar": 3, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "dec": 12,
}

// monthNeedsContext are month words that are also ordinary words ("may", "mar", "set"):
// a month only after a preposition or before a year.
var monthNeedsContext = map[string]bool{"may": true, "mar": true, "set": true, "gen": true, "ago": true, "dec": true, "march": true}

var (
	yearRe      = regexp.MustCompile(`\b(20\d\d)\b`)
	quarterRe   = regexp.MustCompile(`\bq([1-4])\b|\b([1-4])\s*°?\s*trimestre\b`)
	ordinals    = map[string]int{"primo": 1, "secondo": 2, "terzo": 3, "quarto": 4, "first": 1, "second": 2, "third": 3, "fourth": 4}
	compareYoY  = []string{"rispetto all'anno scorso", "rispetto allo scorso anno", "rispetto a un anno fa", "sull'anno scorso", "anno su anno", "vs last year", "versus last year", "compared to last year", "compared with last year", "than last year", "year over year", "year-over-year", "year on year", "year-on-year", "yoy", "vs a year ago", "than a year ago", "a year earlier", "un anno prima", "stesso periodo dell'anno scorso", "same period last year"}
	comparePrev = []string{"rispetto al mese scorso", "rispetto al mese prima", "rispetto al mese precedente", "sul mese scorso", "mese su mese",
		"rispetto al trimestre scorso", "rispetto al trimestre precedente", "vs last month", "versus last month", "compared to last month",
		"compared with last month", "than last month", "month over month", "month-over-month", "month on month", "mom",
		"vs the previous month", "vs last quarter", "compared with last quarter", "than last quarter", "quarter over quarter"}
	lastQuarter = []string{"ultimo trimestre", "trimestre scorso", "scorso trimestre", "last quarter", "previous quarter", "past quarter"}
	thisQuarter = []string{"questo trimestre", "trimestre in corso", "this quarter"}
	ytdWords    = []string{"da inizio anno", "dall'inizio dell'anno", "quest'anno", "questo anno", "this year", "year to date", "year-to-date", "ytd", "so far this year"}
	lastYear    = []string{"l'anno scorso", "anno scorso", "lo scorso anno", "last year", "previous year"}
	lastMonth   = []string{"il mese scorso", "mese scorso", "lo scorso mese", "last month", "previous month"}
	thisMonth   = []string{"questo mese", "this month", "mese in corso"}
)

// ParseSpan reads the stretch of time a question names ("a ottobre", "nel Q3 2026",
// "l'ultimo trimestre", "da inizio anno", "rispetto all'anno scorso"). Relative words
// ("il mese scorso") count from now; a month or quarter named without a year is the most
// recent one not after latest, the data's latest period. It returns nil when the question
// names no time; a span with only Compare set when it names only the comparison.
func ParseSpan(text string, now, latest time.Time) *rules.Span {
	lower := strings.ToLower(strings.ReplaceAll(text, "’", "'"))
	words := Words(lower)
	if latest.IsZero() {
		latest = now
	}
	ref := time.Date(latest.Year(), latest.Month(), 1, 0, 0, 0, 0, time.UTC)
	s := &rules.Span{}
	for _, c := range []struct {
		kind    string
		phrases []string
	}{{"yoy", compareYoY}, {"previous", comparePrev}} {
		if s.Compare == "" && hasAnyPhrase(lower, words, c.phrases) {
			s.Compare = c.kind
			for _, p := range c.phrases {
				lower = strings.ReplaceAll(lower, p, " ")
			}
			words = Words(lower)
		}
	}
	year, hasYear := 0, false
	if m := yearRe.FindStringSubmatch(lower); m != nil {
		year, _ = strconv.Atoi(m[1])
		hasYear = true
	}
	switch {
	case quarterIn(lower, words) > 0:
		q := quarterIn(lower, words)
		y := year
		if !hasYear {
			y = ref.Year()
			if time.Date(y, time.Month(3*q-2), 1, 0, 0, 0, 0, time.UTC).After(ref) {
				y--
			}
		}
		setSpan(s, "quarter", time.Date(y, time.Month(3*q-2), 1, 0, 0, 0, 0, time.UTC), 3)
	case hasAnyPhrase(lower, words, lastQuarter):
		start := quarterStart(ref)
		if ref.Month()%3 != 0 { // the quarter of the latest data is not complete: the one before
			start = start.AddDate(0, -3, 0)
		}
		setSpan(s, "quarter", start, 3)
	case hasAnyPhrase(lower, words, thisQuarter):
		setSpan(s, "quarter", quarterStart(ref), 3)
	case hasAnyPhrase(lower, words, lastMonth):
		setSpan(s, "month", time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0), 1)
	case hasAnyPhrase(lower, words, thisMonth):
		setSpan(s, "month", time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC), 1)
	case monthIn(words, hasYear) > 0:
		m := monthIn(words, hasYear)
		start := time.Date(year, time.Month(m), 1, 0, 0, 0, 0, time.UTC)
		if !hasYear {
			start = time.Date(ref.Year(), time.Month(m), 1, 0, 0, 0, 0, time.UTC)
			if start.After(ref) {
				start = start.AddDate(-1, 0, 0)
			}
		}
		setSpan(s, "month", start, 1)
	case hasAnyPhrase(lower, words, ytdWords) && !hasYear:
		start := time.Date(ref.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
		setSpan(s, "ytd", start, int(ref.Month()))
	case hasAnyPhrase(lower, words, lastYear):
		setSpan(s, "year", time.Date(ref.Year()-1, 1, 1, 0, 0, 0, 0, time.UTC), 12)
	case hasYear:
		setSpan(s, "year", time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC), 12)
	}
	if s.Kind == "" && s.Compare == "" {
		return nil
	}
	return s
}

// setSpan makes the span n months from start.
func setSpan(s *rules.Span, kind string, start time.Time, n int) {
	s.Kind, s.From, s.To = kind, start.Format("2006-01"), start.AddDate(0, n-1, 0).Format("2006-01")
}

func quarterStart(t time.Time) time.Time {
	return time.Date(t.Year(), time.Month((int(t.Month())-1)/3*3+1), 1, 0, 0, 0, 0, time.UTC)
}

// quarterIn is the quarter a question names by number ("Q3", "terzo trimestre", "third
// quarter"), or 0.
func quarterIn(lower string, words []string) int {
	if m := quarterRe.FindStringSubmatch(lower); m != nil {
		q, _ := strconv.Atoi(m[1] + m[2])
		return q
	}
	for i := 0; i+1 < len(words); i++ {
		if q, ok := ordinals[words[i]]; ok && (words[i+1] == "trimestre" || words[i+1] == "quarter") {
			return q
		}
	}
	return 0
}

// monthIn is the month a question names, or 0. A month word that is also an ordinary word
// counts after a preposition or before a year.
func monthIn(words []string, hasYear bool) int {
	preps := map[string]bool{"a": true, "ad": true, "di": true, "in": true, "nel": true, "nel mese di": true, "of": true, "for": true, "during": true, "since": true, "da": true}
	for i, w := range words {
		m, ok := monthWords[w]
		if !ok {
			continue
		}
		if monthNeedsContext[w] {
			after := i+1 < len(words) && yearRe.MatchString(words[i+1])
			before := i > 0 && preps[words[i-1]]
			if !after && !before {
				continue
			}
		}
		return m
	}
	return 0
}
