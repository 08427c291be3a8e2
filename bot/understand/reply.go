package understand

import (
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/whybot/whybot/knowledge/rules"
)

// Context is what a reply is read against: the share questions put to the person who
// wrote it, and what the shares are of.
type Context struct {
	Base     float64       // the period's leads, to turn counts into shares; 0 when unknown
	Open     []rules.Topic // share questions put to the writer and still open, in the order asked
	Answered []rules.Topic // share questions the writer answered before: a new figure corrects the old
	// Proposed are shares a question put to the writer to confirm (what the CRM says):
	// a plain yes ("sì, confermo") answers it with that share.
	Proposed map[rules.Topic]float64
}

// Answer is a share read for a topic, with the words it was read from.
type Answer struct {
	Topic rules.Topic `json:"topic"`
	Quantity
	Words string `json:"words"`        // the clause of the reply it was read from
	By    string `json:"by,omitempty"` // rules.ReadByModel when a language model read it; else the rules
	yet   bool   // "non ancora": none so far
}

// Reading is what was read from a reply. A reply with no answer keeps its questions open:
// Later, Unsure, Ambiguous and Unreadable say why, so the question can be put again.
type Reading struct {
	Answers    []Answer
	Later      bool    // "ti faccio sapere domani", "let me check": an answer will come
	Unsure     bool    // "non so", "boh"
	Ambiguous  bool    // a figure that fits more than one question, or a bare number (a count or a percentage?)
	Unreadable bool    // a count with no total to make a share of, or more than the total
	Correction bool    // "no, il 40%", "anzi", "sorry, I meant"
	Number     float64 // the bare figure of an ambiguous reply ("35": leads or percent?)
	LaterHours int     // when Later: in how many hours to ask again ("domani": 24)
}

// Answer returns the reading's answer on a topic.
func (r Reading) Answer(topic rules.Topic) (Answer, bool) {
	for _, a := range r.Answers {
		if a.Topic == topic {
			return a, true
		}
	}
	return Answer{}, false
}

// clause is a part of a reply between breaks and conjunctions, and what is in it.
type clause struct {
	from, to  int
	topic     rules.Topic
	negTopic  bool // the topic is said in the negative: "fuori target", "da chiamare"
	neg       int  // negations outside quantities: "non", "not"
	flip      bool // "ne mancano 5": the figure is of those not done
	unsure    bool
	later     bool
	quantity  *found
	answer    *Answer
	ownNeg    bool // the clause's figure was turned by its own negation ("il 70% non va bene")
	hasBase   bool // the clause names the total: "su 78 ne salvo 30" counts
	bareWords bool // a bare number with no topic: a count or a percentage
}

// Read reads a reply in the context of the questions put to its writer: the shares it
// states for each topic, exact, approximate or vague, or why it states none.
func Read(text string, ctx Context) Reading {
	text = clip(text, maxReply)
	ts := tokenize(text)
	base := ctx.Base
	fs := scan(ts, base)
	if base <= 0 {
		for _, f := range fs {
			if f.base && f.q.Of > 0 { // "dei 200, una settantina": the total is in the reply
				base = f.q.Of
				fs = scan(ts, base)
				break
			}
		}
	}
	cs := clauses(ts, fs)
	var r Reading
	if len(ts) > 0 {
		if _, ok := matchAny(ts, 0, correctionWords); ok && (ts[0].w != "no" || len(ts) > 1 && (ts[1].brk || ts[1].isNum || articles[ts[1].w])) {
			r.Correction = true
		}
	}
	for i := range cs {
		readClause(text, ts, &cs[i], base, &r)
	}
	attach(text, ts, cs, base)
	hedgeAfter(ts, cs)
	for _, c := range cs {
		if c.bareWords && !r.Ambiguous {
			r.Ambiguous, r.Number = true, c.quantity.bareNum
		}
	}
	if r.Later {
		r.LaterHours = laterHours(ts)
	}
	byTopic := map[rules.Topic]Answer{}
	var order []rules.Topic
	var bare []Answer
	for _, c := range cs {
		if c.answer == nil {
			continue
		}
		a := *c.answer
		if a.Topic == "" {
			bare = append(bare, a)
			continue
		}
		prev, seen := byTopic[a.Topic]
		if !seen {
			order = append(order, a.Topic)
		}
		if !seen || (prev.Ranged() && !a.Ranged()) { // "non tutti, diciamo la metà": the point wins
			byTopic[a.Topic] = a
		}
	}
	allowed := append(slices.Clone(ctx.Open), ctx.Answered...)
	var bareTo rules.Topic // the bare figures of a reply answer one topic: "non tutti, circa la metà"
	for _, a := range bare {
		if bareTo == "" {
			topic, ok := bareTopic(ctx, byTopic)
			if !ok {
				r.Ambiguous = true
				break
			}
			bareTo = topic
		}
		if a.yet && bareTo == rules.TopicLeadQuality { // "non ancora" to "how many are qualified": not looked yet
			r.Later = true
			continue
		}
		a.Topic = bareTo
		prev, seen := byTopic[bareTo]
		if !seen {
			order = append(order, bareTo)
		}
		if !seen || (prev.Ranged() && !a.Ranged()) {
			byTopic[bareTo] = a
		}
	}
	for _, t := range order {
		if slices.Contains(allowed, t) {
			r.Answers = append(r.Answers, byTopic[t])
		}
	}
	if len(ctx.Proposed) > 0 && denies(ts) { // "non è giusto", "not right": a refusal of the figure put to them, no share
		r.Answers = slices.DeleteFunc(r.Answers, func(a Answer) bool { _, proposed := ctx.Proposed[a.Topic]; return proposed })
	}
	if len(r.Answers) == 0 && !r.Later && !r.Unsure && !r.Correction && len(ctx.Proposed) > 0 && affirms(ts) {
		for _, t := range ctx.Open {
			if p, ok := ctx.Proposed[t]; ok {
				q := Quantity{Low: p, High: p}
				if ctx.Base > 0 {
					n := math.Round(p * ctx.Base)
					q.Count, q.Of = &n, ctx.Base
				}
				r.Answers = append(r.Answers, Answer{Topic: t, Quantity: q, Words: clip(strings.TrimSpace(text), 120)})
			}
		}
		r.Ambiguous = false
	}
	return r
}

