package rules

import "sort"

// dataQualityFamily says when the data is not reliable: missing periods, a metric missing
// in the period before or stopped being reported, and UTM sources written several ways
// (data_gap, utm_inconsistent); it asks who can fix the data.
func dataQualityFamily(e *eval) {
	e.revisions()
	latest, previous, period, prevPeriod, it, p, ds, L, subject := e.latest, e.previous, e.period, e.prevPeriod, e.it, e.p, e.ds, e.L, e.subject
	add, ask, holder := e.add, e.ask, e.holder
	gaps := ds.Gaps()
	if len(gaps) > 0 {
		labels := make([]string, 0, len(gaps))
		for _, g := range gaps {
			labels = append(labels, g.String())
		}
		add(Finding{Rule: DataGap, Severity: Warning, Subject: "periods", Params: map[string]any{"kind": "periods_missing", "periods": labels}})
		e.dataUnreliable = true
	}
	if it.Metric != "" && L > 0 {
		if _, ok := previous[it.Metric]; !ok && ds.Has(it.Metric) {
			if _, ok := latest[it.Metric]; ok {
				add(Finding{Rule: DataGap, Severity: Warning, Subject: it.Metric, Params: map[string]any{"kind": "previous_missing", "metric": it.Metric, "period": prevPeriod}})
				e.dataUnreliable = true
			}
		}
	}
	for _, id := range p.Decisional() {
		if _, ok := latest[id]; ok {
			continue
		}
		if L > 0 && ds.Given(L-1, id) {
			add(Finding{Rule: DataGap, Severity: Warning, Subject: id, Params: map[string]any{"kind": "stopped", "metric": id, "period": period}})
			e.dataUnreliable = true
		}
	}
	utm := utmVariants(ds)
	if len(utm) > 0 {
		var ev []Datum
		groups := []map[string]any{}
		keys := make([]string, 0, len(utm))
		for k := range utm {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			vs := utm[k]
			names := make([]string, 0, len(vs))
			for _, v := range vs {
				names = append(names, v.name)
				ev = append(ev, Datum{Metric: v.row.Metric, Period: v.row.Period.String(), Value: v.row.Value, Source: v.row.File + ":" + itoa(v.row.Line) + " source=" + v.name})
			}
			groups = append(groups, map[string]any{"canonical": k, "variants": names})
		}
		add(Finding{Rule: UTMInconsistent, Severity: Warning, Subject: "source", Params: map[string]any{"groups": groups}, Evidence: ev})
		e.dataUnreliable = true
		if subject != "" && len(ds.Breakdown(L, subject, "source")) > 0 {
			ask(TopicDataQuality, holder("agency", "marketing"), UTMInconsistent, map[string]any{"groups": groups})
		}
	}
	for _, f := range e.res.Findings {
		if f.Rule == DataGap && f.Subject == it.Metric && it.Metric != "" {
			ask(TopicDataQuality, holder("agency", "marketing"), DataGap, map[string]any{"metric": it.Metric})
		}
	}

}

// revisions says when a platform restated the metric asked about in the latest period or
// the one before (data_revised): «rivisto da 41 a 44», with the source.
func (e *eval) revisions() {
	if e.subject == "" {
		return
	}
	for _, r := range e.ds.Revisions {
		if r.Metric != e.subject || (r.Period != e.period && r.Period != e.prevPeriod) {
			continue
		}
		i, ok := e.ds.Index(r.Period)
		if !ok {
			continue
		}
		now, ok := e.ds.Value(i, r.Metric)
		if !ok {
			continue
		}
		was := now - (r.New - r.Old)
		e.add(Finding{Rule: DataRevised, Severity: Info, Subject: r.Metric, Params: map[string]any{"metric": r.Metric, "period": r.Period, "old": round(was), "new": round(now), "source": r.Source},
			Evidence: []Datum{{Metric: r.Metric, Period: r.Period, Value: now, Source: "source:" + r.Source}}})
	}
}
