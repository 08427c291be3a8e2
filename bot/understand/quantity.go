package understand

import "strings"

// Quantity is a share of the period's leads that a person stated: a point (Low == High),
// approximate ("circa il 35%", "una trentina") or not, or a range for vague words ("la
// maggior parte", "pochi"), which stays a range: no figure is made of it.
type Quantity struct {
	Low    float64  `json:"low"`
	High   float64  `json:"high"`
	Approx bool     `json:"approx,omitempty"`
	Bounds bool     `json:"bounds,omitempty"` // a range whose ends the person gave: "tra il 30 e il 40%", "almeno il 40%"
	Count  *float64 `json:"count,omitempty"`  // the count stated, when the share came from one ("una trentina": 30)
	Of     float64  `json:"of,omitempty"`     // what that count is of: the period's leads, or the total the person named
}

// Point is the quantity's value when it is one (exact or approximate), not a range.
func (q Quantity) Point() (float64, bool) { return q.Low, q.High-q.Low < 1e-9 }

// Ranged reports whether the quantity is a range (vague words).
func (q Quantity) Ranged() bool { return q.High-q.Low >= 1e-9 }

// complement is the share of the rest: "il 60% è fuori target" states 40% in target.
func (q Quantity) complement() Quantity {
	c := Quantity{Low: 1 - q.High, High: 1 - q.Low, Approx: q.Approx, Bounds: q.Bounds, Of: q.Of}
	if q.Count != nil && q.Of > 0 {
		n := q.Of - *q.Count
		c.Count = &n
	}
	return c
}

func point(v float64) Quantity { return Quantity{Low: v, High: v} }

func span(lo, hi float64) Quantity { return Quantity{Low: lo, High: hi} }

// found is a quantity read at a span of tokens.
type found struct {
	q        Quantity
	from, to int
	selfNeg  bool    // carries its own negation: "nessuno", "non tutti", "non più del 30%"
	yet      bool    // "non ancora": none so far
	base     bool    // "dei 78": what the shares are of, not a share
	all      bool    // "tutti": may turn into "non tutti"
	bareNum  float64 // a number alone: a count, or a percentage
	bare     bool
	counted  bool // the number says what it counts: "30 lead", "thirty of them"
	needBase bool // a count, with no total to make it a share of
}

var (
	exceptWords      = phrases("tranne", "eccetto", "salvo", "meno", "but", "bar", "except", "except for", "apart from", "minus", "fuorche", "a parte", "escluso", "esclusi", "besides")
	allWords         = phrases("tutti quanti", "tutte quante", "tutti", "tutte", "all of them", "all of em", "every single one", "every last one", "each and every one", "la totalita", "totalita", "ogni singolo", "every one", "everyone", "everybody", "each one", "each of them", "ognuno", "ciascuno", "al completo", "the lot", "all")
	zeroWords        = phrases("neanche uno", "nemmeno uno", "manco uno", "not a single one", "not one", "nessuno", "nessuna", "nessun", "none", "nobody", "no one", "zero", "nada", "niente", "nothing")
	yetWords         = phrases("non ancora", "not yet", "none yet", "none so far", "nothing yet", "ancora nessuno", "ancora niente", "still none", "per ora nessuno", "per ora niente", "nobody yet", "yet to")
	lowerBounds      = phrases("non meno di", "non meno del", "non meno della", "almeno", "at least", "minimo", "no less than", "not less than", "oltre", "oltre il", "oltre la", "piu di", "piu del", "piu della", "sopra il", "sopra al", "more than", "over", "above", "upwards of", "well over")
	upperBounds      = phrases("non piu di", "non piu del", "non piu della", "no more than", "not more than", "meno di", "meno del", "meno della", "sotto il", "sotto al", "under", "below", "less than", "fewer than", "al massimo", "at most", "max", "massimo", "fino a", "fino al", "up to", "neanche il", "nemmeno il", "neanche", "nemmeno", "manco", "not even")
	percentWords     = phrases("%", "per cento", "percent", "per cent")
	ofWords          = phrases("su", "di", "of", "out of", "in", "/", "ogni", "in every", "out of every", "every", "dei", "degli", "delle", "sui", "of the", "out of the", "of our", "dei nostri", "tra", "fra")
	baseWords        = phrases("dei", "degli", "delle", "di", "su", "sui", "of the", "out of the", "of our", "out of", "of", "on", "tra i", "fra i", "dei nostri", "questi", "these")
	betweenWords     = phrases("tra il", "fra il", "tra", "fra", "between", "dal", "from", "da")
	countNouns       = phrases("lead", "leads", "contatti", "contacts", "richieste", "requests", "persone", "people", "clienti", "of them", "di loro", "di questi", "tra loro", "among them")
	ishWords         = phrases("ish", "- ish")
	fractionArticles = phrases("la", "the", "di")
	doneWords        = phrases("chiamati", "called", "contacted", "contattati", "in target", "qualificati", "qualified")
	determiners      = phrases("the", "our", "i", "gli", "nostri", "questi", "those")
	rangeJoin        = phrases("e il", "e l", "and", "e", "al", "all", "a", "to", "-", "o il", "o", "or", "alle")
)

