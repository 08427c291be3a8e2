package rules

import (
	"math"
	"sort"

	"github.com/whybot/whybot/knowledge/profile"
)

// Roles a number plays in a report.
const (
	RoleDecisional = "decisional" // a KPI the company decides on (its funnel's)
	RoleVanity     = "vanity"     // a vanity metric
	RolePlatform   = "platform"   // a platform indicator: it moves, it decides nothing alone
)

// checks says what to look at next for a metric, by id; by role otherwise.
var checks = map[string]string{
	"organic_sessions": "search_console", "sessions": "sessions_to_leads", "avg_time_on_page": "page_conversions",
	"leads": "quality_followup", "conversions": "cost_by_channel", "new_customers": "cost_by_channel", "cac": "repeat_rate",
	"cost_per_qualified_lead": "qualified_share", "cost_per_lead": "qualified_share", "revenue": "margin", "ad_spend": "cost_per_result",
	"repeat_rate": "by_segment", "churn": "by_segment", "ltv": "by_segment", "non_branded_search": "topic_clusters",
	"contribution_margin": "by_category", "discount_rate": "limits", "return_rate": "limits",
}

// reportFamily explains a whole report (what does this report mean?, or a pasted list of
// numbers): every number of the latest period and every number the asker typed, in order
// of importance (a goal off track, then the decisional KPIs, then what moved most; vanity
// metrics last), each with its role (decisional, vanity or platform), its funnel stage,
// its goal, and what to check next (report_item). The asker's numbers stay theirs: each
// item says what the data holds for it, or that it does not.
func reportFamily(e *eval) {
	if e.it.Kind != KindReport {
		return
	}
	e.channelDependence()
	items := map[string]*reportItem{}
	for id := range e.latest {
		if e.ds.Given(e.L, id) || e.p.IsDecisional(id) {
			items[id] = e.item(id)
		}
	}
	for _, f := range e.it.Figures {
		key := f.Metric
		if key == "" {
			key = "asker:" + f.Name
		}
		it, ok := items[key]
		if !ok {
			it = e.item(f.Metric)
			it.name = f.Name
			items[key] = it
		}
		it.params["asker"] = e.askerFigure(f)
		it.score += 1000 // the numbers the asker typed are the report asked about: all of them first
		if f.Kind == "change" && it.params["change_pct"] == nil {
			it.score += math.Min(math.Abs(f.Value), 30)
		}
	}
	list := make([]*reportItem, 0, len(items))
	for _, it := range items {
		list = append(list, it)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].score != list[j].score {
			return list[i].score > list[j].score
		}
		return list[i].key < list[j].key
	})
	for rank, it := range list {
		it.params["rank"] = rank + 1
		e.add(Finding{Rule: ReportItem, Severity: Info, Subject: it.key, Params: it.params, Evidence: it.evidence})
	}
}

type reportItem struct {
	key, name string
	score     float64
	params    map[string]any
	evidence  []Datum
}

// item is one number of the report: its value and change, role, stage, goal and check.
func (e *eval) item(id string) *reportItem {
	it := &reportItem{key: id, params: map[string]any{"metric": id}}
	if id == "" {
		it.params["role"], it.params["check"] = RolePlatform, "definition"
		return it
	}
	role, stage := e.roleOf(id)
	it.params["role"] = role
	if stage != "" {
		it.params["stage"] = stage
	}
	it.params["check"] = checkOf(id, role)
	if v, ok := e.latest[id]; ok {
		it.params["value"], it.params["period"] = round(v), e.period
		it.evidence = append(it.evidence, e.datum(id))
		if c, ok := changePct(e.latest, e.previous, id); ok {
			it.params["change_pct"], it.params["previous_period"] = round(c), e.prevPeriod
			it.score += math.Min(math.Abs(c), 30)
		}
	}
	switch role {
	case RoleDecisional:
		it.score += 50
	case RoleVanity:
		it.score -= 50
	}
	it.score += stageWeight[stage]
	for _, f := range e.res.Findings {
		if (f.Rule == GoalOffTrack || f.Rule == GoalOnTrack) && f.Params["metric"] == id {
			it.params["goal"] = f.Params
			it.params["goal_off"] = f.Rule == GoalOffTrack
			if f.Rule == GoalOffTrack {
				it.score += 100
			}
		}
		if f.Rule == ChannelDependence && f.Params["metric"] == id {
			it.params["dependence"] = f.Params
			it.score += 20
		}
	}
	return it
}

