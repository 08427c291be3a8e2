package rules_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/rules"
)

// TestLeadsFamily checks lead quality and follow-up, asked or given by people.
func TestLeadsFamily(t *testing.T) {
	t.Parallel()
	runCases(t, []ruleCase{
		{name: "lead facts unknown", intent: rules.Intent{Metric: "leads"}, fires: []rules.RuleID{rules.LeadQualityUnknown, rules.FollowupUnknown}, silent: []rules.RuleID{rules.LeadQualityLow, rules.FollowupGap}},
		{name: "lead facts from people, low", intent: rules.Intent{Metric: "leads"},
			facts:  []rules.Fact{{Topic: rules.TopicLeadQuality, Metric: "qualified_rate", Value: f(0.4), By: "giulia"}, {Topic: rules.TopicSalesFollowup, Metric: "followup_rate", Value: f(0.25), By: "marco"}},
			fires:  []rules.RuleID{rules.LeadQualityLow, rules.FollowupGap, rules.GoalOffTrack},
			silent: []rules.RuleID{rules.LeadQualityUnknown, rules.FollowupUnknown}},
		{name: "lead facts from people, good", intent: rules.Intent{Metric: "leads"},
			facts:  []rules.Fact{{Topic: rules.TopicLeadQuality, Metric: "qualified_rate", Value: f(0.6), By: "giulia"}, {Topic: rules.TopicSalesFollowup, Metric: "followup_rate", Value: f(1), By: "marco"}},
			fires:  []rules.RuleID{rules.GoalOnTrack},
			silent: []rules.RuleID{rules.LeadQualityLow, rules.FollowupGap}},
		{name: "lead facts in the data", csv: steady, intent: rules.Intent{Metric: "leads"}, silent: []rules.RuleID{rules.LeadQualityUnknown, rules.FollowupUnknown, rules.LeadQualityLow, rules.FollowupGap}},
	})
}

// A person's vague words are a range, never a figure: a range below the minimum is a
// finding with the words' range and no rate; a range across it is "probably"; a range
// above it is none; nothing is derived from a range (no cost per qualified lead). An
// estimate is a figure, and what is derived from it is an estimate too.
func TestLeadsFamilyRanges(t *testing.T) {
	t.Parallel()
	b := setup(t, "")
	asker, _ := b.p.Person("anna")
	eval := func(facts ...rules.Fact) rules.Result {
		return b.set.Evaluate(rules.Input{Data: b.ds, Intent: rules.Intent{Kind: rules.KindWhy, Metric: "leads"}, Asker: asker, Facts: facts})
	}
	vague := func(lo, hi float64) rules.Fact {
		return rules.Fact{Topic: rules.TopicLeadQuality, Metric: "qualified_rate", By: "giulia", Reading: &rules.Reading{Low: lo, High: hi, Words: "…", By: rules.ReadByRules}}
	}
	res := eval(vague(0.1, 0.45)) // "la maggior parte erano fuori target", against 50%
	low, ok := res.Finding(rules.LeadQualityLow)
	require.True(t, ok)
	require.NotContains(t, low.Params, "rate", "no figure")
	require.NotContains(t, low.Params, "probably")
	require.Equal(t, 0.45, low.Params["high"])
	require.False(t, res.Fired(rules.LeadQualityUnknown), "answered, vaguely")
	for _, f := range res.Findings {
		require.NotEqual(t, "cost_per_qualified_lead", f.Params["metric"], "no cost per qualified lead made of a range: %s", f.Rule)
	}

	res = eval(vague(0.4, 0.6)) // "tra il 40 e il 60%"
	low, ok = res.Finding(rules.LeadQualityLow)
	require.True(t, ok)
	require.Equal(t, true, low.Params["probably"])

	res = eval(vague(0.55, 0.9)) // "la maggior parte sono in target"
	require.False(t, res.Fired(rules.LeadQualityLow))

	est := rules.Fact{Topic: rules.TopicLeadQuality, Metric: "qualified_rate", Value: f(30.0 / 78), By: "giulia", Reading: &rules.Reading{Low: 30.0 / 78, High: 30.0 / 78, Approx: true, By: rules.ReadByRules}}
	res = eval(est)
	low, ok = res.Finding(rules.LeadQualityLow)
	require.True(t, ok)
	require.Equal(t, true, low.Params["approx"])
	found := false
	for _, f := range res.Findings {
		if f.Rule == rules.GoalOffTrack && f.Params["metric"] == "cost_per_qualified_lead" {
			found = true
			require.Equal(t, true, f.Params["approx"], "the cost per qualified lead rests on the estimate")
		}
	}
	require.True(t, found)
}
