package rules

import "math"

// observeFamily lists the observed values: the asked metric first, then (for a lead metric)
// what explains it, then the decisional KPIs.
func observeFamily(e *eval) {
	latest, previous, sources, period, prevPeriod, it, p := e.latest, e.previous, e.sources, e.period, e.prevPeriod, e.it, e.p
	observe := func(id string) {
		if id == "" || e.seenObs[id] {
			return
		}
		v, ok := latest[id]
		if !ok {
			return
		}
		e.seenObs[id] = true
		o := Observed{Metric: id, Period: period, PreviousPeriod: prevPeriod, Value: round(v), Source: sources[id]}
		if pv, ok := previous[id]; ok {
			pv := round(pv)
			o.PreviousValue = &pv
			if pv != 0 {
				c := round((v - pv) / math.Abs(pv) * 100)
				o.ChangePct = &c
			}
		}
		e.res.Observed = append(e.res.Observed, o)
	}
	observe(it.Metric)
	if leadMetrics[it.Metric] {
		for _, id := range []string{"qualified_leads", "qualified_rate", "leads_followed_up", "followup_rate", "ad_spend", "cost_per_lead"} {
			observe(id)
		}
	}
	for _, id := range p.Decisional() {
		observe(id)
	}

}