// quantityPhrases are words that state a share by themselves, with the share or the range.
var quantityPhrases = []struct {
	p         *phraseSet
	lo, hi    float64
	count     bool // lo, hi are counts, not shares
	approx    bool
	needsMark bool // "meta" must be "metà", or follow an article, to mean half
}{
	{p: phrases("most if not all", "la maggior parte se non tutti", "quasi tutti se non tutti"), lo: 0.8, hi: 0.99},
	{p: phrases("fifty-fifty", "fifty fifty", "meta e meta", "50 / 50", "50 - 50", "mezzo e mezzo"), lo: 0.5, hi: 0.5, approx: true},
	{p: phrases("pretty much all", "pretty much everyone", "basically all", "basically everyone", "more or less all", "quasi tutti quanti", "quasi tutti", "quasi tutte", "almost all", "nearly all", "almost everyone", "nearly everyone", "practically all", "praticamente tutti", "praticamente tutte", "virtually all", "quasi al completo", "the vast majority", "the overwhelming majority", "la stragrande maggioranza", "stragrande maggioranza",
		"la quasi totalita", "quasi totalita"), lo: 0.85, hi: 0.99},
	{p: phrases("quasi nessuno", "quasi nessuna", "almost none", "almost nobody", "hardly any", "barely any", "nearly none", "pochissimi", "pochissime", "very few", "only a handful", "a malapena qualcuno",
		"next to none", "next to nothing", "practically none", "virtually none", "quasi zero", "praticamente nessuno", "praticamente zero",
		"basically none", "quasi niente", "quasi nulla", "hardly anything", "hardly anyone"), lo: 0, hi: 0.1},
	{p: phrases("la maggior parte", "maggior parte", "la maggioranza", "maggioranza", "la gran parte", "gran parte", "buona parte", "in gran parte", "most of them", "most of", "most", "the majority", "majority", "the bulk", "mostly", "perlopiu", "per lo piu",
		"il grosso", "the lion s share", "lion s share"), lo: 0.55, hi: 0.9},
	{p: phrases("un sacco", "una marea", "tantissimi", "tantissime", "moltissimi", "molti", "molte", "tanti", "tante", "many", "a lot", "lots", "parecchi", "parecchie", "un bel po", "plenty", "a good number", "un buon numero", "a good few"), lo: 0.4, hi: 0.85},
	{p: phrases("non molti", "non molte", "non tanti", "non tante", "not many", "not that many", "not so many", "not too many", "non cosi tanti", "non cosi tante", "not a lot", "non troppi", "una minoranza", "minoranza", "a minority", "a small minority", "minority", "una piccola parte", "a small part", "a small share", "piccola parte", "pochi", "poche", "pochini", "pochine", "a few", "few"), lo: 0.05, hi: 0.3},
	{p: phrases("qualcuno", "qualcuna", "alcuni", "alcune", "some of them", "some", "una parte", "part of them", "qualche"), lo: 0.05, hi: 0.5},
	{p: phrases("tre quarti", "three quarters", "three-quarters", "¾"), lo: 0.75, hi: 0.75},
	{p: phrases("due terzi", "two thirds", "two-thirds"), lo: 2.0 / 3, hi: 2.0 / 3},
	{p: phrases("un terzo", "a third", "one third", "one-third", "⅓"), lo: 1.0 / 3, hi: 1.0 / 3},
	{p: phrases("un quarto", "a quarter", "one quarter", "one fourth", "¼"), lo: 0.25, hi: 0.25},
	{p: phrases("quattro quinti", "four fifths"), lo: 0.8, hi: 0.8},
	{p: phrases("tre quinti", "three fifths"), lo: 0.6, hi: 0.6},
	{p: phrases("due quinti", "two fifths"), lo: 0.4, hi: 0.4},
	{p: phrases("un quinto", "a fifth", "one fifth"), lo: 0.2, hi: 0.2},
	{p: phrases("un decimo", "a tenth", "one tenth"), lo: 0.1, hi: 0.1},
	{p: phrases("a half", "one half", "half of them", "half", "½"), lo: 0.5, hi: 0.5},
	{p: phrases("meta"), lo: 0.5, hi: 0.5, needsMark: true},
	{p: phrases("una manciata", "a handful", "un pugno"), lo: 3, hi: 8, count: true},
	{p: phrases("un paio", "a couple", "a pair"), lo: 2, hi: 2, count: true, approx: true},
	{p: phrases("una decina", "decina", "ten or so"), lo: 10, hi: 10, count: true, approx: true},
	{p: phrases("una dozzina", "a dozen", "dozzina"), lo: 12, hi: 12, count: true, approx: true},
	{p: phrases("una quindicina", "quindicina"), lo: 15, hi: 15, count: true, approx: true},
	{p: phrases("una ventina", "ventina", "a score"), lo: 20, hi: 20, count: true, approx: true},
	{p: phrases("una trentina", "trentina"), lo: 30, hi: 30, count: true, approx: true},
	{p: phrases("una quarantina", "quarantina"), lo: 40, hi: 40, count: true, approx: true},
	{p: phrases("una cinquantina", "cinquantina"), lo: 50, hi: 50, count: true, approx: true},
	{p: phrases("una sessantina", "sessantina"), lo: 60, hi: 60, count: true, approx: true},
	{p: phrases("una settantina", "settantina"), lo: 70, hi: 70, count: true, approx: true},
	{p: phrases("un ottantina", "ottantina"), lo: 80, hi: 80, count: true, approx: true},
	{p: phrases("una novantina", "novantina"), lo: 90, hi: 90, count: true, approx: true},
	{p: phrases("un centinaio", "centinaio", "a hundred or so"), lo: 100, hi: 100, count: true, approx: true},
}

