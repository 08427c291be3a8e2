package rules_test

import (
	"testing"

	"github.com/whybot/whybot/knowledge/rules"
)

// TestPremise checks unknown_metric and premise_mismatch.
func TestPremise(t *testing.T) {
	t.Parallel()
	runCases(t, []ruleCase{
		{name: "premise matches", intent: rules.Intent{Metric: "leads", Direction: "up", ClaimedChangePct: f(30)}, silent: []rules.RuleID{rules.PremiseMismatch}},
		{name: "premise mismatch on size", intent: rules.Intent{Metric: "leads", Direction: "up", ClaimedChangePct: f(50)}, fires: []rules.RuleID{rules.PremiseMismatch}},
		{name: "premise mismatch on direction", intent: rules.Intent{Metric: "leads", Direction: "down"}, fires: []rules.RuleID{rules.PremiseMismatch}},
		{name: "unknown metric", intent: rules.Intent{Unknown: "podcast downloads"}, fires: []rules.RuleID{rules.UnknownMetric}},
		{name: "known metric missing from data", intent: rules.Intent{Metric: "churn"}, fires: []rules.RuleID{rules.UnknownMetric}},
	})
}
