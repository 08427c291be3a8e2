package chart

import (
	"math"
	"unicode"

	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/rules"
	"github.com/whybot/whybot/knowledge/workspace"
	"github.com/whybot/whybot/prompts"
)

// Span is how many periods a chart shows, up to the one the answer is about.
const Span = 13

// trendRules are the findings that make an answer about a trend: it then gets a picture.
var trendRules = map[rules.RuleID]bool{rules.UnusualChange: true, rules.WithinNormalRange: true, rules.PremiseMismatch: true,
	rules.GoalOffTrack: true, rules.GoalOnTrack: true, rules.ChangeDrivers: true, rules.CACRising: true}

// ForDraft is the chart of the metric a draft's answer is about, when it is about a trend;
// ok is false otherwise (a direct figure, a report, no data).
func ForDraft(ws *workspace.Workspace, ev record.Evidence, lang string) (Chart, bool) {
	if len(ev.Observed) == 0 {
		return Chart{}, false
	}
	trend := false
	var low, high *float64
	for _, f := range ev.Findings {
		trend = trend || trendRules[f.Rule]
		if f.Rule == rules.UnusualChange || f.Rule == rules.WithinNormalRange {
			l, okl := number(f.Params["low"])
			h, okh := number(f.Params["high"])
			if okl && okh {
				low, high = &l, &h
			}
		}
	}
	if !trend {
		return Chart{}, false
	}
	o := ev.Observed[0]
	c, ok := ForMetric(ws, o.Metric, o.Period, lang)
	if ok {
		c.Low, c.High = low, high
		c.Alt = alt(c, lang)
	}
	return c, ok
}

// ForMetric is a metric's chart over the Span periods up to period ("" the latest).
func ForMetric(ws *workspace.Workspace, id, period, lang string) (Chart, bool) {
	ds := ws.Data
	end := ds.Len() - 1
	if period != "" {
		i, ok := ds.Index(period)
		if !ok {
			return Chart{}, false
		}
		end = i
	}
	if end < 1 || !ds.Has(id) {
		return Chart{}, false
	}
	set, err := prompts.For(lang)
	if err != nil {
		return Chart{}, false
	}
	cat := ws.Profile.Catalogue()
	name := capitalize(cat.Name(id, lang))
	c := Chart{Metric: id, Title: name, GoalLabel: set.Text("chart.goal", nil), RangeLabel: set.Text("chart.expected", nil), ValueLabel: name}
	have := 0
	for i := max(0, end-Span+1); i <= end; i++ {
		c.Labels = append(c.Labels, ds.Periods[i].String())
		v, ok := ds.Value(i, id)
		if !ok {
			v = math.NaN()
		} else {
			have++
		}
		c.Values = append(c.Values, v)
	}
	if have < 2 {
		return Chart{}, false
	}
	for _, g := range ws.Profile.Goals {
		if g.Metric == id {
			t := g.Target
			c.Goal = &t
		}
	}
	c.Alt = alt(c, lang)
	return c, true
}

// alt says in words what the picture shows: the metric, the span, the latest value, the
// goal and the expected range.
func alt(c Chart, lang string) string {
	set, err := prompts.For(lang)
	if err != nil {
		return c.Title
	}
	last := c.Values[len(c.Values)-1]
	format := func(v float64) string { return formatValue(c.Metric, v, lang) }
	data := map[string]any{"Metric": c.Title, "From": c.Labels[0], "To": c.Labels[len(c.Labels)-1], "Latest": "–"}
	if !math.IsNaN(last) {
		data["Latest"] = format(last)
	}
	if c.Goal != nil {
		data["Goal"] = format(*c.Goal)
	}
	if c.Low != nil && c.High != nil {
		data["Low"], data["High"] = format(*c.Low), format(*c.High)
	}
	return set.Text("chart.alt", data)
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	}
	return 0, false
}

func capitalize(s string) string {
	r := []rune(s)
	if len(r) > 0 {
		r[0] = unicode.ToUpper(r[0])
	}
	return string(r)
}
