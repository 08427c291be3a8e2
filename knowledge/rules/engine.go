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

// Evaluate runs every rule for the latest period of the data.
func (s *Set) Evaluate(in Input) Result {
	p := s.Profile
	th := p.Thresholds
	ds := in.Data
	L := ds.Len() - 1
	res := Result{Period: ds.Periods[L].String(), Findings: []Finding{}, Questions: []Question{}, Observed: []Observed{}}
	period := ds.Periods[L].String()
	prevPeriod := ""
	if L > 0 {
		prevPeriod = ds.Periods[L-1].String()
	}

	// Latest values: the data, plus the facts people gave (which fill what the data lacks).
	latest := ds.Values(L)
	sources := map[string]string{}
	for id := range latest {
		if ds.Given(L, id) {
			sources[id] = "data"
		} else {
			sources[id] = "derived"
		}
	}
	facts := map[string]Fact{}
	for _, f := range in.Facts {
		facts[f.Topic] = f // the latest answer on a topic wins
		if f.Metric != "" && f.Value != nil {
			if _, inData := latest[f.Metric]; !inData || sources[f.Metric] == "fact" || !ds.Given(L, f.Metric) {
				latest[f.Metric] = *f.Value
				sources[f.Metric] = "fact:" + f.By
			}
		}
	}
	// rates given by people turn into counts, then derived metrics follow
	if r, ok := latest["qualified_rate"]; ok && strings.HasPrefix(sources["qualified_rate"], "fact:") {
		if l, ok := latest["leads"]; ok {
			latest["qualified_leads"] = r * l
			sources["qualified_leads"] = sources["qualified_rate"]
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
	kpi.Derive(latest)
	for id := range latest {
		if !before[id] {
			sources[id] = "derived"
			if strings.HasPrefix(sources["qualified_leads"], "fact:") && (id == "cost_per_qualified_lead") {
				sources[id] = "derived:" + sources["qualified_leads"]
			}
		}
	}
	previous := map[string]float64{}
	if L > 0 {
		previous = ds.Values(L - 1)
	}
	datum := func(id string) Datum {
		return Datum{Metric: id, Period: period, Value: latest[id], Source: sources[id]}
	}
	add := func(f Finding) {
		if f.Evidence == nil {
			f.Evidence = []Datum{}
		}
		res.Findings = append(res.Findings, f)
	}
	asked := map[string]bool{}
	ask := func(topic, to, rule string, params map[string]any) {
		if _, answered := facts[topic]; answered || asked[topic] {
			return
		}
		asked[topic] = true
		res.Questions = append(res.Questions, Question{Topic: topic, To: to, Rule: rule, Params: params})
	}
	holder := func(roles ...string) string {
		for _, r := range roles {
			if x, ok := p.ByRole(r); ok {
				return x.Handle
			}
		}
		return in.Asker.Handle
	}
	it := in.Intent
	subject := it.Metric
	if subject == "" && it.Kind != "status" {
		subject = "leads"
		if !ds.Has("leads") {
			subject = ""
		}
	}

	// observed: the asked metric first, then the decisional KPIs
	seenObs := map[string]bool{}
	observe := func(id string) {
		if id == "" || seenObs[id] {
			return
		}
		v, ok := latest[id]
		if !ok {
			return
		}
		seenObs[id] = true
		o := Observed{Metric: id, Period: period, PreviousPeriod: prevPeriod, Value: round(v), Source: sources[id]}
		if pv, ok := previous[id]; ok {
			pv := round(pv)
			o.PreviousValue = &pv
			if pv != 0 {
				c := round((v - pv) / math.Abs(pv) * 100)
				o.ChangePct = &c
			}
		}
		res.Observed = append(res.Observed, o)
	}
	observe(it.Metric)
	if leadMetrics[it.Metric] {
		for _, id := range []string{"qualified_leads", "qualified_rate", "leads_followed_up", "followup_rate", "ad_spend", "cost_per_lead"} {
			observe(id)
		}
	}
	for _, id := range p.Decisional() {
		observe(id)
	}

	// unknown_metric / missing data for the asked metric
	if it.Unknown != "" && it.Metric == "" {
		add(Finding{Rule: UnknownMetric, Severity: Warning, Subject: it.Unknown, Params: map[string]any{"name": it.Unknown, "known": knownList(ds)}})
		ask(TopicMissingData, in.Asker.Handle, UnknownMetric, map[string]any{"name": it.Unknown})
	}
	if it.Metric != "" {
		if _, ok := latest[it.Metric]; !ok {
			if !ds.Has(it.Metric) {
				add(Finding{Rule: UnknownMetric, Severity: Warning, Subject: it.Metric, Params: map[string]any{"metric": it.Metric, "known": knownList(ds)}})
			} else {
				add(Finding{Rule: DataGap, Severity: Warning, Subject: it.Metric, Params: map[string]any{"kind": "metric_missing", "metric": it.Metric, "period": period}})
			}
			ask(TopicMissingData, in.Asker.Handle, UnknownMetric, map[string]any{"metric": it.Metric, "period": period})
		}
	}

	// premise_mismatch
	if it.Metric != "" {
		v, ok1 := latest[it.Metric]
		pv, ok2 := previous[it.Metric]
		if ok1 && ok2 && pv != 0 {
			change := (v - pv) / math.Abs(pv) * 100
			claimed := it.ClaimedChangePct
			mismatch := false
			params := map[string]any{"metric": it.Metric, "observed_pct": round(change), "period": period, "previous_period": prevPeriod}
			if claimed != nil {
				params["claimed_pct"] = *claimed
				if math.Abs(*claimed-change) > th.PremiseTolerancePts || (*claimed > 0) != (change > 0) && math.Abs(change) > 0.5 {
					mismatch = true
				}
			} else if (it.Direction == "up" && change < -0.5) || (it.Direction == "down" && change > 0.5) {
				mismatch = true
				params["claimed_direction"] = it.Direction
			}
			if mismatch {
				add(Finding{Rule: PremiseMismatch, Severity: Warning, Subject: it.Metric, Params: params,
					Evidence: []Datum{datum(it.Metric), {Metric: it.Metric, Period: prevPeriod, Value: pv, Source: "data"}}})
			}
		}
	}

	// data reliability
	gaps := ds.Gaps()
	dataUnreliable := false
	if len(gaps) > 0 {
		labels := make([]string, 0, len(gaps))
		for _, g := range gaps {
			labels = append(labels, g.String())
		}
		add(Finding{Rule: DataGap, Severity: Warning, Subject: "periods", Params: map[string]any{"kind": "periods_missing", "periods": labels}})
		dataUnreliable = true
	}
	if it.Metric != "" && L > 0 {
		if _, ok := previous[it.Metric]; !ok && ds.Has(it.Metric) {
			if _, ok := latest[it.Metric]; ok {
				add(Finding{Rule: DataGap, Severity: Warning, Subject: it.Metric, Params: map[string]any{"kind": "previous_missing", "metric": it.Metric, "period": prevPeriod}})
				dataUnreliable = true
			}
		}
	}
	for _, id := range p.Decisional() {
		if _, ok := latest[id]; ok {
			continue
		}
		if L > 0 && ds.Given(L-1, id) {
			add(Finding{Rule: DataGap, Severity: Warning, Subject: id, Params: map[string]any{"kind": "stopped", "metric": id, "period": period}})
			dataUnreliable = true
		}
	}
	utm := utmVariants(ds)
	if len(utm) > 0 {
		var ev []Datum
		groups := []map[string]any{}
		keys := make([]string, 0, len(utm))
		for k := range utm {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			vs := utm[k]
			names := make([]string, 0, len(vs))
			for _, v := range vs {
				names = append(names, v.name)
				ev = append(ev, Datum{Metric: v.row.Metric, Period: v.row.Period.String(), Value: v.row.Value, Source: v.row.File + ":" + itoa(v.row.Line) + " source=" + v.name})
			}
			groups = append(groups, map[string]any{"canonical": k, "variants": names})
		}
		add(Finding{Rule: UTMInconsistent, Severity: Warning, Subject: "source", Params: map[string]any{"groups": groups}, Evidence: ev})
		dataUnreliable = true
		if subject != "" && len(ds.Breakdown(L, subject, "source")) > 0 {
			ask(TopicDataQuality, holder("agency", "marketing"), UTMInconsistent, map[string]any{"groups": groups})
		}
	}
	for _, f := range res.Findings {
		if f.Rule == DataGap && f.Subject == it.Metric && it.Metric != "" {
			ask(TopicDataQuality, holder("agency", "marketing"), DataGap, map[string]any{"metric": it.Metric})
		}
	}

	// leads: quality and follow-up
	leadQuestion := leadMetrics[subject]
	if it.Kind == "status" {
		if c, ok := changePct(latest, previous, "leads"); ok && math.Abs(c) >= th.LeadSwingPct {
			leadQuestion = true
		}
	}
	if leadQuestion && ds.Has("leads") {
		if _, ok := latest["qualified_rate"]; !ok {
			add(Finding{Rule: LeadQualityUnknown, Severity: Warning, Subject: "leads", Params: map[string]any{"period": period, "leads": latest["leads"]}, Evidence: []Datum{datum("leads")}})
			ask(TopicLeadQuality, holder("marketing", "agency", "owner"), LeadQualityUnknown, map[string]any{"period": period, "leads": latest["leads"]})
		}
		if _, ok := latest["followup_rate"]; !ok {
			add(Finding{Rule: FollowupUnknown, Severity: Warning, Subject: "leads", Params: map[string]any{"period": period, "leads": latest["leads"]}, Evidence: []Datum{datum("leads")}})
			ask(TopicSalesFollowup, holder("sales", "owner"), FollowupUnknown, map[string]any{"period": period, "leads": latest["leads"]})
		}
	}
	if q, ok := latest["qualified_rate"]; ok && (leadQuestion || it.Kind == "status") && q < th.QualifiedRateMin {
		ev := []Datum{datum("qualified_rate")}
		for _, id := range []string{"qualified_leads", "leads", "cost_per_qualified_lead"} {
			if _, ok := latest[id]; ok {
				ev = append(ev, datum(id))
			}
		}
		add(Finding{Rule: LeadQualityLow, Severity: Warning, Subject: "qualified_rate", Params: map[string]any{"rate": q, "min": th.QualifiedRateMin, "by": factBy(facts, TopicLeadQuality)}, Evidence: ev})
	}
	if fr, ok := latest["followup_rate"]; ok && (leadQuestion || it.Kind == "status") && fr < th.FollowupRateMin {
		ev := []Datum{datum("followup_rate")}
		params := map[string]any{"rate": fr, "min": th.FollowupRateMin, "by": factBy(facts, TopicSalesFollowup)}
		if l, ok := latest["leads"]; ok {
			ev = append(ev, datum("leads"))
			params["not_followed"] = math.Round(l * (1 - fr))
		}
		add(Finding{Rule: FollowupGap, Severity: Critical, Subject: "followup_rate", Params: params, Evidence: ev})
	}

	// vanity metrics
	if it.Metric != "" && p.Vanity(it.Metric) {
		params := map[string]any{"metric": it.Metric, "kind": it.Kind}
		if it.Target != nil {
			params["target"] = *it.Target
		}
		var ev []Datum
		if _, ok := latest[it.Metric]; ok {
			ev = append(ev, datum(it.Metric))
		}
		add(Finding{Rule: VanityMetric, Severity: Warning, Subject: it.Metric, Params: params, Evidence: ev})
		ask(TopicMetricPurpose, in.Asker.Handle, VanityMetric, params)
	}
	for _, g := range p.Goals {
		if p.Vanity(g.Metric) && g.Metric != it.Metric {
			add(Finding{Rule: VanityMetric, Severity: Info, Subject: g.Metric, Params: map[string]any{"metric": g.Metric, "goal": g.ID, "kind": "goal"}})
		}
	}

	// limits
	limitBreached := false
	for _, o := range s.checkLimits(latest, previous, period, prevPeriod, sources) {
		if !o.checked {
			add(Finding{Rule: DataGap, Severity: Info, Subject: o.limit.ID, Params: map[string]any{"kind": "limit_unchecked", "limit": o.limit.ID, "text": o.limit.Text, "missing": o.missing, "period": period}})
			continue
		}
		if !o.held {
			limitBreached = true
			add(Finding{Rule: LimitBreached, Severity: Critical, Subject: o.limit.ID, Params: map[string]any{"limit": o.limit.ID, "text": o.limit.Text, "rule": o.limit.Rule}, Evidence: o.evidence})
			if related := Related(subject); anyIn(related, o.evidence) || it.Kind == "status" {
				ask(TopicValues, holder("owner"), LimitBreached, map[string]any{"limit": o.limit.ID, "text": o.limit.Text})
			}
		}
	}

	// values at risk: a value's metric moved the wrong way
	for _, v := range p.Values {
		for _, m := range v.Metrics {
			c, ok := changePct(latest, previous, m)
			if !ok {
				continue
			}
			bad := (metric.BetterOf(m) == metric.Down && c >= th.ValueRiskPct) || (metric.BetterOf(m) == metric.Up && c <= -th.ValueRiskPct)
			if !bad {
				continue
			}
			add(Finding{Rule: ValueAtRisk, Severity: Warning, Subject: v.ID, Params: map[string]any{"value": v.ID, "text": v.Text, "metric": m, "change_pct": round(c)},
				Evidence: []Datum{datum(m), {Metric: m, Period: prevPeriod, Value: previous[m], Source: "data"}}})
			if Related(subject)[m] && !limitBreached {
				ask(TopicValues, holder("owner"), ValueAtRisk, map[string]any{"value": v.ID, "text": v.Text, "metric": m})
			}
		}
	}

	// goals
	for _, g := range p.Goals {
		v, ok := latest[g.Metric]
		if !ok {
			continue
		}
		met := (g.Direction == "down" && v <= g.Target) || (g.Direction == "up" && v >= g.Target)
		params := map[string]any{"goal": g.ID, "metric": g.Metric, "target": g.Target, "direction": g.Direction, "by": g.By, "value": round(v)}
		onTrack := met
		if !met {
			if proj, steps, ok := project(ds, L, g, latest); ok {
				params["projected"] = round(proj)
				params["periods_left"] = steps
				onTrack = (g.Direction == "down" && proj <= g.Target) || (g.Direction == "up" && proj >= g.Target)
			}
		}
		params["met"] = met
		if onTrack {
			add(Finding{Rule: GoalOnTrack, Severity: Info, Subject: g.ID, Params: params, Evidence: []Datum{datum(g.Metric)}})
		} else {
			add(Finding{Rule: GoalOffTrack, Severity: Warning, Subject: g.ID, Params: params, Evidence: []Datum{datum(g.Metric)}})
		}
	}

	// CAC rising
	cacRising := false
	if run, series := risingRun(ds, "cac"); run >= th.CACRisingPeriods {
		cacRising = true
		ev := make([]Datum, 0, len(series))
		for _, pt := range series {
			ev = append(ev, Datum{Metric: "cac", Period: pt.Period.String(), Value: round(pt.Value), Source: "derived"})
		}
		add(Finding{Rule: CACRising, Severity: Warning, Subject: "cac", Params: map[string]any{"periods": run, "from": round(series[0].Value), "to": round(series[len(series)-1].Value)}, Evidence: ev})
		if costMetrics[subject] || it.Kind == "status" {
			ask(TopicRetention, holder("owner"), CACRising, map[string]any{"periods": run})
		}
	}

	// channel concentration
	concMetric := subject
	if concMetric == "" {
		concMetric = "leads"
	}
	channels := ds.Breakdown(L, concMetric, "channel")
	if len(channels) == 0 {
		channels = canonicalSources(ds.Breakdown(L, concMetric, "source"))
	}
	if tot := sum(channels); tot > 0 && len(channels) > 1 {
		top, share := "", 0.0
		for _, k := range sortedKeys(channels) {
			if s := channels[k] / tot; s > share {
				top, share = k, s
			}
		}
		if share > th.ChannelShareMax {
			add(Finding{Rule: ChannelConcentrated, Severity: Warning, Subject: top, Params: map[string]any{"channel": top, "share": share, "metric": concMetric},
				Evidence: []Datum{{Metric: concMetric, Period: period, Value: channels[top], Source: "channel=" + top}, {Metric: concMetric, Period: period, Value: tot, Source: "all channels"}}})
		}
	}

	// funnel coverage
	var uncovered []string
	for _, st := range profile.Stages {
		covered := false
		for _, id := range p.Funnel.Stage(st) {
			if _, ok := latest[id]; ok {
				covered = true
			}
		}
		if !covered {
			uncovered = append(uncovered, st)
		}
	}
	if len(uncovered) > 0 {
		params := map[string]any{"stages": uncovered}
		kpis := map[string][]string{}
		for _, st := range uncovered {
			kpis[st] = p.Funnel.Stage(st)
		}
		params["kpis"] = kpis
		add(Finding{Rule: MissingFunnelKPI, Severity: Info, Subject: strings.Join(uncovered, ","), Params: params})
	}

	// strategy warning signals (DOMAIN §4): two or more together
	var signals []string
	if cv, ok := coefVar(ds, "leads", 12); ok && cv > th.UnstableLeadsCV {
		signals = append(signals, "unstable_leads")
	}
	if dataUnreliable {
		signals = append(signals, "unreliable_data")
	}
	if cacRising {
		signals = append(signals, "rising_acquisition_cost")
	}
	chans := ds.Breakdown(L, concMetric, "channel")
	if len(chans) == 0 {
		chans = canonicalSources(ds.Breakdown(L, concMetric, "source"))
	}
	if len(chans) >= th.TooManyChannels {
		signals = append(signals, "too_many_channels")
	}
	if len(signals) >= 2 {
		add(Finding{Rule: StrategySignals, Severity: Warning, Subject: strings.Join(signals, ","), Params: map[string]any{"signals": signals}})
	}

	sort.SliceStable(res.Findings, func(i, j int) bool { return ruleOrder(res.Findings[i].Rule) < ruleOrder(res.Findings[j].Rule) })
	return res
}

func ruleOrder(id string) int {
	for i, r := range AllRules {
		if r == id {
			return i
		}
	}
	return len(AllRules)
}

func factBy(facts map[string]Fact, topic string) string {
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
