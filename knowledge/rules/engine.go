package rules

import (
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/metric"
	"github.com/whybot/whybot/knowledge/profile"
)

// Input is one turn's evidence: the data, what was asked, who asked, and what people said.
type Input struct {
	Data   *kpi.Dataset
	Intent Intent
	Asker  profile.Person
	Facts  []Fact
}

// leadMetrics are the metrics whose explanation needs lead quality and sales follow-up.
var leadMetrics = map[string]bool{
	"leads": true, "qualified_leads": true, "cost_per_lead": true, "conversion_rate": true,
	"qualified_rate": true, "leads_followed_up": true, "followup_rate": true, "cost_per_qualified_lead": true,
}

// costMetrics are the metrics whose explanation needs a retention plan when CAC rises.
var costMetrics = map[string]bool{
	"cac": true, "cpa": true, "ad_spend": true, "cost_per_lead": true, "new_customers": true,
	"cost_per_qualified_lead": true, "roas": true,
}

// Related lists the metrics that explain a metric, for choosing what to show.
func Related(id string) map[string]bool {
	m := map[string]bool{id: true}
	if leadMetrics[id] {
		for k := range leadMetrics {
			m[k] = true
		}
		m["ad_spend"], m["cac"], m["new_customers"] = true, true, true
	}
	if costMetrics[id] {
		for k := range costMetrics {
			m[k] = true
		}
		m["repeat_rate"], m["ltv"], m["churn"] = true, true, true
	}
	return m
}

// Evaluate runs every rule family for the latest period of the data, in the order of
// families: what one family finds or asks can change what a later one does (unreliable
// data and a rising CAC are strategy signals; a breached limit is asked about before a value
// at risk). Findings are then reported in AllRules order.
func (s *Set) Evaluate(in Input) Result {
	e := newEval(s, in)
	fams := families
	if in.Intent.Kind == KindValue {
		fams = valueFamilies
	}
	for _, f := range fams {
		f.run(e)
	}
	sort.SliceStable(e.res.Findings, func(i, j int) bool { return ruleOrder(e.res.Findings[i].Rule) < ruleOrder(e.res.Findings[j].Rule) })
	return e.res
}

// family is one group of rules, evaluated together.
type family struct {
	name string
	run  func(e *eval)
}

// families are the rule families in the order they run.
var families = []family{
	{"observed", observeFamily},
	{"premise", premiseFamily},
	{"normal or unusual", normalFamily},
	{"drivers", driversFamily},
	{"ratio drivers", ratioFamily},
	{"data quality", dataQualityFamily},
	{"lead quality and follow-up", leadsFamily},
	{"vanity", vanityFamily},
	{"limits", limitsFamily},
	{"values", valuesFamily},
	{"goals", goalsFamily},
	{"acquisition cost", acquisitionCostFamily},
	{"channel concentration", channelFamily},
	{"funnel coverage", funnelFamily},
	{"strategy signals", strategyFamily},
	{"report", reportFamily},
	{"plays", playsFamily},
}

// eval is one evaluation: the latest and previous values (with the facts people gave), where
// each came from, what was asked, and what the families found so far.
type eval struct {
	s          *Set
	p          *profile.Profile
	th         profile.Thresholds
	in         Input
	it         Intent
	ds         *kpi.Dataset
	cat        *metric.Catalogue // the company's metrics
	L          int               // index of the latest period
	period     string
	prevPeriod string
	latest     map[string]float64
	previous   map[string]float64
	sources    map[string]string
	facts      map[Topic]Fact      // by topic: the latest answer on a topic wins
	ranges     map[string]*Reading // metrics a person gave only vague words for ("most"): a range, no figure
	approx     map[string]bool     // metrics whose value rests on a person's estimate ("circa il 35%")
	subject    string              // the metric the question is about (leads when it names none)
	concMetric string              // the metric whose channels are looked at
	res        Result
	asked      map[Topic]bool
	seenObs    map[string]bool

	dataUnreliable, limitBreached, cacRising bool // signals for later families
}

func newEval(s *Set, in Input) *eval {
	ds := in.Data
	L := ds.Len() - 1
	e := &eval{s: s, p: s.Profile, cat: s.Profile.Catalogue(), th: s.Profile.Thresholds, in: in, it: in.Intent, ds: ds, L: L, period: ds.Periods[L].String(),
		res:   Result{Period: ds.Periods[L].String(), Findings: []Finding{}, Questions: []Question{}, Observed: []Observed{}},
		asked: map[Topic]bool{}, seenObs: map[string]bool{}, previous: map[string]float64{}}
	if L > 0 {
		e.prevPeriod = ds.Periods[L-1].String()
		e.previous = ds.Values(L - 1)
	}
	e.latestValues()
	e.subject = e.it.Metric
	if e.subject == "" && !e.overview() {
		e.subject = "leads"
		if !ds.Has("leads") {
			e.subject = ""
		}
	}
	e.concMetric = e.subject
	if e.concMetric == "" {
		e.concMetric = "leads"
	}
	return e
}

