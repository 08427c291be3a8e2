package rules

import (
	"math"
	"slices"

	"github.com/whybot/whybot/knowledge/metric"
)

// PlayKind names a test-and-learn play of the library. Play kinds are a public contract
// (evals and the templates' names match on them).
type PlayKind string

// The plays, one per situation.
const (
	PlayStopPractice     PlayKind = "stop_practice"     // a limit is crossed: stop what crosses it
	PlayFollowupTest     PlayKind = "followup_test"     // leads not followed up: a follow-up time test
	PlayTightenTargeting PlayKind = "tighten_targeting" // low lead quality: targeting or the qualification form
	PlayRedirectVanity   PlayKind = "redirect_vanity"   // a vanity metric or goal: that stage's decisional KPI
	PlayFixTracking      PlayKind = "fix_tracking"      // unreliable or missing data: tracking first
	PlayDefineKPI        PlayKind = "define_kpi"        // no decisional KPI in the data to judge a test on
	PlayOneNumber        PlayKind = "one_number"        // the question's figure and the data disagree
	PlayDiagnoseDecline  PlayKind = "diagnose_decline"  // a fall: diagnose before spending
	PlayRetentionPlan    PlayKind = "retention_plan"    // rising acquisition cost: retention
	PlayMeasureQuality   PlayKind = "measure_quality"   // more leads, quality and follow-up unknown
	PlayScaleDriver      PlayKind = "scale_driver"      // an unusual rise in the good direction
	PlayHoldSteady       PlayKind = "hold_steady"       // a move within the normal range
	PlayWeeklyReview     PlayKind = "weekly_review"     // how are we doing, nothing pressing
)

// Play is the next step that fits the situation: which play, the role that owns it, and
// the decisional KPI its success is judged on: always one the data (or a person's answer)
// gives for the latest period, never one the company does not have. KPI is "" for the
// plays whose success is the data itself (fix tracking, one number, define a KPI).
type Play struct {
	Kind   PlayKind `json:"kind"`
	Owner  string   `json:"owner"`            // a role: marketing, sales, owner, agency
	Metric string   `json:"metric,omitempty"` // the metric asked about
	KPI    string   `json:"kpi,omitempty"`
	Target *float64 `json:"target,omitempty"` // a goal's target on the KPI
	Better string   `json:"better,omitempty"` // which way the KPI should move: up | down
	Driver string   `json:"driver,omitempty"` // for scale_driver: the part that drove the rise most
	Stage  string   `json:"stage,omitempty"`  // for redirect_vanity: the funnel stage of the vanity metric
	Limit  string   `json:"limit,omitempty"`  // for stop_practice: the limit's text
}

// playsFamily chooses the play for the situation, the most pressing first: a crossed
// limit, leads not followed up, low lead quality, a vanity metric, unreliable data, a
// question whose figure the data does not confirm, a rising acquisition cost, a fall,
// lead quality not yet known, then a rise (scale what drove it only when it is unusual,
// else hold steady) or, for how-are-we-doing, the weekly review.
func playsFamily(e *eval) {
	e.res.Play = e.choosePlay()
}

