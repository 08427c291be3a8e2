package rules

// vanityFamily flags vanity metrics, asked about or set as goals, and asks the asker why.
func vanityFamily(e *eval) {
	latest, it, p, in := e.latest, e.it, e.p, e.in
	add, ask, datum := e.add, e.ask, e.datum
	if it.Metric != "" && p.Vanity(it.Metric) {
		params := map[string]any{"metric": it.Metric, "kind": it.Kind}
		if it.Target != nil {
			params["target"] = *it.Target
		}
		var ev []Datum
		if _, ok := latest[it.Metric]; ok {
			ev = append(ev, datum(it.Metric))
		}
		add(Finding{Rule: VanityMetric, Severity: Warning, Subject: it.Metric, Params: params, Evidence: ev})
		ask(TopicMetricPurpose, in.Asker.Handle, VanityMetric, params)
	}
	for _, g := range p.Goals {
		if p.Vanity(g.Metric) && g.Metric != it.Metric {
			params := map[string]any{"metric": g.Metric, "goal": g.ID, "kind": "goal", "target": g.Target, "direction": g.Direction, "by": g.By}
			if g.Text != "" {
				params["goal_text"] = g.Text
			}
			add(Finding{Rule: VanityMetric, Severity: Info, Subject: g.Metric, Params: params})
		}
	}

}
