package rules_test

import (
	"testing"

	"github.com/whybot/whybot/knowledge/rules"
)

// TestDataQuality checks data gaps and inconsistent UTM sources (and the strategy signal they raise).
func TestDataQuality(t *testing.T) {
	t.Parallel()
	runCases(t, []ruleCase{
		{name: "utm inconsistent", intent: rules.Intent{Metric: "leads"}, fires: []rules.RuleID{rules.UTMInconsistent, rules.StrategySignals}},
		{name: "utm consistent", csv: steady, intent: rules.Intent{Metric: "leads"}, silent: []rules.RuleID{rules.UTMInconsistent, rules.StrategySignals}},
		{name: "data gap", csv: wide(base, "2026-07,50,1500,8,30,29,0.10,0.02,0.30,900,40000", "2026-09,50,1500,8,30,29,0.10,0.02,0.30,900,40000", "2026-10,52,1500,8,31,30,0.10,0.02,0.30,900,40000"), intent: rules.Intent{Metric: "leads"}, fires: []rules.RuleID{rules.DataGap}},
		{name: "no data gap", csv: steady, intent: rules.Intent{Metric: "leads"}, silent: []rules.RuleID{rules.DataGap}},
	})
}
