package rules

import "math"

// leadsFamily asks marketing whether the leads are qualified and sales whether they were
// followed up (lead_quality_unknown, followup_unknown), and says when too few are
// (lead_quality_low, followup_gap).
func leadsFamily(e *eval) {
	latest, previous, period, it, th, ds, subject := e.latest, e.previous, e.period, e.it, e.th, e.ds, e.subject
	add, ask, holder, datum := e.add, e.ask, e.holder, e.datum
	leadQuestion := leadMetrics[subject]
	if it.Kind == KindStatus {
		if c, ok := changePct(latest, previous, "leads"); ok && math.Abs(c) >= th.LeadSwingPct {
			leadQuestion = true
		}
	}
	if leadQuestion && ds.Has("leads") {
		// the CRM's counts draft the facts: the person who knows confirms them, and their
		// word is the fact
		for _, c := range []struct {
			topic       Topic
			rule        RuleID
			rate, count string
			roles       []string
		}{{TopicLeadQuality, LeadQualityUnknown, "qualified_rate", "qualified_leads", []string{"marketing", "agency", "owner"}},
			{TopicSalesFollowup, FollowupUnknown, "followup_rate", "leads_followed_up", []string{"sales", "owner"}}} {
			if params, ok := e.crmDraft(c.rate, c.count); ok {
				ask(c.topic, holder(c.roles...), c.rule, params)
			}
		}
		if _, ok := latest["qualified_rate"]; !ok && e.ranges["qualified_rate"] == nil {
			add(Finding{Rule: LeadQualityUnknown, Severity: Warning, Subject: "leads", Params: map[string]any{"period": period, "leads": latest["leads"]}, Evidence: []Datum{datum("leads")}})
			ask(TopicLeadQuality, holder("marketing", "agency", "owner"), LeadQualityUnknown, map[string]any{"period": period, "leads": latest["leads"]})
		}
		if _, ok := latest["followup_rate"]; !ok && e.ranges["followup_rate"] == nil {
			add(Finding{Rule: FollowupUnknown, Severity: Warning, Subject: "leads", Params: map[string]any{"period": period, "leads": latest["leads"]}, Evidence: []Datum{datum("leads")}})
			ask(TopicSalesFollowup, holder("sales", "owner"), FollowupUnknown, map[string]any{"period": period, "leads": latest["leads"]})
		}
	}
	if !(leadQuestion || it.Kind == KindStatus) {
		return
	}
	if params, ev, ok := e.belowMin("qualified_rate", th.QualifiedRateMin, TopicLeadQuality); ok {
		for _, id := range []string{"qualified_leads", "leads", "cost_per_qualified_lead"} {
			if _, ok := latest[id]; ok {
				ev = append(ev, datum(id))
			}
		}
		add(Finding{Rule: LeadQualityLow, Severity: Warning, Subject: "qualified_rate", Params: params, Evidence: ev})
	}
	if params, ev, ok := e.belowMin("followup_rate", th.FollowupRateMin, TopicSalesFollowup); ok {
		if l, ok := latest["leads"]; ok {
			ev = append(ev, datum("leads"))
			if fr, ok := latest["followup_rate"]; ok {
				params["not_followed"] = math.Round(l * (1 - fr))
			}
		}
		add(Finding{Rule: FollowupGap, Severity: Critical, Subject: "followup_rate", Params: params, Evidence: ev})
	}
}

// belowMin says whether a rate is below its minimum: a figure (from the data or a person,
// exact or an estimate) below it, or a person's vague words whose whole range is below it
// ("pochi"), or probably so when the minimum falls inside the range ("meno della metà"
// against 40%). A range never turns into a figure: its params carry the person's words.
func (e *eval) belowMin(id string, minimum float64, topic Topic) (map[string]any, []Datum, bool) {
	by := factBy(e.facts, topic)
	if v, ok := e.latest[id]; ok {
		if v >= minimum {
			return nil, nil, false
		}
		params := map[string]any{"rate": v, "min": minimum, "by": by}
		if e.approx[id] {
			params["approx"] = true
		}
		return params, []Datum{e.datum(id)}, true
	}
	r := e.ranges[id]
	if r == nil || r.Low >= minimum {
		return nil, nil, false
	}
	params := map[string]any{"min": minimum, "by": by, "low": r.Low, "high": r.High, "bounds": r.Bounds}
	if r.High >= minimum {
		params["probably"] = true
	}
	return params, []Datum{}, true
}

// crmDraft is the question that asks a person to confirm a rate the CRM gives (HubSpot's
// MQL or follow-up counts): the CRM's count, the leads and the rate proposed. Until they
// answer, the CRM's figure is what the data says; once they do, their word is the fact.
func (e *eval) crmDraft(rate, count string) (map[string]any, bool) {
	r, ok := e.latest[rate]
	if !ok || e.sources[rate] != "derived" {
		return nil, false
	}
	name, ok := e.ds.PulledFrom(e.L, count)
	if !ok {
		return nil, false
	}
	d, ok := e.p.SourceByName(name)
	if !ok || d.Kind != "hubspot" {
		return nil, false
	}
	return map[string]any{"period": e.period, "leads": e.latest["leads"], "count": e.latest[count], "proposed": r, "crm": "HubSpot", "source": name}, true
}
