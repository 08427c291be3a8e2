// Package rules checks KPI data against a company's profile: the premise of a question, lead
// quality and sales follow-up, vanity metrics, the company's limits (expr-lang conditions
// compiled once at load), values at risk, goals, rising acquisition cost, funnel coverage,
// data reliability (gaps, inconsistent UTM sources), channel concentration and the strategy
// warning signals. Every finding has a stable rule id and the evidence it rests on; every
// missing fact becomes a question to the person who holds it.
//
// Findings and questions carry structured parameters, not prose: the words come from the
// language templates in prompts/, so the rules are the same in every language.
package rules

import (
	"fmt"
	"strings"
	"time"
)

// RuleID names a rule. Rule ids are a public contract: tests, evals and users' tooling
// match on them.
type RuleID string

// Rule ids.
const (
	PremiseMismatch     RuleID = "premise_mismatch"
	LeadQualityUnknown         = "lead_quality_unknown"
	FollowupUnknown            = "followup_unknown"
	LeadQualityLow             = "lead_quality_low"
	FollowupGap                = "followup_gap"
	VanityMetric               = "vanity_metric"
	LimitBreached              = "limit_breached"
	ValueAtRisk                = "value_at_risk"
	GoalOffTrack               = "goal_off_track"
	GoalOnTrack                = "goal_on_track"
	CACRising                  = "cac_rising"
	MissingFunnelKPI           = "missing_funnel_kpi"
	DataGap                    = "data_gap"
	UTMInconsistent            = "utm_inconsistent"
	DataRevised                = "data_revised" // a platform restated a number the answer uses
	ChannelConcentrated        = "channel_concentration"
	StrategySignals            = "strategy_signals"
	UnknownMetric              = "unknown_metric"
	// the latest value against the range the metric's own history expects
	UnusualChange     RuleID = "unusual_change"
	WithinNormalRange RuleID = "within_normal_range"
	// what drove the change of the metric asked about, by the parts of a breakdown
	ChangeDrivers RuleID = "change_drivers"
	// what moved a ratio asked about: its numerator or its denominator, mix or rate
	RatioDrivers RuleID = "ratio_drivers"
	// a direct question's figure: a metric over a span, with its source
	MetricValue RuleID = "metric_value"
	// a whole report: each number, in order of importance, with what it is and what to check
	ReportItem RuleID = "report_item"
	// one channel's share of a metric keeps growing
	ChannelDependence RuleID = "channel_dependence"
)

// AllRules lists every rule id in the order findings are reported.
var AllRules = []RuleID{
	UnknownMetric, MetricValue, ReportItem, PremiseMismatch, UnusualChange, WithinNormalRange, ChangeDrivers, RatioDrivers, DataGap, DataRevised, UTMInconsistent, LeadQualityUnknown, FollowupUnknown,
	LeadQualityLow, FollowupGap, VanityMetric, LimitBreached, ValueAtRisk, GoalOffTrack, GoalOnTrack,
	CACRising, ChannelConcentrated, ChannelDependence, MissingFunnelKPI, StrategySignals,
}

// Topic is what a question asks about, also a public contract.
type Topic string

// Question topics.
const (
	TopicLeadQuality   Topic = "lead_quality"
	TopicSalesFollowup       = "sales_followup"
	TopicMetricPurpose       = "metric_purpose"
	TopicDataQuality         = "data_quality"
	TopicRetention           = "retention_plan"
	TopicValues              = "values_conflict"
	TopicMissingData         = "missing_data"
)

// Severity of a finding.
type Severity string

// Severities, from the most serious.
const (
	Critical Severity = "critical"
	Warning  Severity = "warning"
	Info     Severity = "info"
)

// IntentKind is what kind of question was asked.
type IntentKind string

// Intent kinds.
const (
	KindWhy    IntentKind = "why"    // why did a number move
	KindGoal   IntentKind = "goal"   // a target to reach ("10,000 followers in six months")
	KindStatus IntentKind = "status" // how are we doing
	KindValue  IntentKind = "value"  // a figure for a period ("quanto abbiamo speso a ottobre?")
	KindReport IntentKind = "report" // what a report means, or a pasted list of numbers
)

// AskerFigure is a number the asker typed ("traffico organico -15%", "38% delle
// conversioni da social a pagamento"): theirs, compared with the data, never a fact.
type AskerFigure struct {
	Metric string   `json:"metric,omitempty"` // "" when the words name no metric the bot knows
	Name   string   `json:"name"`             // the words that named it
	Value  float64  `json:"value"`
	Kind   string   `json:"kind"`             // change (a signed percentage), delta (a signed count), share (of the metric, from Part), percent (a rate), value
	Change *float64 `json:"change,omitempty"` // a value's change the asker gave with it ("12.400 (+8%)")
	Part   string   `json:"part,omitempty"`   // a channel, for a share
}

// Span is the stretch of time a question names: a month, a quarter, a year, the year to
// date. From and To are its first and last months (YYYY-MM, inclusive). Compare "yoy" asks
// for the same span a year before too ("rispetto all'anno scorso").
type Span struct {
	Kind    string `json:"kind"` // month | quarter | year | ytd
	From    string `json:"from"`
	To      string `json:"to"`
	Compare string `json:"compare,omitempty"`
}

