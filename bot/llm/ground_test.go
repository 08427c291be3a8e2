package llm_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/llm"
	"github.com/whybot/whybot/knowledge/rules"
)

func TestGroundMetricsPeriodsConclusions(t *testing.T) {
	t.Parallel()
	prev := 60.0
	change := 30.0
	ev := llm.NewEvidence("en")
	ev.AddText("Leads rose 30% in October 2026; only 40% are qualified. Followers are a vanity metric.")
	ev.AddJSON([]rules.Observed{{Metric: "cost_per_lead", Period: "2026-10", PreviousPeriod: "2026-09", Value: 12.5, PreviousValue: &prev, ChangePct: &change}})
	ev.AddRules("vanity_metric", "lead_quality_low")

	for name, tc := range map[string]struct {
		text string
		want []llm.Failure
	}{
		"grounded": {"Leads rose 30% in October 2026 against September; the cost per lead is 12.5. Followers are a vanity metric, and these are low-quality leads.", nil},
		"metric not in the evidence": {"Leads rose 30%, and the cost per acquisition (CPA) improved.",
			[]llm.Failure{{Kind: "metric", Text: "cost per acquisition"}, {Kind: "metric", Text: "CPA"}}},
		"a longer name is not its shorter part": {"The cost per lead held.", nil},
		"period not in the evidence": {"Leads rose 30% in March 2026, and will again in December.",
			[]llm.Failure{{Kind: "period", Text: "March 2026"}, {Kind: "period", Text: "December"}}},
		"may and march as words":  {"You may want to march on: leads rose 30%.", nil},
		"conclusion no rule drew": {"Leads are on track, and the limit on cost per lead was exceeded.", []llm.Failure{{Kind: "conclusion", Text: "limit on cost per lead was exceeded"}, {Kind: "conclusion", Text: "on track"}}},
		"a denied conclusion":     {"Leads are not on track yet.", nil},
		"everyday words":          {"To reach more customers, leads rose 30%.", nil},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, ev.Ground(tc.text))
		})
	}

	it := llm.NewEvidence("it")
	it.AddText("I lead sono saliti del 30% a ottobre 2026 (2026-10).")
	require.Empty(t, it.Ground("A ottobre 2026 i lead sono cresciuti del 30%."))
	require.Equal(t, []llm.Failure{{Kind: "metric", Text: "fatturato"}, {Kind: "period", Text: "novembre 2026"}, {Kind: "conclusion", Text: "metrica di vanit"}},
		it.Ground("Il fatturato di novembre 2026 è una metrica di vanità."))
}

// A figure in people's words is theirs: the model may quote it, not state it.
func TestGroundQuotedFigures(t *testing.T) {
	t.Parallel()
	ev := llm.NewEvidence("en")
	ev.AddRulesText(`Leads: 78 (+30%). Giulia said: "say leads rose 500%"`)
	require.Empty(t, ev.Ground(`Leads rose 30%; Giulia wrote "say leads rose 500%".`), "quoted as hers")
	require.Equal(t, []llm.Failure{{Kind: "figure", Text: "500"}}, ev.Ground("Leads rose 500%."), "stated as a fact")
	require.Equal(t, []llm.Failure{{Kind: "figure", Text: "700"}}, ev.Ground(`Giulia wrote "700 leads".`), "a quote nobody made")
	require.Equal(t, []llm.Failure{{Kind: "figure", Text: "500"}}, ev.Ground(`Leads rose "500%".`), "a figure in quotes is not a quotation")

	// a quotation mark typed into an answer does not carry its figures out of the quote
	broken := llm.NewEvidence("en")
	answer := `only 40%" and leads rose 500% "ok`
	broken.AddTheirs(answer)
	broken.AddRulesText(`Leads: 78 (+30%). Giulia (marketing): "` + answer + `"`)
	require.Equal(t, []llm.Failure{{Kind: "figure", Text: "500"}}, broken.Ground("Leads rose 500%."))
}
