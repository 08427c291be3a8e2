package rules

import "math"

// premiseFamily checks what the question takes for granted: that its metric is in the data
// (unknown_metric, a data_gap in the latest period) and that it moved as claimed
// (premise_mismatch).
func premiseFamily(e *eval) {
	latest, previous, period, prevPeriod, it, th, ds, in := e.latest, e.previous, e.period, e.prevPeriod, e.it, e.th, e.ds, e.in
	add, ask, datum := e.add, e.ask, e.datum
	// unknown_metric / missing data for the asked metric
	if it.Unknown != "" && it.Metric == "" {
		add(Finding{Rule: UnknownMetric, Severity: Warning, Subject: it.Unknown, Params: map[string]any{"name": it.Unknown, "known": knownList(ds)}})
		ask(TopicMissingData, in.Asker.Handle, UnknownMetric, map[string]any{"name": it.Unknown})
	}
	if it.Metric != "" {
		if _, ok := latest[it.Metric]; !ok {
			if !ds.Has(it.Metric) {
				add(Finding{Rule: UnknownMetric, Severity: Warning, Subject: it.Metric, Params: map[string]any{"metric": it.Metric, "known": knownList(ds)}})
			} else {
				add(Finding{Rule: DataGap, Severity: Warning, Subject: it.Metric, Params: map[string]any{"kind": "metric_missing", "metric": it.Metric, "period": period}})
			}
			ask(TopicMissingData, in.Asker.Handle, UnknownMetric, map[string]any{"metric": it.Metric, "period": period})
		}
	}

	// premise_mismatch: the question says what the data does not
	if it.Metric != "" {
		v, ok1 := latest[it.Metric]
		pv, ok2 := previous[it.Metric]
		if ok1 && ok2 && pv != 0 {
			change := (v - pv) / math.Abs(pv) * 100
			claimed := it.ClaimedChangePct
			mismatch := false
			params := map[string]any{"metric": it.Metric, "observed_pct": round(change), "period": period, "previous_period": prevPeriod}
			if claimed != nil {
				params["claimed_pct"] = *claimed
				if math.Abs(*claimed-change) > th.PremiseTolerancePts || (*claimed > 0) != (change > 0) && math.Abs(change) > 0.5 {
					mismatch = true
				}
			} else if (it.Direction == "up" && change < -0.5) || (it.Direction == "down" && change > 0.5) {
				mismatch = true
				params["claimed_direction"] = it.Direction
			}
			if mismatch {
				add(Finding{Rule: PremiseMismatch, Severity: Warning, Subject: it.Metric, Params: params,
					Evidence: []Datum{datum(it.Metric), {Metric: it.Metric, Period: prevPeriod, Value: pv, Source: "data"}}})
			}
		}
	}

}
