package rules_test

import (
	"testing"

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
