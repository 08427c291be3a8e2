package rules

import "github.com/whybot/whybot/knowledge/metric"

// limitsFamily checks the lines the company will not cross (limit_breached, or a data_gap
// when a limit cannot be checked) and asks the owner about a breach that touches the question.
func limitsFamily(e *eval) {
	latest, previous, sources, period, prevPeriod, subject := e.latest, e.previous, e.sources, e.period, e.prevPeriod, e.subject
	add, ask, holder := e.add, e.ask, e.holder
	for _, o := range e.s.checkLimits(latest, previous, period, prevPeriod, sources) {
		if !o.checked {
			add(Finding{Rule: DataGap, Severity: Info, Subject: o.limit.ID, Params: map[string]any{"kind": "limit_unchecked", "limit": o.limit.ID, "text": o.limit.Text, "missing": o.missing, "period": period}})
			continue
		}
		if !o.held {
			e.limitBreached = true
			add(Finding{Rule: LimitBreached, Severity: Critical, Subject: o.limit.ID, Params: map[string]any{"limit": o.limit.ID, "text": o.limit.Text, "rule": o.limit.Rule}, Evidence: o.evidence})
			if related := Related(subject); anyIn(related, o.evidence) || e.overview() {
				ask(TopicValues, holder("owner"), LimitBreached, map[string]any{"limit": o.limit.ID, "text": o.limit.Text})
			}
		}
	}

}

// valuesFamily says when a real value is at risk: one of its metrics moved the wrong way
// (value_at_risk); the owner is asked unless a breached limit was already asked about.
func valuesFamily(e *eval) {
	latest, previous, prevPeriod, th, p, subject := e.latest, e.previous, e.prevPeriod, e.th, e.p, e.subject
	add, ask, holder, datum := e.add, e.ask, e.holder, e.datum
	for _, v := range p.Values {
		for _, m := range v.Metrics {
			c, ok := changePct(latest, previous, m)
			if !ok {
				continue
			}
			bad := (e.cat.BetterOf(m) == metric.Down && c >= th.ValueRiskPct) || (e.cat.BetterOf(m) == metric.Up && c <= -th.ValueRiskPct)
			if !bad {
				continue
			}
			add(Finding{Rule: ValueAtRisk, Severity: Warning, Subject: v.ID, Params: map[string]any{"value": v.ID, "text": v.Text, "metric": m, "change_pct": round(c)},
				Evidence: []Datum{datum(m), {Metric: m, Period: prevPeriod, Value: previous[m], Source: "data"}}})
			if Related(subject)[m] && !e.limitBreached {
				ask(TopicValues, holder("owner"), ValueAtRisk, map[string]any{"value": v.ID, "text": v.Text, "metric": m})
			}
		}
	}

}
