package rules_test

import (
	"testing"

	"github.com/whybot/whybot/knowledge/rules"
)

// TestLimitsAndValues checks limits and values at risk.
func TestLimitsAndValues(t *testing.T) {
	t.Parallel()
	runCases(t, []ruleCase{
		{name: "limit holds", csv: steady, intent: rules.Intent{Kind: "status"}, silent: []rules.RuleID{rules.LimitBreached}},
		{name: "limit breached", csv: wide(base, "2026-09,50,1500,8,30,29,0.10,0.02,0.30,900,40000", "2026-10,52,1500,8,31,30,0.18,0.02,0.30,900,40000"), intent: rules.Intent{Kind: "status"}, fires: []rules.RuleID{rules.LimitBreached, rules.ValueAtRisk}},
		{name: "value at risk, returns", csv: wide(base, "2026-09,50,1500,8,30,29,0.10,0.02,0.30,900,40000", "2026-10,52,1500,8,31,30,0.10,0.03,0.30,900,40000"), intent: rules.Intent{Kind: "status"}, fires: []rules.RuleID{rules.ValueAtRisk}, silent: []rules.RuleID{rules.LimitBreached}},
	})
}
