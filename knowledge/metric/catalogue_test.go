package metric_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/metric"
)

func own(id, formula string, k metric.Kind) metric.Def {
	return metric.Def{ID: id, Kind: k, Better: metric.BetterUnset, Names: map[string]string{"it": id}, Formula: formula, Source: "company.yaml:3"}
}

func TestExtend(t *testing.T) {
	t.Parallel()
	cat, errs := metric.Builtin().Extend([]metric.Def{
		own("appointments", "", metric.Count),
		own("no_shows", "", metric.Count),
		{ID: "no_show_rate", Kind: metric.Ratio, Better: metric.Down, Names: map[string]string{"it": "tasso di appuntamenti mancati", "en": "no-show rate"},
			Synonyms: []string{"tasso di no show", "leads"}, Formula: "no_shows / appointments", Decisional: true, Stage: "retention", Source: "company.yaml:9"},
		own("returning_share", "returning / (returning + new_customers)", metric.Ratio),
		own("returning", "", metric.Count),
		{ID: "followers", Kind: metric.KindUnset, Better: metric.BetterUnset, Names: map[string]string{}, Decisional: true, Stage: "awareness", Source: "company.yaml:20"},
	})
	require.Empty(t, errs)

	require.Equal(t, metric.Ratio, cat.KindOf("no_show_rate"))
	require.Equal(t, metric.Down, cat.BetterOf("no_show_rate"))
	require.Equal(t, "12%", cat.Format("no_show_rate", 0.12, "it", "EUR"), "a percent metric is shown as a percentage, never 0,12")
	require.False(t, cat.Additive("no_show_rate"))
	require.True(t, cat.Additive("no_shows"))
	require.Equal(t, []string{"non_branded_search", "organic_sessions", "followers"}, cat.StageKPIs("awareness"), "a company can make a built-in metric decisional")
	require.Contains(t, cat.StageKPIs("retention"), "no_show_rate")
	require.Equal(t, metric.Count, cat.KindOf("followers"), "a refinement keeps what it does not say")
	require.NotContains(t, cat.Vanity(), "followers")
	def, _ := cat.Lookup("followers")
	require.Equal(t, "company.yaml:20", def.Source)
	require.Equal(t, "follower", def.Names["it"])

	dv, ok := cat.Derivation("no_show_rate")
	require.True(t, ok)
	require.True(t, dv.Ratio)
	require.Equal(t, []string{"no_shows", "appointments"}, dv.Inputs)
	values := map[string]float64{"no_shows": 12, "appointments": 400, "returning": 30, "new_customers": 70}
	get := func(id string) (float64, bool) { v, ok := values[id]; return v, ok }
	v, ok := dv.Eval(get)
	require.True(t, ok)
	require.InDelta(t, 0.03, v, 1e-12)
	share, _ := cat.Derivation("returning_share")
	require.False(t, share.Ratio)
	v, ok = share.Eval(get)
	require.True(t, ok)
	require.InDelta(t, 0.3, v, 1e-12)
	values["appointments"] = 0
	_, ok = dv.Eval(get)
	require.False(t, ok, "a zero denominator gives no value, not +Inf")

	require.False(t, metric.Builtin().Known("no_show_rate"), "the built-in catalogue is not changed")

	res := cat.Resolver(nil)
	id, ok := res.Resolve("Tasso di no show")
	require.True(t, ok)
	require.Equal(t, "no_show_rate", id)
	id, _ = res.Resolve("leads")
	require.Equal(t, "leads", id, "an own synonym never takes another metric's id")
	id, _ = res.Resolve("no-show rate")
	require.Equal(t, "no_show_rate", id, "labels are names too")
}

func TestExtendProblems(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		defs []metric.Def
		want []string
	}{
		"unknown input": {[]metric.Def{own("no_show_rate", "no_shows / apointments", metric.Ratio), own("no_shows", "", metric.Count), own("appointments", "", metric.Count)},
			[]string{`unknown metric "apointments" (did you mean appointments?)`}},
		"reads itself":  {[]metric.Def{own("x_rate", "x_rate / leads", metric.Ratio)}, []string{`reads itself`}},
		"circle":        {[]metric.Def{own("a_metric", "b_metric * 2", metric.Number), own("b_metric", "a_metric / 2", metric.Number)}, []string{"a_metric and b_metric are computed from each other (a_metric → b_metric → a_metric)"}},
		"not a formula": {[]metric.Def{own("x_rate", "leads /", metric.Ratio)}, []string{`cannot parse "leads /"`}},
		"not a number":  {[]metric.Def{own("x_rate", `leads > 3`, metric.Ratio)}, []string{"a formula is arithmetic over metric ids"}},
		"no metric":     {[]metric.Def{own("x_rate", `3 / 4`, metric.Ratio)}, []string{"reads no metric"}},
		"two at once": {[]metric.Def{own("x_rate", "leds / sessions", metric.Ratio), own("y_rate", "leads / sesions", metric.Ratio)},
			[]string{`"leds" (did you mean leads`, `"sesions" (did you mean sessions`}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, errs := metric.Builtin().Extend(tc.defs)
			var msgs []string
			for _, e := range errs {
				msgs = append(msgs, e.Error())
			}
			all := strings.Join(msgs, "\n")
			for _, w := range tc.want {
				require.Contains(t, all, w)
			}
			require.Len(t, errs, len(tc.want), all)
		})
	}
}

func TestBuiltinCarriesTheSameFields(t *testing.T) {
	t.Parallel()
	for _, def := range metric.Builtin().Defs() {
		require.Equal(t, metric.SourceBuiltin, def.Source, def.ID)
		require.NotEmpty(t, def.Names["it"], def.ID)
		require.NotEmpty(t, def.Names["en"], def.ID)
		require.NotEmpty(t, def.Stage, "%s has no funnel stage", def.ID)
		require.False(t, def.Decisional && def.Vanity, def.ID)
	}
	cpl, _ := metric.Lookup("cost_per_lead")
	require.Equal(t, "ad_spend / leads", cpl.Formula)
	f, _ := metric.Lookup("followers")
	require.True(t, f.Vanity)
}