// latestValues are the data's latest values, plus the facts people gave (which fill what
// the data lacks), with the metrics derived from them and where each came from.
func (e *eval) latestValues() {
	ds, L := e.ds, e.L
	latest := ds.Values(L)
	sources := map[string]string{}
	for id := range latest {
		if name, pulled := ds.PulledFrom(L, id); pulled && ds.Given(L, id) {
			sources[id] = "source:" + name // pulled from a platform: the evidence names it
		} else if ds.Given(L, id) {
			sources[id] = "data"
		} else {
			sources[id] = "derived"
		}
	}
	facts := map[Topic]Fact{}
	e.ranges, e.approx = map[string]*Reading{}, map[string]bool{}
	for _, f := range e.in.Facts {
		facts[f.Topic] = f
		if f.Metric == "" || ds.Given(L, f.Metric) {
			continue // the data's own figure stands
		}
		switch {
		case f.Value != nil:
			latest[f.Metric] = *f.Value
			sources[f.Metric] = "fact:" + f.By
			delete(e.ranges, f.Metric)
			e.approx[f.Metric] = f.Reading != nil && f.Reading.Approx
		case f.Reading.Ranged():
			delete(latest, f.Metric)
			delete(e.approx, f.Metric)
			e.ranges[f.Metric] = f.Reading
		}
	}
	// rates given by people turn into counts, then derived metrics follow
	if r, ok := latest["qualified_rate"]; ok && strings.HasPrefix(sources["qualified_rate"], "fact:") {
		if l, ok := latest["leads"]; ok {
			latest["qualified_leads"] = r * l
			sources["qualified_leads"] = sources["qualified_rate"]
			e.approx["qualified_leads"] = e.approx["qualified_rate"]
			delete(latest, "cost_per_qualified_lead")
		}
	}
	if r, ok := latest["followup_rate"]; ok && strings.HasPrefix(sources["followup_rate"], "fact:") {
		if l, ok := latest["leads"]; ok {
			latest["leads_followed_up"] = r * l
			sources["leads_followed_up"] = sources["followup_rate"]
		}
	}
	before := map[string]bool{}
	for id := range latest {
		before[id] = true
	}
	kpi.DeriveWith(e.cat, latest)
	for id := range latest {
		if !before[id] {
			sources[id] = "derived"
			if strings.HasPrefix(sources["qualified_leads"], "fact:") && (id == "cost_per_qualified_lead") {
				sources[id] = "derived:" + sources["qualified_leads"]
				e.approx[id] = e.approx["qualified_rate"]
			}
		}
	}
	e.latest, e.sources, e.facts = latest, sources, facts
}

// overview reports whether the question is about the whole picture (how are we doing, what
// does this report mean), not one metric.
func (e *eval) overview() bool { return e.it.Kind == KindStatus || e.it.Kind == KindReport }

func (e *eval) datum(id string) Datum {
	return Datum{Metric: id, Period: e.period, Value: e.latest[id], Source: e.sources[id]}
}

func (e *eval) add(f Finding) {
	if f.Evidence == nil {
		f.Evidence = []Datum{}
	}
	e.res.Findings = append(e.res.Findings, f)
}

// ask puts a question to someone, once per topic, unless it was answered.
func (e *eval) ask(topic Topic, to string, rule RuleID, params map[string]any) {
	if _, answered := e.facts[topic]; answered || e.asked[topic] || e.it.Kind == KindReport { // a report is explained at once: what to check is in it
		return
	}
	e.asked[topic] = true
	e.res.Questions = append(e.res.Questions, Question{Topic: topic, To: to, Rule: rule, Params: params})
}

// holder is who holds a fact: the first person with one of the roles, else the asker.
func (e *eval) holder(roles ...string) string {
	for _, r := range roles {
		if x, ok := e.p.ByRole(r); ok {
			return x.Handle
		}
	}
	return e.in.Asker.Handle
}

func ruleOrder(id RuleID) int {
	for i, r := range AllRules {
		if r == id {
			return i
		}
	}
	return len(AllRules)
}

func factBy(facts map[Topic]Fact, topic Topic) string {
	if f, ok := facts[topic]; ok {
		return f.By
	}
	return ""
}

