package understand

import (
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// token is one word, number or sign of a reply, folded for matching: lower case, accents
// taken off ("metà" is "meta", with accent set), contractions spelt out ("didn't" is
// "did" "not"), typos corrected against the vocabulary ("tuti" is "tutti").
type token struct {
	w      string  // the folded word, or "%", "/", "-", "~"
	raw    string  // the folded word before typos were corrected
	num    float64 // the value, when isNum
	isNum  bool
	digits bool // a number written in figures
	accent bool // the word had an accent ("è", "metà")
	elided bool // the word ended in an apostrophe: "all'", "dell'" (an Italian article)
	brk    bool // a clause break: . , ; : ! ? or a new line
	at     int  // byte offset of the token in the text
	end    int
}

// tokenize splits a reply into tokens. It never fails; bytes that are neither letters,
// digits nor signs it knows are spaces.
func tokenize(text string) []token {
	var out []token
	var rs []rune
	var offs []int // the byte offset of each rune (an invalid byte is one rune, U+FFFD)
	for at, r := range text {
		rs, offs = append(rs, r), append(offs, at)
	}
	offs = append(offs, len(text))
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.IsDigit(r):
			j := i
			for j < len(rs) && (unicode.IsDigit(rs[j]) || ((rs[j] == '.' || rs[j] == ',') && j+1 < len(rs) && unicode.IsDigit(rs[j+1]))) {
				j++
			}
			if v, ok := parseFigure(string(rs[i:j])); ok {
				out = append(out, token{w: string(rs[i:j]), num: v, isNum: true, digits: true, at: offs[i], end: offs[j]})
			}
			i = j
		case unicode.IsLetter(r):
			j := i
			for j < len(rs) && (unicode.IsLetter(rs[j]) || unicode.Is(unicode.Mn, rs[j]) || (rs[j] == '-' && j+1 < len(rs) && unicode.IsLetter(rs[j+1]))) {
				j++
			}
			out = append(out, wordTokens(string(rs[i:j]), offs[i], offs[j])...)
			i = j
		default:
			switch r {
			case '%', '/', '~', '½', '¼', '¾', '⅓':
				out = append(out, token{w: string(r), at: offs[i], end: offs[i+1]})
			case '-', '–', '—':
				if len(out) > 0 && (out[len(out)-1].isNum || out[len(out)-1].w == "%") {
					out = append(out, token{w: "-", at: offs[i], end: offs[i+1]})
				} else {
					out = append(out, token{brk: r != '-', at: offs[i], end: offs[i+1]})
				}
			case '.', ',', ';', ':', '!', '?', '\n', '…', '(', ')':
				out = append(out, token{w: string(r), brk: true, at: offs[i], end: offs[i+1]})
			case '\'', '’':
				// "n't" was spelt out by wordTokens; other apostrophes just split words
				if len(out) > 0 && i+1 < len(rs) && rs[i+1] == 't' && (i+2 >= len(rs) || !unicode.IsLetter(rs[i+2])) && strings.HasSuffix(out[len(out)-1].raw, "n") {
					prev := &out[len(out)-1]
					prev.w = contracted(prev.raw)
					out = append(out, token{w: "not", at: offs[i], end: offs[i+2]})
					i += 2
					continue
				}
				if len(out) > 0 && !out[len(out)-1].isNum && !out[len(out)-1].brk {
					out[len(out)-1].elided = true // "all'agenzia", "dell'80%": an article
				}
			}
			i++
		}
	}
	for i := range out {
		if !out[i].isNum && !out[i].brk && len(out[i].w) > 1 {
			if n, ok := numberWord(out[i].w); ok {
				out[i].num, out[i].isNum = n, true
			}
		}
	}
	return joinNumberWords(out)
}

// contracted is the word before "n't": "didn" is "did", "can" stays, "won" is "will".
func contracted(w string) string {
	switch w {
	case "can", "don":
		return map[string]string{"can": "can", "don": "do"}[w]
	case "won":
		return "will"
	}
	return strings.TrimSuffix(w, "n")
}

func wordTokens(raw string, at, end int) []token {
	folded, accent := fold1(raw)
	if alias, ok := aliases[folded]; ok {
		folded = alias
	}
	return []token{{w: correct(folded), raw: folded, accent: accent, at: at, end: end}}
}

// fold1 lowers a word and takes its accents off; accent says whether it had one.
func fold1(s string) (string, bool) {
	var b strings.Builder
	accent := false
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		if unicode.Is(unicode.Mn, r) {
			accent = true
			continue
		}
		b.WriteRune(r)
	}
	return b.String(), accent
}

