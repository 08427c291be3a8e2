package rules

import (
	"math"

	"github.com/whybot/whybot/knowledge/metric"
)

// ratioFamily splits the change of a ratio metric asked about (CAC = ad spend / new
// customers, cost per lead, conversion rate…) between its numerator and its denominator
// (did CAC rise because spend rose, or because new customers fell?), by their log changes,
// which add up to the ratio's. Where both have a breakdown by the same dimension, it also
// splits the change between mix (the parts' weights moved) and rate (each part's own
// ratio moved) (ratio_drivers).
func ratioFamily(e *eval) {
	id, ds, L := e.subject, e.ds, e.L
	if id == "" || L == 0 || (e.it.Kind != KindWhy && e.it.Kind != KindStatus) {
		return
	}
	dv, ok := e.ratioOf(id)
	if !ok {
		return
	}
	num, den := dv.Inputs[0], dv.Inputs[1]
	n1, ok1 := ds.Value(L, num)
	n0, ok2 := ds.Value(L-1, num)
	d1, ok3 := ds.Value(L, den)
	d0, ok4 := ds.Value(L-1, den)
	if !ok1 || !ok2 || !ok3 || !ok4 || n0 <= 0 || n1 <= 0 || d0 <= 0 || d1 <= 0 {
		return
	}
	total := math.Log((n1 / d1) / (n0 / d0))
	if math.Abs(total) < 0.005 {
		return // the ratio did not move
	}
	numPart, denPart := math.Log(n1/n0)/total, -math.Log(d1/d0)/total
	params := map[string]any{"metric": id, "num_metric": num, "den_metric": den,
		"num": round(n1), "num_before": round(n0), "den": round(d1), "den_before": round(d0),
		"num_change_pct": round((n1 - n0) / n0 * 100), "den_change_pct": round((d1 - d0) / d0 * 100),
		"num_share": round(numPart), "den_share": round(denPart), "period": e.period, "previous_period": e.prevPeriod}
	switch {
	case numPart >= 0.6:
		params["mainly"] = "num"
	case denPart >= 0.6:
		params["mainly"] = "den"
	default:
		params["mainly"] = "both"
	}
	ev := []Datum{{Metric: num, Period: e.period, Value: n1, Source: e.sources[num]}, {Metric: num, Period: e.prevPeriod, Value: n0, Source: "data"},
		{Metric: den, Period: e.period, Value: d1, Source: e.sources[den]}, {Metric: den, Period: e.prevPeriod, Value: d0, Source: "data"}}
	if mix, rate, dim, ok := e.mixAndRate(num, den); ok {
		params["dim"], params["mix_pts"], params["rate_pts"] = dim, round(mix), round(rate)
	}
	e.add(Finding{Rule: RatioDrivers, Severity: Info, Subject: id, Params: params, Evidence: ev})
}

// mixAndRate splits a ratio's change between mix and rate over the first dimension both
// its numerator and its denominator are broken down by, in the ratio's own unit
// (percentage points for a rate): rate = Σ w0·(r1 − r0), mix = Σ (w1 − w0)·r1, where w
// is a part's share of the denominator and r its ratio. They add up to the change.
func (e *eval) mixAndRate(num, den string) (mix, rate float64, dim string, ok bool) {
	for _, dim := range driverDims {
		n1, n0 := e.ds.Breakdown(e.L, num, dim), e.ds.Breakdown(e.L-1, num, dim)
		d1, d0 := e.ds.Breakdown(e.L, den, dim), e.ds.Breakdown(e.L-1, den, dim)
		if dim == "source" {
			n1, n0, d1, d0 = canonicalSources(n1), canonicalSources(n0), canonicalSources(d1), canonicalSources(d0)
		}
		t1, t0 := sum(d1), sum(d0)
		if len(d1) < 2 || t1 == 0 || t0 == 0 {
			continue
		}
		for k := range d1 {
			if d0[k] == 0 || d1[k] == 0 {
				return 0, 0, "", false // a part that is new or gone has no rate to compare
			}
			w1, w0 := d1[k]/t1, d0[k]/t0
			r1, r0 := n1[k]/d1[k], n0[k]/d0[k]
			rate += w0 * (r1 - r0)
			mix += (w1 - w0) * r1
		}
		scale := 1.0
		if e.cat.KindOf(e.subject) == metric.Ratio {
			scale = 100 // percentage points
		}
		return mix * scale, rate * scale, dim, true
	}
	return 0, 0, "", false
}

// ratioOf is how id is computed when it is a ratio of two metrics.
func (e *eval) ratioOf(id string) (metric.Derivation, bool) {
	dv, ok := e.cat.Derivation(id)
	return dv, ok && dv.Ratio
}
