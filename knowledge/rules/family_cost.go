package rules

// acquisitionCostFamily says when the acquisition cost keeps rising (cac_rising) and asks
// the owner for the retention plan when the question is about cost.
func acquisitionCostFamily(e *eval) {
	th, ds, subject := e.th, e.ds, e.subject
	add, ask, holder := e.add, e.ask, e.holder
	if run, series := risingRun(ds, "cac"); run >= th.CACRisingPeriods {
		e.cacRising = true
		ev := make([]Datum, 0, len(series))
		for _, pt := range series {
			ev = append(ev, Datum{Metric: "cac", Period: pt.Period.String(), Value: round(pt.Value), Source: "derived"})
		}
		add(Finding{Rule: CACRising, Severity: Warning, Subject: "cac", Params: map[string]any{"periods": run, "from": round(series[0].Value), "to": round(series[len(series)-1].Value)}, Evidence: ev})
		if costMetrics[subject] || e.overview() {
			ask(TopicRetention, holder("owner"), CACRising, map[string]any{"periods": run})
		}
	}

}