// parseFigure reads a number in figures: "35", "35,5", "35.5", "1.200", "1,200". A
// separator followed by exactly three digits groups thousands; any other is the decimal
// point.
func parseFigure(s string) (float64, bool) {
	seps := strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == ',' })
	if len(seps) == 1 {
		v, err := strconv.ParseFloat(s, 64)
		return v, err == nil
	}
	grouped := true
	for _, g := range seps[1:] {
		if len(g) != 3 {
			grouped = false
		}
	}
	if grouped && len(seps[0]) <= 3 {
		v, err := strconv.ParseFloat(strings.Join(seps, ""), 64)
		return v, err == nil
	}
	if len(seps) == 2 {
		v, err := strconv.ParseFloat(seps[0]+"."+seps[1], 64)
		return v, err == nil
	}
	return 0, false
}

var unitsIT = map[string]float64{"zero": 0, "uno": 1, "due": 2, "tre": 3, "quattro": 4, "cinque": 5, "sei": 6, "sette": 7, "otto": 8, "nove": 9,
	"dieci": 10, "undici": 11, "dodici": 12, "tredici": 13, "quattordici": 14, "quindici": 15, "sedici": 16, "diciassette": 17, "diciotto": 18, "diciannove": 19}
var tensIT2 = []struct {
	stem string
	v    float64
}{{"venti", 20}, {"trenta", 30}, {"quaranta", 40}, {"cinquanta", 50}, {"sessanta", 60}, {"settanta", 70}, {"ottanta", 80}, {"novanta", 90}}
var unitsEN = map[string]float64{"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
	"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
var tensEN2 = map[string]float64{"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}

// numberWord reads a number written in words, Italian or English, up to 999:
// "trentacinque", "ventotto", "centoventi", "thirty-five", "hundred".
func numberWord(w string) (float64, bool) {
	if v, ok := unitsEN[w]; ok {
		return v, true
	}
	if v, ok := tensEN2[w]; ok {
		return v, true
	}
	if a, b, ok := strings.Cut(w, "-"); ok {
		t, ok1 := tensEN2[a]
		u, ok2 := unitsEN[b]
		if ok1 && ok2 && u < 10 {
			return t + u, true
		}
		return 0, false
	}
	if w == "hundred" {
		return 100, true
	}
	return italianNumber(w)
}

func italianNumber(w string) (float64, bool) {
	if w == "" {
		return 0, false
	}
	if v, ok := unitsIT[w]; ok {
		return v, true
	}
	var hundreds float64
	if i := strings.Index(w, "cento"); i >= 0 {
		h := 1.0
		if i > 0 {
			u, ok := unitsIT[w[:i]]
			if !ok || u < 2 {
				return 0, false
			}
			h = u
		}
		hundreds, w = h*100, w[i+5:]
		if w == "" {
			return hundreds, true
		}
	}
	for _, t := range tensIT2 {
		for _, stem := range []string{t.stem, t.stem[:len(t.stem)-1]} { // "trenta", "trent"+"otto"
			if !strings.HasPrefix(w, stem) {
				continue
			}
			rest := w[len(stem):]
			if rest == "" && stem == t.stem {
				return hundreds + t.v, true
			}
			if u, ok := unitsIT[rest]; ok && u > 0 && u < 10 {
				if stem != t.stem && u != 1 && u != 8 { // elision only before uno and otto
					continue
				}
				return hundreds + t.v + u, true
			}
		}
	}
	if v, ok := unitsIT[w]; ok && hundreds > 0 {
		return hundreds + v, true
	}
	return 0, false
}

// joinNumberWords joins "thirty five" and "one hundred and twenty" into one number.
func joinNumberWords(ts []token) []token {
	out := ts[:0]
	for i := 0; i < len(ts); i++ {
		t := ts[i]
		if t.isNum && !t.digits {
			if _, tens := tensEN2[t.w]; tens && i+1 < len(ts) && ts[i+1].isNum && !ts[i+1].digits && ts[i+1].num < 10 && ts[i+1].num > 0 {
				t.num += ts[i+1].num
				t.end = ts[i+1].end
				i++
			} else if t.num < 10 && i+1 < len(ts) && ts[i+1].w == "hundred" {
				t.num *= 100
				t.end = ts[i+1].end
				i++
			}
		}
		out = append(out, t)
	}
	return out
}