// denies reports whether a reply says the figure put to it is wrong, with no figure of its
// own: "non è giusto", "not right", "non torna", "non è corretto".
func denies(ts []token) bool {
	no, yes := false, false
	for i := range ts {
		if ts[i].isNum {
			return false
		}
		if _, neg := matchAny(ts, i, negWords); neg || denyWords[ts[i].w] {
			no = true
		}
		if _, ok := matchAny(ts, i, yesWords); ok {
			yes = true
		}
	}
	return no && yes
}

// affirms reports whether a reply says yes and nothing against it: "sì", "confermo",
// "esatto, torna", "yes that's right" — not "no", "non torna", "sì ma sono di meno".
func affirms(ts []token) bool {
	yes := false
	for i := 0; i < len(ts); i++ {
		if ts[i].isNum {
			return false // a figure is an answer of its own, read above
		}
		if _, neg := matchAny(ts, i, negWords); neg || denyWords[ts[i].w] || ts[i].w == "ma" || ts[i].w == "but" || ts[i].w == "pero" {
			return false
		}
		if n, ok := matchAny(ts, i, yesWords); ok {
			yes = true
			i += n - 1
		}
	}
	return yes
}

// bareTopic is the topic a figure with no topic answers: the one share question open for
// the writer, or, with none open, the one they answered before (a correction).
func bareTopic(ctx Context, have map[rules.Topic]Answer) (rules.Topic, bool) {
	var open []rules.Topic
	for _, t := range ctx.Open {
		if _, ok := have[t]; !ok {
			open = append(open, t)
		}
	}
	switch {
	case len(open) == 1:
		return open[0], true
	case len(ctx.Open) == 0 && len(ctx.Answered) == 1:
		return ctx.Answered[0], true
	}
	return "", false
}

// clauses splits the tokens at breaks and conjunctions, never inside a quantity.
func clauses(ts []token, fs []found) []clause {
	inSpan := func(i int) bool {
		for _, f := range fs {
			if i > f.from && i < f.to {
				return true
			}
		}
		return false
	}
	var out []clause
	start := 0
	cut := func(i int) {
		if i > start {
			out = append(out, clause{from: start, to: i})
		}
		start = i + 1
	}
	for i, t := range ts {
		if (t.brk || conjWords[t.w] && !t.accent && !isJoin(ts, i, fs)) && !inSpan(i) {
			cut(i)
		}
	}
	cut(len(ts))
	for i := range out {
		c := &out[i]
		for k := range fs {
			if fs[k].from >= c.from && fs[k].to <= c.to && !(fs[k].base && fs[k].q.Of == 0) {
				if fs[k].base {
					c.hasBase = c.hasBase || fs[k].q.Of > 0
					continue
				}
				if c.quantity == nil || (c.quantity.bare && !fs[k].bare) {
					c.quantity = &fs[k]
				}
			}
		}
	}
	return out
}