// matchAt reports where phrase p ends if it starts at ts[i].
func matchAt(ts []token, i int, p phrase) (int, bool) {
	for k, w := range p {
		if i+k >= len(ts) || ts[i+k].brk {
			return 0, false
		}
		t := ts[i+k].w
		if stem, ok := strings.CutSuffix(w, "*"); ok {
			if !strings.HasPrefix(t, stem) {
				return 0, false
			}
		} else if t != w {
			return 0, false
		}
	}
	return i + len(p), true
}

// matchAny is the end of the longest phrase of set starting at ts[i].
func matchAny(ts []token, i int, set *phraseSet) (int, bool) {
	if i >= len(ts) || ts[i].brk {
		return 0, false
	}
	best := -1
	for _, list := range [2][]phrase{set.byFirst[ts[i].w], set.stemFirst} {
		for _, p := range list {
			if end, ok := matchAt(ts, i, p); ok && end > best {
				best = end
			}
		}
	}
	return best, best >= 0
}

// containsAt reports whether any phrase of list occurs in ts[from:to] (outside the spans
// in skip), and where the first one starts.
func containsAt(ts []token, from, to int, list *phraseSet, skip func(int) bool) (int, bool) {
	for i := from; i < to; i++ {
		if skip != nil && skip(i) {
			continue
		}
		if end, ok := matchAny(ts, i, list); ok && end <= to {
			return i, true
		}
	}
	return 0, false
}

func isNum(ts []token, i int) bool { return i < len(ts) && ts[i].isNum && !ts[i].brk }

// skipArticle steps over an article: "il 35%", "l'80%".
func skipArticle(ts []token, i int) int {
	if i < len(ts) && articles[ts[i].w] && isNum(ts, i+1) {
		return i + 1
	}
	return i
}