func (e *eval) choosePlay() *Play {
	r, id := e.res, e.subject
	asked := func(rule RuleID) bool { return e.firedOn(rule, id) }
	switch {
	case r.Fired(LimitBreached):
		f, _ := r.Finding(LimitBreached)
		text, _ := f.Params["text"].(string)
		return e.withKPI(&Play{Kind: PlayStopPractice, Owner: "owner", Limit: text}, "conversion", "consideration", "retention")
	case r.Fired(FollowupGap):
		return e.withKPIs(&Play{Kind: PlayFollowupTest, Owner: "sales"}, append([]string{"conversion_rate", "new_customers"}, append(e.stageKPIs("conversion"), e.stageKPIs("consideration")...)...))
	case r.Fired(LeadQualityLow):
		return e.withKPI(&Play{Kind: PlayTightenTargeting, Owner: "marketing"}, "consideration", "conversion")
	case id != "" && e.p.Vanity(id):
		def, _ := e.cat.Lookup(id)
		stage := def.Stage // the funnel stage a vanity metric pretends to measure
		if stage == "" {
			stage = "awareness"
		}
		order := []string{stage}
		for _, s := range []string{"awareness", "consideration", "conversion", "retention"} {
			if s != stage {
				order = append(order, s)
			}
		}
		return e.withKPI(&Play{Kind: PlayRedirectVanity, Owner: "marketing", Stage: stage}, order...)
	case e.sourcesSplit(id) || asked(DataGap) || e.firedOn(DataGap, "periods") || asked(UnknownMetric) || r.Fired(UnknownMetric) && id == "":
		return &Play{Kind: PlayFixTracking, Owner: "agency"}
	case r.Fired(PremiseMismatch):
		return &Play{Kind: PlayOneNumber, Owner: "agency"}
	case r.Fired(CACRising) && (costMetrics[id] || e.overview()):
		return e.withKPIs(&Play{Kind: PlayRetentionPlan, Owner: "owner"}, append(e.stageKPIs("retention"), "cac"))
	case e.fell(id):
		return &Play{Kind: PlayDiagnoseDecline, Owner: "agency", KPI: id, Better: e.betterWord(id)}
	case leadMetrics[id] && (slices.ContainsFunc(r.Questions, func(q Question) bool { return q.Topic == TopicLeadQuality || q.Topic == TopicSalesFollowup }) || e.ranges["qualified_rate"] != nil):
		return &Play{Kind: PlayMeasureQuality, Owner: "marketing"}
	case e.overview() || id == "":
		return e.withKPI(&Play{Kind: PlayWeeklyReview, Owner: "owner"}, "consideration", "conversion", "retention", "awareness")
	case asked(UnusualChange):
		p := &Play{Kind: PlayScaleDriver, Owner: "marketing"}
		if f, ok := e.findingOn(ChangeDrivers, id); ok {
			if ds, _ := f.Params["drivers"].([]any); len(ds) > 0 {
				p.Driver, _ = ds[0].(map[string]any)["part"].(string)
			}
		}
		return e.withKPI(p, "consideration", "conversion", "retention")
	}
	return e.withKPI(&Play{Kind: PlayHoldSteady, Owner: "marketing"}, "consideration", "conversion", "retention", "awareness")
}

// withKPI gives the play the first decisional KPI of the stages, in order, that the latest
// period has; a play with no such KPI becomes define_kpi.
func (e *eval) withKPI(p *Play, stages ...string) *Play {
	var ids []string
	for _, s := range stages {
		ids = append(ids, e.stageKPIs(s)...)
	}
	return e.withKPIs(p, ids)
}

func (e *eval) withKPIs(p *Play, ids []string) *Play {
	p.Metric = e.subject
	for _, id := range ids {
		if _, ok := e.latest[id]; ok {
			p.KPI, p.Better = id, e.betterWord(id)
			for _, g := range e.p.Goals {
				if g.Metric == id {
					t := g.Target
					p.Target = &t
				}
			}
			return p
		}
	}
	return &Play{Kind: PlayDefineKPI, Owner: "agency", Metric: e.subject}
}

// stageKPIs are a stage's decisional KPIs: the profile's, then the catalogue's.
func (e *eval) stageKPIs(stage string) []string {
	out := slices.Clone(e.p.Funnel.Stage(stage))
	for _, id := range e.cat.StageKPIs(stage) {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// fell reports whether the metric asked about moved the wrong way since the previous period
// by more than its usual swings: outside its expected range, or, with no range to judge by,
// by 10% or more. A dip within the normal range is held steady, not diagnosed.
func (e *eval) fell(id string) bool {
	v, ok1 := e.latest[id]
	pv, ok2 := e.previous[id]
	if id == "" || !ok1 || !ok2 || v == pv || e.firedOn(WithinNormalRange, id) {
		return false
	}
	if !e.firedOn(UnusualChange, id) && (pv == 0 || math.Abs(v-pv)/math.Abs(pv) < 0.1) {
		return false
	}
	switch e.cat.BetterOf(id) {
	case metric.Up:
		return v < pv
	case metric.Down:
		return v > pv
	}
	return false
}

// sourcesSplit reports whether inconsistent UTM sources split the metric asked about (or,
// for an overview, any metric): its results by source cannot be compared.
func (e *eval) sourcesSplit(id string) bool {
	f, ok := e.res.Finding(UTMInconsistent)
	if !ok {
		return false
	}
	if e.overview() || id == "" {
		return true
	}
	related := Related(id)
	return slices.ContainsFunc(f.Evidence, func(d Datum) bool { return related[d.Metric] })
}

func (e *eval) betterWord(id string) string {
	switch e.cat.BetterOf(id) {
	case metric.Up:
		return "up"
	case metric.Down:
		return "down"
	}
	return ""
}

func (e *eval) firedOn(rule RuleID, subject string) bool {
	_, ok := e.findingOn(rule, subject)
	return ok
}

func (e *eval) findingOn(rule RuleID, subject string) (Finding, bool) {
	for _, f := range e.res.Findings {
		if f.Rule == rule && f.Subject == subject {
			return f, true
		}
	}
	return Finding{}, false
}
