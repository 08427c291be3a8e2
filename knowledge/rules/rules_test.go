package rules_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/rules"
	"github.com/whybot/whybot/knowledge/sample"
)

type bundle struct {
	p   *profile.Profile
	set *rules.Set
	ds  *kpi.Dataset
}

func setup(t *testing.T, csv string) *bundle {
	t.Helper()
	p, err := profile.Parse("company.yaml", sample.Profile())
	require.NoError(t, err)
	if csv == "" {
		csv = string(sample.CSV())
	}
	rows, err := kpi.Read("kpis.csv", strings.NewReader(csv), p.Resolver())
	require.NoError(t, err)
	ds, err := kpi.Build(rows)
	require.NoError(t, err)
	set, err := rules.Compile(p, ds)
	require.NoError(t, err)
	return &bundle{p: p, set: set, ds: ds}
}

func f(v float64) *float64 { return &v }

// wide builds a wide CSV from a header and rows.
func wide(header string, rows ...string) string {
	return header + "\n" + strings.Join(rows, "\n") + "\n"
}

const base = "period,leads,ad_spend,new_customers,qualified_leads,leads_followed_up,discount_rate,return_rate,repeat_rate,non_branded_search,contribution_margin"

// steady is data where nothing is wrong: three months, lead facts in the data.
var steady = wide(base, "2026-08,50,1500,8,30,50,0.10,0.02,0.30,900,40000", "2026-09,50,1500,8,30,50,0.10,0.02,0.30,900,40000", "2026-10,52,1500,8,31,52,0.10,0.02,0.30,900,40000")

// ruleCase is one table row of a family's rules: data (the sample when empty), a question,
// facts people gave, and the rules that must and must not fire.
type ruleCase struct {
	name   string
	csv    string
	intent rules.Intent
	facts  []rules.Fact
	fires  []rules.RuleID
	silent []rules.RuleID
}

func runCases(t *testing.T, tests []ruleCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, tt.csv)
			if tt.intent.Kind == "" {
				tt.intent.Kind = rules.KindWhy
			}
			asker, _ := b.p.Person("anna")
			res := b.set.Evaluate(rules.Input{Data: b.ds, Intent: tt.intent, Asker: asker, Facts: tt.facts})
			var fired []rules.RuleID
			for _, f := range res.Findings {
				fired = append(fired, f.Rule)
				require.NotNil(t, f.Evidence)
			}
			for _, id := range tt.fires {
				require.Contains(t, fired, id, "rule %s should fire", id)
			}
			for _, id := range tt.silent {
				require.NotContains(t, fired, id, "rule %s must not fire", id)
			}
		})
	}
}

func TestQuestionsGoToTheRightPeople(t *testing.T) {
	t.Parallel()
	b := setup(t, "")
	asker, _ := b.p.Person("anna")
	res := b.set.Evaluate(rules.Input{Data: b.ds, Intent: rules.Intent{Kind: "why", Metric: "leads"}, Asker: asker})
	to := map[rules.Topic]string{}
	for _, q := range res.Questions {
		to[q.Topic] = q.To
	}
	require.Equal(t, "giulia", to[rules.TopicLeadQuality])
	require.Equal(t, "marco", to[rules.TopicSalesFollowup])
	require.Equal(t, "luca", to[rules.TopicDataQuality])
	// answered topics are not asked again
	res = b.set.Evaluate(rules.Input{Data: b.ds, Intent: rules.Intent{Kind: "why", Metric: "leads"}, Asker: asker,
		Facts: []rules.Fact{{Topic: rules.TopicLeadQuality, Metric: "qualified_rate", Value: f(0.5), By: "giulia"}}})
	for _, q := range res.Questions {
		require.NotEqual(t, rules.TopicLeadQuality, q.Topic)
	}
}

func TestObservedChange(t *testing.T) {
	t.Parallel()
	b := setup(t, "")
	res := b.set.Evaluate(rules.Input{Data: b.ds, Intent: rules.Intent{Kind: "why", Metric: "leads"}})
	require.Equal(t, "leads", res.Observed[0].Metric)
	require.Equal(t, 78.0, res.Observed[0].Value)
	require.Equal(t, 60.0, *res.Observed[0].PreviousValue)
	require.Equal(t, 30.0, *res.Observed[0].ChangePct)
	require.Equal(t, "2026-10", res.Observed[0].Period)
	require.Equal(t, "2026-09", res.Observed[0].PreviousPeriod)
}

func TestCompileErrorsNameRuleAndLine(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		rule string
		want string
	}{
		"unknown metric":  {"discount_rte <= 0.15", `company.yaml:5: limits[max_discount].rule: unknown metric "discount_rte" (did you mean discount_rate`},
		"not boolean":     {"discount_rate * 2", "company.yaml:5: limits[max_discount].rule: expected bool"},
		"syntax":          {"discount_rate <=", "company.yaml:5: limits[max_discount].rule: cannot parse"},
		"unknown prev":    {"leads >= prev.leeds", `unknown metric "leeds"`},
		"change_pct arg":  {"change_pct(leads) < 50", "change_pct takes a quoted metric name"},
		"ok with helpers": {`change_pct("leads") < 500 && leads >= prev.leads * 0`, ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			y := fmt.Sprintf("company: X\npeople:\n  - {handle: luca, role: agency, reviewer: true}\nlimits:\n  - {id: max_discount, text: t, rule: %q}\n", tt.rule)
			p, err := profile.Parse("company.yaml", []byte(y))
			require.NoError(t, err)
			b := setup(t, "")
			_, err = rules.Compile(p, b.ds)
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.want)
		})
	}
}