// pctAt reads "35%", "il 35 per cento", "trentacinque percent" at ts[i].
func pctAt(ts []token, i int) (float64, int, bool) {
	j := skipArticle(ts, i)
	if !isNum(ts, j) {
		return 0, 0, false
	}
	k := j + 1
	if e, ok := matchAny(ts, k, ishWords); ok { // "35ish%", "35-ish percent"
		k = e
	}
	end, ok := matchAny(ts, k, percentWords)
	if !ok || ts[j].num > 100 {
		return 0, 0, false
	}
	return ts[j].num / 100, end, true
}

// countAt reads a count at ts[i]: a number, or words for one ("una trentina").
func countAt(ts []token, i int) (lo, hi float64, approx bool, end int, ok bool) {
	for _, q := range quantityPhrases {
		if !q.count {
			continue
		}
		if e, ok := matchAny(ts, i, q.p); ok {
			return q.lo, q.hi, q.approx, e, true
		}
	}
	j := skipArticle(ts, i)
	if isNum(ts, j) && !(j+1 < len(ts) && unitWords[ts[j+1].w]) {
		if e, ok := matchAny(ts, j+1, percentWords); ok {
			_ = e
			return 0, 0, false, 0, false
		}
		return ts[j].num, ts[j].num, false, j + 1, true
	}
	return 0, 0, false, 0, false
}

// fractionAt reads words for a share ("un terzo", "metà") or a vague share ("pochi").
func fractionAt(ts []token, i int) (Quantity, int, bool) {
	for _, q := range quantityPhrases {
		if q.count {
			continue
		}
		end, ok := matchAny(ts, i, q.p)
		if !ok {
			continue
		}
		if q.needsMark && !ts[i].accent && !(i > 0 && halfMarks[ts[i-1].w]) {
			continue
		}
		if ts[i].w == "some" && isNum(ts, end) { // "some 40%": about 40%
			continue
		}
		return Quantity{Low: q.lo, High: q.hi, Approx: q.approx}, end, true
	}
	return Quantity{}, 0, false
}

// notEvenWords begin "neanche la metà", "not even half": an upper bound, not a count.
var notEvenWords = map[string]bool{"neanche": true, "nemmeno": true, "manco": true, "not": true}

var halfMarks = map[string]bool{"neanche": true, "nemmeno": true, "la": true, "circa": true, "una": true, "per": true, "a": true, "alla": true, "della": true, "quasi": true,
	"piu": true, "meno": true, "oltre": true, "sulla": true, "nella": true, "dalla": true, "sulle": true, "verso": true}

// share turns a count into a share of base (0 when there is none).
func share(lo, hi, base float64) (Quantity, bool) {
	if base <= 0 || hi > base {
		return Quantity{}, false
	}
	q := span(lo/base, hi/base)
	if lo == hi {
		c := lo
		q.Count = &c
	}
	q.Of = base
	return q, true
}

// scan reads every quantity in the tokens, left to right, the longest reading first.
func scan(ts []token, base float64) []found {
	var out []found
	for i := 0; i < len(ts); {
		if ts[i].brk {
			i++
			continue
		}
		if f, ok := scanAt(ts, i, base); ok {
			f.from = i
			out = append(out, f)
			i = f.to
			continue
		}
		i++
	}
	return out
}

func scanAt(ts []token, i int, base float64) (found, bool) {
	for _, read := range []func([]token, int, float64) (found, bool){readException, readRange, readBound, readOf, readBase, readPercent,
		readFraction, readCountWords, readZeroAll, readBareNumber} {
		if f, ok := read(ts, i, base); ok {
			return f, true
		}
	}
	return found{}, false
}

// readException: "tutti tranne 5", "all but 30", "tutti meno il 10%".
func readException(ts []token, i int, base float64) (found, bool) {
	j, ok := matchAny(ts, i, allWords)
	if !ok {
		return found{}, false
	}
	if k, ok := matchAny(ts, j, doneWords); ok {
		j = k // "tutti chiamati tranne 5"
	}
	if j < len(ts) && ts[j].w == "," {
		j++ // "tutti, tranne 5"
	}
	k, ok := matchAny(ts, j, exceptWords)
	if !ok {
		return found{}, false
	}
	if s, end, ok := pctAt(ts, k); ok {
		return found{q: point(1 - s), to: end, selfNeg: true}, true
	}
	lo, hi, approx, end, ok := countAt(ts, k)
	if !ok {
		return found{}, false
	}
	q, ok := share(lo, hi, base)
	if !ok {
		return found{to: end, needBase: true}, true
	}
	q = q.complement()
	q.Approx = approx
	// the exception says its own negative: "tutti tranne 5 che non rispondono" is 73 of 78
	return found{q: q, to: end, selfNeg: true}, true
}

