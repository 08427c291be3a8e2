package rules

import "math"

// leadsFamily asks marketing whether the leads are qualified and sales whether they were
// followed up (lead_quality_unknown, followup_unknown), and says when too few are
// (lead_quality_low, followup_gap).
func leadsFamily(e *eval) {
	latest, previous, facts, period, it, th, ds, subject := e.latest, e.previous, e.facts, e.period, e.it, e.th, e.ds, e.subject
	add, ask, holder, datum := e.add, e.ask, e.holder, e.datum
	leadQuestion := leadMetrics[subject]
	if it.Kind == KindStatus {
		if c, ok := changePct(latest, previous, "leads"); ok && math.Abs(c) >= th.LeadSwingPct {
			leadQuestion = true
		}
	}
	if leadQuestion && ds.Has("leads") {
		if _, ok := latest["qualified_rate"]; !ok {
			add(Finding{Rule: LeadQualityUnknown, Severity: Warning, Subject: "leads", Params: map[string]any{"period": period, "leads": latest["leads"]}, Evidence: []Datum{datum("leads")}})
			ask(TopicLeadQuality, holder("marketing", "agency", "owner"), LeadQualityUnknown, map[string]any{"period": period, "leads": latest["leads"]})
		}
		if _, ok := latest["followup_rate"]; !ok {
			add(Finding{Rule: FollowupUnknown, Severity: Warning, Subject: "leads", Params: map[string]any{"period": period, "leads": latest["leads"]}, Evidence: []Datum{datum("leads")}})
			ask(TopicSalesFollowup, holder("sales", "owner"), FollowupUnknown, map[string]any{"period": period, "leads": latest["leads"]})
		}
	}
	if q, ok := latest["qualified_rate"]; ok && (leadQuestion || it.Kind == KindStatus) && q < th.QualifiedRateMin {
		ev := []Datum{datum("qualified_rate")}
		for _, id := range []string{"qualified_leads", "leads", "cost_per_qualified_lead"} {
			if _, ok := latest[id]; ok {
				ev = append(ev, datum(id))
			}
		}
		add(Finding{Rule: LeadQualityLow, Severity: Warning, Subject: "qualified_rate", Params: map[string]any{"rate": q, "min": th.QualifiedRateMin, "by": factBy(facts, TopicLeadQuality)}, Evidence: ev})
	}
	if fr, ok := latest["followup_rate"]; ok && (leadQuestion || it.Kind == KindStatus) && fr < th.FollowupRateMin {
		ev := []Datum{datum("followup_rate")}
		params := map[string]any{"rate": fr, "min": th.FollowupRateMin, "by": factBy(facts, TopicSalesFollowup)}
		if l, ok := latest["leads"]; ok {
			ev = append(ev, datum("leads"))
			params["not_followed"] = math.Round(l * (1 - fr))
		}
		add(Finding{Rule: FollowupGap, Severity: Critical, Subject: "followup_rate", Params: params, Evidence: ev})
	}

}
