package rules_test

import (
	"testing"

	"github.com/whybot/whybot/knowledge/rules"
)

// TestChannelConcentration checks channel concentration.
func TestChannelConcentration(t *testing.T) {
	t.Parallel()
	runCases(t, []ruleCase{
		{name: "channel concentration", csv: "period,metric,value,channel\n2026-09,leads,40,paid_social\n2026-09,leads,10,search\n2026-10,leads,45,paid_social\n2026-10,leads,5,search\n", intent: rules.Intent{Metric: "leads"}, fires: []rules.RuleID{rules.ChannelConcentrated}},
		{name: "channels balanced", csv: "period,metric,value,channel\n2026-09,leads,25,paid_social\n2026-09,leads,25,search\n2026-10,leads,26,paid_social\n2026-10,leads,24,search\n", intent: rules.Intent{Metric: "leads"}, silent: []rules.RuleID{rules.ChannelConcentrated}},
	})
}