// Intent is what a question is about, as understood from its words.
type Intent struct {
	Kind             IntentKind    `json:"kind"`
	Metric           string        `json:"metric"`                 // metric id, "" when none was named
	Direction        string        `json:"direction"`              // up | down | ""
	ClaimedChangePct *float64      `json:"claimed_change_pct"`     // e.g. 30 for "+30%"
	Target           *float64      `json:"target,omitempty"`       // for goals: "10,000 followers"
	Unknown          string        `json:"unknown,omitempty"`      // a metric-like phrase that matched nothing
	Period           string        `json:"period,omitempty"`       // a period named in the question
	Span             *Span         `json:"span,omitempty"`         // the stretch of time a direct question asks about
	DidYouMean       string        `json:"did_you_mean,omitempty"` // the question's word read as the metric's name, corrected ("contati")
	Figures          []AskerFigure `json:"figures,omitempty"`      // numbers the asker typed, for a report
}

// Fact is something a person told the bot in answer to a question.
type Fact struct {
	Topic  Topic     `json:"topic"`
	Metric string    `json:"metric,omitempty"` // e.g. qualified_rate
	Value  *float64  `json:"value,omitempty"`
	Text   string    `json:"text"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	// Reading is how the answer was read: nil for a free-text answer, and in facts written
	// before readings were kept
	Reading *Reading `json:"reading,omitempty"`
}

// Reading is how a person's answer was read: the share stated (Low == High), approximate
// or not, or the range vague words allow ("la maggior parte"), which never becomes a
// figure; the words it was read from, and who read it.
type Reading struct {
	Low    float64  `json:"low"`
	High   float64  `json:"high"`
	Approx bool     `json:"approx,omitempty"`
	Bounds bool     `json:"bounds,omitempty"` // a range whose ends the person gave ("tra il 30 e il 40%")
	Count  *float64 `json:"count,omitempty"`  // the count the person gave, when the share came from one
	Of     float64  `json:"of,omitempty"`     // what that count is of
	Words  string   `json:"words"`
	By     string   `json:"by"` // ReadByRules, ReadByModel or ReadByButton
}

// Who read an answer.
const (
	ReadByRules  = "rules"
	ReadByModel  = "llm"
	ReadByButton = "button"
)

// Ranged reports whether the reading is a range, not a figure.
func (r *Reading) Ranged() bool { return r != nil && r.High-r.Low >= 1e-9 }

// Datum is one piece of evidence: a value of a metric in a period, and where it came from.
type Datum struct {
	Metric string  `json:"metric"`
	Period string  `json:"period,omitempty"`
	Value  float64 `json:"value"`
	Source string  `json:"source,omitempty"` // "data", "derived", "fact:giulia", "file:line"
}

// Finding is one rule that fired.
type Finding struct {
	Rule     RuleID         `json:"rule"`
	Severity Severity       `json:"severity"`
	Subject  string         `json:"subject,omitempty"` // limit/goal/value id, metric, stage
	Params   map[string]any `json:"params,omitempty"`  // for the message templates
	Evidence []Datum        `json:"evidence"`
	Message  string         `json:"message"` // filled from the language templates
}

// EvidenceText is the finding's evidence as plain text, "leads 2026-10 = 78; …", or "".
func (f Finding) EvidenceText() string {
	var parts []string
	for _, d := range f.Evidence {
		if d.Period != "" {
			parts = append(parts, fmt.Sprintf("%s %s = %g", d.Metric, d.Period, d.Value))
		} else {
			parts = append(parts, fmt.Sprintf("%s = %g", d.Metric, d.Value))
		}
	}
	return strings.Join(parts, "; ")
}

// Question is a fact the bot needs from a person.
type Question struct {
	Topic  Topic          `json:"topic"`
	To     string         `json:"to"` // a person's handle
	Rule   RuleID         `json:"rule,omitempty"`
	Params map[string]any `json:"params,omitempty"`
	Text   string         `json:"text"` // filled from the language templates
}

// Observed is a metric's latest value against the previous period.
type Observed struct {
	Metric         string   `json:"metric"`
	Period         string   `json:"period"`
	PreviousPeriod string   `json:"previous_period,omitempty"`
	Value          float64  `json:"value"`
	PreviousValue  *float64 `json:"previous_value"`
	ChangePct      *float64 `json:"change_pct"`
	Source         string   `json:"source,omitempty"`
}

// Result is what the rules concluded for one turn.
type Result struct {
	Period    string     `json:"period"`
	Observed  []Observed `json:"observed"`
	Findings  []Finding  `json:"findings"`
	Questions []Question `json:"questions"`
	Play      *Play      `json:"play,omitempty"` // the next step that fits
}

// Fired reports whether a rule fired.
func (r Result) Fired(rule RuleID) bool {
	for _, f := range r.Findings {
		if f.Rule == rule {
			return true
		}
	}
	return false
}

// Finding returns the first finding of a rule.
func (r Result) Finding(rule RuleID) (Finding, bool) {
	for _, f := range r.Findings {
		if f.Rule == rule {
			return f, true
		}
	}
	return Finding{}, false
}