// readRange: "tra il 30 e il 40%", "30-40%", "30 o 40%", "between 20 and 30 of them".
func readRange(ts []token, i int, base float64) (found, bool) {
	j := i
	if e, ok := matchAny(ts, i, betweenWords); ok {
		j = e
	}
	j = skipArticle(ts, j)
	if !isNum(ts, j) {
		return found{}, false
	}
	a := ts[j].num
	k := j + 1
	pctA := false
	if e, ok := matchAny(ts, k, percentWords); ok {
		k, pctA = e, true
	}
	e, ok := matchAny(ts, k, rangeJoin)
	if !ok || (j == i && ts[k].w != "-" && ts[k].w != "o" && ts[k].w != "or" && ts[k].w != "to") {
		return found{}, false
	}
	e = skipArticle(ts, e)
	if !isNum(ts, e) {
		return found{}, false
	}
	b := ts[e].num
	end := e + 1
	pct := pctA
	if pe, ok := matchAny(ts, end, percentWords); ok {
		end, pct = pe, true
	}
	if b <= a {
		return found{}, false
	}
	if pct {
		if b > 100 {
			return found{}, false
		}
		return found{q: Quantity{Low: a / 100, High: b / 100, Bounds: true}, to: end}, true
	}
	if j == i { // "30 o 40" without a percent sign is a range only after "tra"
		return found{}, false
	}
	q, ok := share(a, b, base)
	if !ok {
		return found{to: end, needBase: true}, true
	}
	q.Bounds = true
	return found{q: q, to: end}, true
}

// readBound: "almeno il 40%", "meno della metà", "non più del 30%", "under 20".
func readBound(ts []token, i int, base float64) (found, bool) {
	lowerEnd, lower := matchAny(ts, i, lowerBounds)
	upperEnd, upper := matchAny(ts, i, upperBounds)
	if !lower && !upper {
		return found{}, false
	}
	j := lowerEnd
	if upper && upperEnd > lowerEnd {
		j, lower = upperEnd, false
	}
	var v float64
	end := 0
	notEven := notEvenWords[ts[i].w] && (ts[i].w != "not" || (i+1 < len(ts) && ts[i+1].w == "even"))
	if k, ok := matchAny(ts, j, fractionArticles); ok { // "almeno la metà", "at least a third"
		if q, e, ok := fractionAt(ts, k); ok && !q.Ranged() {
			j = k
			_ = e
		}
	}
	if s, e, ok := pctAt(ts, j); ok {
		v, end = s, e
	} else if q, e, ok := fractionAt(ts, j); ok && !q.Ranged() {
		v, end = q.Low, e
	} else if lo, _, _, e, ok := countAt(ts, j); ok && base > 0 && lo <= base && !notEven { // "neanche uno" is none
		v, end = lo/base, e
	} else {
		return found{}, false
	}
	selfNeg := ts[i].w == "non" || ts[i].w == "no" || ts[i].w == "not" || ts[i].w == "neanche" || ts[i].w == "nemmeno"
	if lower {
		return found{q: Quantity{Low: v, High: 1, Bounds: true}, to: end, selfNeg: selfNeg}, true
	}
	return found{q: Quantity{Low: 0, High: v, Bounds: true}, to: end, selfNeg: selfNeg}, true
}

// readOf: "30 su 78", "uno su cinque", "one in five", "9 out of 10", "1/3", "30 dei 78".
func readOf(ts []token, i int, _ float64) (found, bool) {
	one := (ts[i].w == "un" || ts[i].w == "a") && i+1 < len(ts) // "un lead su tre", "a lead in every four"
	if !isNum(ts, i) && !one {
		return found{}, false
	}
	k := i + 1
	if e, ok := matchAny(ts, k, countNouns); ok {
		k = e
	} else if one {
		return found{}, false
	}
	j, ok := matchAny(ts, k, ofWords)
	if !ok {
		return found{}, false
	}
	if k, ok := matchAny(ts, j, determiners); ok && isNum(ts, k) {
		j = k
	}
	if !isNum(ts, j) {
		return found{}, false
	}
	a, b := ts[i].num, ts[j].num
	if one {
		a = 1
	}
	if a == 50 && b == 50 { // "50/50": half, read as words
		return found{}, false
	}
	if b <= 0 || a > b || (j+1 < len(ts) && (unitWords[ts[j+1].w] || ts[j+1].w == "%")) {
		return found{}, false
	}
	c := a
	return found{q: Quantity{Low: a / b, High: a / b, Count: &c, Of: b}, to: j + 1}, true
}

