package rules_test

import (
	"testing"

	"github.com/whybot/whybot/knowledge/rules"
)

// TestAcquisitionCost checks a rising acquisition cost.
func TestAcquisitionCost(t *testing.T) {
	t.Parallel()
	runCases(t, []ruleCase{
		{name: "cac rising 3 periods", intent: rules.Intent{Metric: "cac"}, fires: []rules.RuleID{rules.CACRising}},
		{name: "cac flat", csv: steady, intent: rules.Intent{Metric: "cac"}, silent: []rules.RuleID{rules.CACRising}},
	})
}
