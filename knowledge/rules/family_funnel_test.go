package rules_test

import (
	"testing"

	"github.com/whybot/whybot/knowledge/rules"
)

// TestFunnelCoverage checks funnel coverage.
func TestFunnelCoverage(t *testing.T) {
	t.Parallel()
	runCases(t, []ruleCase{
		{name: "funnel gap", intent: rules.Intent{Kind: "status"}, fires: []rules.RuleID{rules.MissingFunnelKPI}},
	})
}