func anyIn(set map[string]bool, ev []Datum) bool {
	for _, d := range ev {
		if set[d.Metric] {
			return true
		}
	}
	return false
}

func knownList(ds *kpi.Dataset) []string { return ds.Metrics() }

func changePct(latest, previous map[string]float64, id string) (float64, bool) {
	v, ok1 := latest[id]
	pv, ok2 := previous[id]
	if !ok1 || !ok2 || pv == 0 {
		return 0, false
	}
	return (v - pv) / math.Abs(pv) * 100, true
}

// project extends the recent trend of a goal's metric to the goal's month.
func project(ds *kpi.Dataset, L int, g profile.Goal, latest map[string]float64) (float64, int, bool) {
	deadline, ok := g.Deadline()
	if !ok || ds.Grain != kpi.Month {
		return 0, 0, false
	}
	last := ds.Periods[L]
	dl := kpi.Period{Grain: kpi.Month, Start: deadline.AddDate(0, 0, 1-deadline.Day())}
	steps := last.Steps(dl)
	if steps < 0 {
		return latest[g.Metric], 0, true
	}
	// average change per period over the last three periods with data
	var pts []float64
	for i := max(0, L-3); i < L; i++ {
		if v, ok := ds.Value(i, g.Metric); ok {
			pts = append(pts, v)
		}
	}
	cur := latest[g.Metric]
	if len(pts) == 0 {
		return 0, 0, false // no history: no trend to extend
	}
	slope := (cur - pts[0]) / float64(len(pts))
	return cur + slope*float64(steps), steps, true
}

// risingRun counts how many consecutive periods up to the latest a metric rose.
func risingRun(ds *kpi.Dataset, id string) (int, []kpi.Point) {
	s := ds.Series(id)
	run := 0
	i := len(s) - 1
	for ; i > 0; i-- {
		if !s[i].OK || !s[i-1].OK || s[i].Value <= s[i-1].Value {
			break
		}
		run++
	}
	return run, s[i:]
}

func coefVar(ds *kpi.Dataset, id string, n int) (float64, bool) {
	s := ds.Series(id)
	var vals []float64
	for i := max(0, len(s)-n); i < len(s); i++ {
		if s[i].OK {
			vals = append(vals, s[i].Value)
		}
	}
	if len(vals) < 4 {
		return 0, false
	}
	mean := 0.0
	for _, v := range vals {
		mean += v
	}
	mean /= float64(len(vals))
	if mean == 0 {
		return 0, false
	}
	ss := 0.0
	for _, v := range vals {
		ss += (v - mean) * (v - mean)
	}
	return math.Sqrt(ss/float64(len(vals))) / mean, true
}

type variant struct {
	name string
	row  kpi.Row
}

// sourceAliases folds common spellings of the same UTM source.
var sourceAliases = map[string]string{
	"fb": "facebook", "facebook.com": "facebook", "m.facebook.com": "facebook", "l.facebook.com": "facebook", "meta": "facebook",
	"ig": "instagram", "instagram.com": "instagram", "l.instagram.com": "instagram",
	"google.com": "google", "adwords": "google", "googleads": "google", "google_ads": "google",
	"linkedin.com": "linkedin", "lnkd.in": "linkedin", "li": "linkedin",
	"newsletter": "email", "mail": "email", "e-mail": "email", "mailchimp": "email",
}

// CanonicalSource folds a UTM source to one spelling.
func CanonicalSource(s string) string {
	k := strings.ToLower(strings.TrimSpace(s))
	k = strings.TrimPrefix(strings.TrimPrefix(k, "https://"), "www.")
	if a, ok := sourceAliases[k]; ok {
		return a
	}
	return k
}

func utmVariants(ds *kpi.Dataset) map[string][]variant {
	groups := map[string][]variant{}
	vals := ds.DimValues("source")
	names := make([]string, 0, len(vals))
	for n := range vals {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := CanonicalSource(n)
		groups[c] = append(groups[c], variant{name: n, row: vals[n]})
	}
	for k, vs := range groups {
		if len(vs) < 2 {
			delete(groups, k)
		}
	}
	return groups
}

func canonicalSources(m map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range m {
		out[CanonicalSource(k)] += v
	}
	return out
}

func sum(m map[string]float64) float64 {
	t := 0.0
	for _, v := range m {
		t += v
	}
	return t
}

func sortedKeys(m map[string]float64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func round(v float64) float64 { return math.Round(v*100) / 100 }

func itoa(n int) string { return strconv.Itoa(n) }