// stageWeight orders numbers of equal role by how close their stage is to the money.
var stageWeight = map[string]float64{"conversion": 8, "retention": 6, "consideration": 4, "awareness": 2}

// roleOf is what a metric is for the company: a decisional KPI (of a funnel stage), a
// vanity metric, or a platform indicator (with the stage it belongs to, when known).
func (e *eval) roleOf(id string) (role, stage string) {
	for _, st := range profile.Stages {
		for _, k := range e.stageKPIs(st) {
			if k == id && (e.p.IsDecisional(id) || len(e.p.Funnel.Stage(st)) == 0) {
				return RoleDecisional, st
			}
		}
	}
	def, _ := e.cat.Lookup(id) // the stage a vanity metric pretends to measure, or a platform indicator's
	if e.p.Vanity(id) {
		return RoleVanity, def.Stage
	}
	return RolePlatform, def.Stage
}

func checkOf(id, role string) string {
	if c, ok := checks[id]; ok {
		return c
	}
	switch role {
	case RoleVanity:
		return "what_they_bring"
	case RolePlatform:
		return "decisional_link"
	}
	return "by_channel"
}

// askerFigure says an asker's number and what the data holds for it.
func (e *eval) askerFigure(f AskerFigure) map[string]any {
	out := map[string]any{"value": f.Value, "kind": f.Kind, "name": f.Name, "in_data": false}
	if f.Part != "" {
		out["part"] = f.Part
		out["paid"] = (f.Part == "paid_social" || f.Part == "search") && f.Value >= 0.3 // a third from one paid channel
	}
	if f.Change != nil {
		out["change"] = *f.Change
		if c, ok := changePct(e.latest, e.previous, f.Metric); ok {
			out["data_change"] = round(c)
		}
	}
	switch f.Kind {
	case "delta":
		v, ok1 := e.latest[f.Metric]
		pv, ok2 := e.previous[f.Metric]
		if ok1 && ok2 {
			out["in_data"], out["data"] = true, round(v-pv)
		}
	case "change":
		if c, ok := changePct(e.latest, e.previous, f.Metric); ok {
			out["in_data"], out["data"] = true, round(c)
		}
	case "share":
		if s, ok := e.shareOf(f.Metric, f.Part); ok {
			out["in_data"], out["data"] = true, round(s)
		}
	default:
		if v, ok := e.latest[f.Metric]; ok && f.Metric != "" {
			out["in_data"], out["data"] = true, round(v)
		}
	}
	return out
}

// shareOf is a channel's share of a metric in the latest period.
func (e *eval) shareOf(id, part string) (float64, bool) {
	chans := e.ds.Breakdown(e.L, id, "channel")
	if tot := sum(chans); tot > 0 && part != "" {
		v, ok := chans[part]
		return v / tot, ok
	}
	return 0, false
}

// channelDependence says when one channel's share of a metric with a channel breakdown
// has grown by five points or more over three periods and stands at 30% or more: the
// company leans more and more on it (channel_dependence).
func (e *eval) channelDependence() {
	if e.L < 3 {
		return
	}
	for _, id := range []string{"conversions", "leads", "new_customers", "revenue"} {
		now, before := e.ds.Breakdown(e.L, id, "channel"), e.ds.Breakdown(e.L-3, id, "channel")
		tn, tb := sum(now), sum(before)
		if tn == 0 || tb == 0 || len(now) < 2 {
			continue
		}
		for _, ch := range sortedKeys(now) {
			sn, sb := now[ch]/tn, before[ch]/tb
			if sn >= 0.3 && sn-sb >= 0.05 {
				bp := e.ds.Periods[e.L-3].String()
				e.add(Finding{Rule: ChannelDependence, Severity: Warning, Subject: ch,
					Params: map[string]any{"metric": id, "channel": ch, "share": round(sn), "before_share": round(sb), "before_period": bp, "period": e.period},
					Evidence: []Datum{{Metric: id, Period: e.period, Value: now[ch], Source: "channel=" + ch}, {Metric: id, Period: e.period, Value: tn, Source: "all channels"},
						{Metric: id, Period: bp, Value: before[ch], Source: "channel=" + ch}, {Metric: id, Period: bp, Value: tb, Source: "all channels"}}})
			}
		}
	}
}
