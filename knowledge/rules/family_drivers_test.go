package rules_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/rules"
)

// What drove the sample's +18 leads: by source, with fb and Facebook one source, the three
// largest parts that moved the same way, and by channel too; a fall names what fell; a ratio is not summed.
func TestDriversFamily(t *testing.T) {
	t.Parallel()
	b := setup(t, "")
	asker, _ := b.p.Person("anna")
	eval := func(b *bundle, id string) rules.Result {
		return b.set.Evaluate(rules.Input{Data: b.ds, Intent: rules.Intent{Kind: rules.KindWhy, Metric: id}, Asker: asker})
	}
	f, ok := eval(b, "leads").Finding(rules.ChangeDrivers)
	require.True(t, ok)
	require.Equal(t, "source", f.Params["dim"])
	require.Equal(t, 18.0, f.Params["delta"])
	require.Equal(t, []any{
		map[string]any{"part": "facebook", "delta": 7.0, "share": 0.39},
		map[string]any{"part": "google", "delta": 7.0, "share": 0.39},
		map[string]any{"part": "linkedin", "delta": 3.0, "share": 0.17},
	}, f.Params["drivers"])
	require.Equal(t, []any{map[string]any{"dim": "channel", "drivers": []any{
		map[string]any{"part": "paid_social", "delta": 10.0, "share": 0.56},
		map[string]any{"part": "search", "delta": 7.0, "share": 0.39},
		map[string]any{"part": "email", "delta": 1.0, "share": 0.06},
	}}, map[string]any{"dim": "medium", "drivers": []any{
		map[string]any{"part": "paid", "delta": 10.0, "share": 0.56},
		map[string]any{"part": "cpc", "delta": 7.0, "share": 0.39},
		map[string]any{"part": "email", "delta": 1.0, "share": 0.06},
	}}}, f.Params["also"], "every breakdown the data has")
	require.Len(t, f.Evidence, 6, "each named part's value in both periods")

	fall := setup(t, "period,metric,value,channel\n2026-09,leads,30,search\n2026-09,leads,20,social\n2026-10,leads,22,search\n2026-10,leads,21,social\n")
	f, ok = eval(fall, "leads").Finding(rules.ChangeDrivers)
	require.True(t, ok)
	require.Equal(t, "channel", f.Params["dim"])
	require.Equal(t, []any{map[string]any{"part": "search", "delta": -8.0, "share": 1.14}}, f.Params["drivers"], "only what fell")

	require.False(t, eval(b, "qualified_rate").Fired(rules.ChangeDrivers), "a rate is not the sum of its parts")

	odd := setup(t, "period,metric,value,source\n2026-09,leads,30,google\n2026-09,leads,0,Kate kate@example.com +44 20 7946 0958\n2026-10,leads,35,google\n2026-10,leads,9,Kate kate@example.com +44 20 7946 0958\n")
	f, ok = eval(odd, "leads").Finding(rules.ChangeDrivers)
	require.True(t, ok)
	require.Equal(t, []any{map[string]any{"part": "google", "delta": 5.0, "share": 0.36}}, f.Params["drivers"], "a cell that is not a label is not named")
}