// readBase: "dei 78", "of the 200 leads": the total the shares are of.
func readBase(ts []token, i int, base float64) (found, bool) {
	j, ok := matchAny(ts, i, baseWords)
	if !ok {
		return found{}, false
	}
	if k, ok := matchAny(ts, j, determiners); ok {
		j = k
	}
	if !isNum(ts, j) || (base > 0 && ts[j].num != base) || (j+1 < len(ts) && (ts[j+1].w == "%" || unitWords[ts[j+1].w])) {
		return found{}, false
	}
	return found{base: true, q: Quantity{Of: ts[j].num}, to: j + 1}, true
}

func readPercent(ts []token, i int, _ float64) (found, bool) {
	if s, end, ok := pctAt(ts, i); ok {
		return found{q: point(s), to: end}, true
	}
	return found{}, false
}

func readFraction(ts []token, i int, _ float64) (found, bool) {
	if q, end, ok := fractionAt(ts, i); ok {
		return found{q: q, to: end}, true
	}
	return found{}, false
}

func readCountWords(ts []token, i int, base float64) (found, bool) {
	if isNum(ts, skipArticle(ts, i)) {
		return found{}, false // numbers are read by readBareNumber
	}
	lo, hi, approx, end, ok := countAt(ts, i)
	if !ok {
		return found{}, false
	}
	q, ok := share(lo, hi, base)
	if !ok {
		return found{to: end, needBase: true}, true
	}
	q.Approx = approx
	return found{q: q, to: end}, true
}

// readZeroAll: "nessuno", "non ancora", "tutti".
func readZeroAll(ts []token, i int, _ float64) (found, bool) {
	if end, ok := matchAny(ts, i, yetWords); ok {
		if e, all := matchAny(ts, end, allWords); all { // "non ancora tutti": not all, yet
			return found{q: span(0.05, 0.95), to: e, selfNeg: true}, true
		}
		return found{q: point(0), to: end, selfNeg: true, yet: true}, true
	}
	if end, ok := matchAny(ts, i, zeroWords); ok {
		return found{q: point(0), to: end, selfNeg: true}, true
	}
	if end, ok := matchAny(ts, i, allWords); ok {
		if ts[i].w == "all" && (isNum(ts, end) || ts[i].elided) { // "all'80%", "all'agenzia": an article
			return found{}, false
		}
		return found{q: point(1), to: end, all: true}, true
	}
	return found{}, false
}

// readBareNumber: "il 35" is a percentage; "35" alone may be a count or a percentage.
func readBareNumber(ts []token, i int, base float64) (found, bool) {
	j := skipArticle(ts, i)
	if !isNum(ts, j) {
		return found{}, false
	}
	n := ts[j].num
	if j+1 < len(ts) && unitWords[ts[j+1].w] || (ts[j].digits && n >= 1900 && n <= 2100 && n != base) ||
		(i > 0 && (ts[i-1].w == "€" || ts[i-1].w == "euro")) {
		return found{to: j + 1, base: true}, true // a date, a duration, money: not a share
	}
	if j > i && ts[i].w != "un" && n <= 100 { // "il 35"
		return found{q: point(n / 100), to: j + 1}, true
	}
	if n == 0 {
		return found{q: point(0), to: j + 1, selfNeg: true}, true
	}
	if end, ok := matchAny(ts, j+1, countNouns); ok { // "30 lead", "thirty of them": a count
		if k, ok := matchAny(ts, end, ofWords); ok && isNum(ts, k) && ts[k].num >= n && ts[k].num > 0 { // "30 lead su 78"
			c := n
			return found{q: Quantity{Low: n / ts[k].num, High: n / ts[k].num, Count: &c, Of: ts[k].num}, to: k + 1}, true
		}
		return found{bare: true, counted: true, bareNum: n, to: end}, true
	}
	return found{bare: true, bareNum: n, to: j + 1}, true
}
