package rules_test

import (
	"testing"

	"github.com/whybot/whybot/knowledge/rules"
)

// TestVanity checks vanity metrics.
func TestVanity(t *testing.T) {
	t.Parallel()
	runCases(t, []ruleCase{
		{name: "vanity asked", intent: rules.Intent{Kind: "goal", Metric: "followers", Target: f(10000)}, fires: []rules.RuleID{rules.VanityMetric}, silent: []rules.RuleID{rules.LeadQualityUnknown}},
		{name: "not vanity", intent: rules.Intent{Metric: "leads"}, silent: []rules.RuleID{rules.VanityMetric}},
	})
}