// isJoin reports whether a conjunction joins a quantity's words to its own clause: "tutti
// e 78".
func isJoin(ts []token, i int, fs []found) bool {
	return i > 0 && i+1 < len(ts) && ts[i-1].isNum && ts[i+1].isNum && ts[i].w == "e"
}

// readClause finds the clause's topic, negations and quantity, and its answer if it has
// both.
func readClause(text string, ts []token, c *clause, base float64, r *Reading) {
	covered := map[int]bool{}
	for i := c.from; i < c.to; i++ {
		if end, ok := matchAny(ts, i, unsureWords); ok && end <= c.to {
			c.unsure = true
			for k := i; k < end; k++ {
				covered[k] = true
			}
		}
	}
	if c.quantity != nil {
		for k := c.quantity.from; k < c.quantity.to; k++ {
			covered[k] = true
		}
	}
	skip := func(i int) bool { return covered[i] }
	switch {
	case has(ts, c, followNeg, skip):
		c.topic, c.negTopic = rules.TopicSalesFollowup, true
	case has(ts, c, followPos, skip):
		c.topic = rules.TopicSalesFollowup
	case has(ts, c, qualityNeg, skip):
		c.topic, c.negTopic = rules.TopicLeadQuality, true
	case has(ts, c, qualityPos, skip):
		c.topic = rules.TopicLeadQuality
	case has(ts, c, followWeak, skip):
		c.topic = rules.TopicSalesFollowup
	}
	negAt := -1
	if last := c.to - 1; last > c.from && ts[last].w == "no" && !covered[last] { // "la maggior parte no"
		c.neg++
		negAt = last
	}
	for i := c.from; i < c.to; i++ {
		if covered[i] {
			continue
		}
		if _, ok := matchAny(ts, i, negWords); ok {
			c.neg++
			if negAt < 0 {
				negAt = i
			}
		}
	}
	c.flip = has(ts, c, flipWords, skip)
	c.later = has(ts, c, laterWords, nil)
	if c.later {
		r.Later = true
	}
	if c.unsure {
		r.Unsure = true
	}
	f := c.quantity
	if c.unsure && f == nil {
		return
	}
	if f != nil && f.all && f.from > c.from && nearlyWords[ts[f.from-1].w] { // "nearly every one": almost all
		nf := *f
		nf.q, nf.all = span(0.85, 0.99), false
		f = &nf
	}
	if f != nil && f.all && negAt >= 0 && negAt < f.from { // "non li abbiamo chiamati tutti": not all
		nf := *f
		nf.q, nf.all, nf.selfNeg = span(0.05, 0.95), false, true
		f, c.neg = &nf, c.neg-1
	}
	words := strings.TrimSpace(text[ts[c.from].at:ts[c.to-1].end])
	switch {
	case f == nil:
		if c.topic != "" && c.neg%2 == 1 && !c.negTopic && !c.later { // "non li abbiamo chiamati": none
			c.answer = &Answer{Topic: c.topic, Quantity: point(0), Words: words}
		}
		return
	case f.needBase:
		r.Unreadable = true
		return
	case f.yet && c.topic == rules.TopicLeadQuality: // "non ancora" to "how many are qualified": not looked yet
		r.Later = true
		return
	}
	q := f.q
	hedged := approxNear(ts, c, f)
	if f.bare {
		// a number alone is a count when the clause says of what ("30 in target"), hedges
		// it ("circa 30": people hedge counts; shares come with %) or counts what is left
		// ("ne mancano 5"); else it may be a count or a percentage, unless only one fits
		counted := c.topic != "" || hedged || c.flip || f.counted || c.hasBase
		if !counted && !(base > 0 && f.bareNum > base && f.bareNum <= 100) && !(base <= 0 && f.bareNum <= 100) {
			c.bareWords = true
			return
		}
		if !counted || base <= 0 {
			q = point(f.bareNum / 100)
		} else if sq, ok := share(f.bareNum, f.bareNum, base); ok {
			q = sq
		} else {
			r.Unreadable = true
			return
		}
	}
	q.Approx = q.Approx || hedged
	c.ownNeg = !f.selfNeg && c.neg%2 == 1
	// "ne restano da chiamare il 40%", "5 left to call": what is left, said once or twice,
	// is the same negative
	if c.ownNeg != (c.negTopic || c.flip) {
		q = q.complement()
	}
	c.answer = &Answer{Topic: c.topic, Quantity: q, Words: words, yet: f.yet}
}

func has(ts []token, c *clause, list *phraseSet, skip func(int) bool) bool {
	_, ok := containsAt(ts, c.from, c.to, list, skip)
	return ok
}

