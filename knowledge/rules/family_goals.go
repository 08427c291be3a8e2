package rules

// goalsFamily says whether each goal is met or on track by its date, projecting the recent
// trend (goal_on_track, goal_off_track).
func goalsFamily(e *eval) {
	latest, p, ds, L := e.latest, e.p, e.ds, e.L
	add, datum := e.add, e.datum
	for _, g := range p.Goals {
		v, ok := latest[g.Metric]
		if !ok {
			continue
		}
		met := (g.Direction == "down" && v <= g.Target) || (g.Direction == "up" && v >= g.Target)
		params := map[string]any{"goal": g.ID, "metric": g.Metric, "target": g.Target, "direction": g.Direction, "by": g.By, "value": round(v)}
		if g.Text != "" {
			params["goal_text"] = g.Text
		}
		if e.approx[g.Metric] {
			params["approx"] = true // it rests on a person's estimate
		}
		onTrack := met
		if !met {
			if proj, steps, ok := project(ds, L, g, latest); ok {
				params["projected"] = round(proj)
				params["periods_left"] = steps
				onTrack = (g.Direction == "down" && proj <= g.Target) || (g.Direction == "up" && proj >= g.Target)
			}
		}
		params["met"] = met
		if onTrack {
			add(Finding{Rule: GoalOnTrack, Severity: Info, Subject: g.ID, Params: params, Evidence: []Datum{datum(g.Metric)}})
		} else {
			add(Finding{Rule: GoalOffTrack, Severity: Warning, Subject: g.ID, Params: params, Evidence: []Datum{datum(g.Metric)}})
		}
	}

}
