package rules

import (
	"math"

	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/metric"
)

// normalFamily says whether the latest value of the metric asked about is within the range
// its own history expects (within_normal_range) or not (unusual_change): a +30% month at
// small-business volumes is often ordinary noise, and owners deserve to hear so.
func normalFamily(e *eval) {
	id := e.subject
	if id == "" || (e.it.Kind != KindWhy && e.it.Kind != KindStatus) || !e.ds.Given(e.L, id) {
		return
	}
	series := e.ds.Series(id)
	hist := make([]float64, e.L)
	for i := range hist {
		hist[i] = math.NaN()
		if series[i].OK {
			hist[i] = series[i].Value
		}
	}
	exp, ok := expectedRange(hist, seasonLag(e.ds.Grain), e.cat.KindOf(id) == metric.Count)
	if !ok {
		return
	}
	v := series[e.L].Value
	params := map[string]any{"metric": id, "value": v, "low": round(exp.Low), "high": round(exp.High), "method": exp.Method, "period": e.period}
	ev := []Datum{e.datum(id)}
	switch {
	case v > exp.High:
		params["direction"] = "up"
		e.add(Finding{Rule: UnusualChange, Severity: Info, Subject: id, Params: params, Evidence: ev})
	case v < exp.Low:
		params["direction"] = "down"
		e.add(Finding{Rule: UnusualChange, Severity: Info, Subject: id, Params: params, Evidence: ev})
	default:
		e.add(Finding{Rule: WithinNormalRange, Severity: Info, Subject: id, Params: params, Evidence: ev})
	}
}

// seasonLag is a year in periods of a grain: the seasonal comparison's distance.
func seasonLag(g kpi.Grain) int {
	switch g {
	case kpi.Month:
		return 12
	case kpi.Week:
		return 52
	}
	return 0
}