// approxNear reports whether a quantity is hedged: "circa il 35%", "direi una trentina",
// "40 o giù di lì".
func approxNear(ts []token, c *clause, f *found) bool {
	if approxArticles[ts[f.from].w] && isNum(ts, f.from+1) { // "sul 35%", "un 30%"
		return true
	}
	for k := f.from; k < f.to; k++ {
		if ts[k].w == "ish" { // "35ish%"
			return true
		}
	}
	for i := max(c.from, f.from-4); i < f.from; i++ {
		if end, ok := matchAny(ts, i, approxBefore); ok && end <= f.from+1 && ts[i].w != "un" || (ok && ts[i].w == "un" && end == f.from) {
			return true
		}
	}
	if _, ok := containsAt(ts, c.from, c.to, hedgeWords, func(i int) bool { return i >= f.from && i < f.to }); ok {
		return true // "direi il 30%", "il 30% credo"
	}
	for i := c.from; i < c.to; i++ {
		if ts[i].w == "sara" && ts[i].accent { // "sarà il 30%": the future of guessing
			return true
		}
	}
	if f.to < c.to {
		if _, ok := matchAny(ts, f.to, approxAfter); ok {
			return true
		}
	}
	return false
}

// attach gives a figure in a clause with no topic the topic of the clause beside it:
// "fuori target, direi il 60%", "il 40%, quelli in target".
func attach(text string, ts []token, cs []clause, base float64) {
	for i := range cs {
		c := &cs[i]
		if c.answer == nil && !c.bareWords || c.topic != "" {
			continue
		}
		var to *clause
		if i > 0 && cs[i-1].topic != "" && (cs[i-1].answer == nil || cs[i-1].answer.Ranged()) {
			to = &cs[i-1]
		} else if i+1 < len(cs) && cs[i+1].topic != "" && cs[i+1].quantity == nil {
			to = &cs[i+1]
		}
		if to == nil {
			continue
		}
		if c.bareWords { // a bare number beside a topic is a count of it
			sq, ok := share(c.quantity.bareNum, c.quantity.bareNum, base)
			if !ok {
				continue
			}
			sq.Approx = approxNear(ts, c, c.quantity)
			c.answer = &Answer{Quantity: sq, Words: strings.TrimSpace(text[ts[c.from].at:ts[c.to-1].end])}
			c.bareWords = false
		}
		if to.negTopic && !c.ownNeg { // "il 70% non va bene, sono fuori target" is one negative, said twice
			c.answer.Quantity = c.answer.complement()
		}
		c.answer.Topic = to.topic
	}
}

var nearlyWords = map[string]bool{"quasi": true, "nearly": true, "almost": true, "practically": true, "praticamente": true, "virtually": true, "basically": true}

var approxArticles = map[string]bool{"sul": true, "sull": true, "sui": true, "sulla": true, "un": true}

var (
	nextWeek   = phrases("next week", "prossima settimana", "settimana prossima", "lunedi", "monday")
	laterToday = phrases("stasera", "tonight", "piu tardi", "later today", "in giornata", "oggi pomeriggio", "this afternoon", "tra poco", "in a bit", "shortly")
)

// laterHours is when to ask again someone who will answer later: the next day unless
// they said tonight or later today (4 hours) or next week (3 days).
func laterHours(ts []token) int {
	for i := range ts {
		if _, ok := matchAny(ts, i, nextWeek); ok {
			return 72
		}
		if _, ok := matchAny(ts, i, laterToday); ok {
			return 4
		}
	}
	return 24
}

// maxReply is how much of a reply is read: a chat reply is shorter; a longer text is read
// up to here, in bounded time and memory.
const maxReply = 4000

// clip cuts s to at most n bytes, at a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// hedgeAfter makes an answer an estimate when the clause after it is only a hedge: "il
// 30%, forse", "40%, I think".
func hedgeAfter(ts []token, cs []clause) {
	for i := 1; i < len(cs); i++ {
		c, prev := cs[i], cs[i-1]
		if prev.answer == nil || c.answer != nil || c.quantity != nil {
			continue
		}
		only := true
		for k := c.from; k < c.to && only; k++ {
			end, ok := matchAny(ts, k, hedgeWords)
			if !ok {
				end, ok = matchAny(ts, k, approxAfter)
			}
			if !ok && !fillerWords[ts[k].w] {
				only = false
			}
			if ok {
				k = end - 1
			}
		}
		if only {
			cs[i-1].answer.Approx = true
		}
	}
}

// fillerWords may stand beside a hedge in a clause of its own: "ma forse", "I think so".
var fillerWords = map[string]bool{"ma": true, "but": true, "i": true, "so": true, "direi": true, "mi": true, "sembra": true, "pare": true}
