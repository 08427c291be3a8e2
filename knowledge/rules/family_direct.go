package rules

import (
	"path/filepath"
	"time"

	"github.com/whybot/whybot/knowledge/kpi"
)

// valueFamilies answer a direct question ("quanto abbiamo speso a ottobre?"): the figure
// asked for, nothing else to ask.
var valueFamilies = []family{
	{"observed", observeFamily},
	{"direct", directFamily},
}

// directFamily answers a direct question with the metric over the span it names
// (metric_value): summed, recomputed from its inputs, or averaged, with the periods it
// covers, those the data lacks, the rows it rests on, and the same span a year before
// when the question compares.
func directFamily(e *eval) {
	it, ds := e.it, e.ds
	if it.Metric == "" || !ds.Has(it.Metric) {
		params := map[string]any{"known": knownList(ds)}
		if it.Metric != "" {
			params["metric"] = it.Metric
		} else {
			params["name"] = it.Unknown
		}
		e.add(Finding{Rule: UnknownMetric, Severity: Warning, Subject: it.Metric + it.Unknown, Params: params})
		return // nothing to ask: the answer says what the data holds
	}
	span := it.Span
	if span == nil {
		m := ds.Periods[e.L].Start.Format("2006-01")
		span = &Span{Kind: "month", From: m, To: m}
	}
	from, to, ok := spanTimes(span, 0)
	if !ok {
		return
	}
	params := map[string]any{"metric": it.Metric, "kind": span.Kind, "from": span.From, "to": span.To, "compare": span.Compare,
		"first": ds.Periods[0].String(), "last": e.period}
	a, ok := ds.Aggregate(it.Metric, from, to)
	if !ok {
		e.add(Finding{Rule: DataGap, Severity: Warning, Subject: it.Metric, Params: map[string]any{"kind": "span_missing", "span": span.Kind, "metric": it.Metric,
			"from": span.From, "to": span.To, "first": ds.Periods[0].String(), "last": e.period}})
		return
	}
	params["value"], params["method"], params["periods"] = round(a.Value), a.Method, len(a.Periods)
	if a.Method == kpi.Listed {
		var list []any
		for i, p := range a.Periods {
			list = append(list, map[string]any{"period": p, "value": round(a.Values[i])})
		}
		params["list"] = list
		delete(params, "value")
		span = &Span{Kind: span.Kind, From: span.From, To: span.To} // a list has no total to compare
	}
	if len(a.Missing) > 0 {
		params["missing"] = a.Missing
	}
	if a.Method == kpi.Recomputed {
		params["num_metric"], params["num"], params["den_metric"], params["den"] = a.NumID, round(a.Num), a.DenID, round(a.Den)
	}
	params["source"] = e.sourceOf(a.Rows)
	ev := evidenceOf(a)
	if span.Compare != "" {
		if pf, pt, ok := compareTimes(span); ok {
			if b, ok := ds.Aggregate(it.Metric, pf, pt); ok && len(b.Missing) == 0 {
				params["compare_value"] = round(b.Value)
				params["compare_from"], params["compare_to"] = pf.Format("2006-01"), pt.AddDate(0, -1, 0).Format("2006-01")
				if b.Value != 0 {
					params["change_pct"] = round((a.Value - b.Value) / abs(b.Value) * 100)
				}
				ev = append(ev, evidenceOf(b)...)
			} else {
				params["compare_missing"] = true
			}
		}
	}
	e.add(Finding{Rule: MetricValue, Severity: Info, Subject: it.Metric, Params: params, Evidence: ev})
}

// compareTimes is the span a direct question compares with: the same span a year before
// ("yoy"), or the span of the same length just before it ("previous": the month before a
// month, the quarter before a quarter).
func compareTimes(s *Span) (time.Time, time.Time, bool) {
	if s.Compare == "yoy" {
		return spanTimes(s, -1)
	}
	from, to, ok := spanTimes(s, 0)
	if !ok {
		return from, to, false
	}
	months := (to.Year()-from.Year())*12 + int(to.Month()-from.Month())
	return from.AddDate(0, -months, 0), from, true
}

// spanTimes is the span shifted by years, as [from, to): its first month's start and the
// start of the month after its last.
func spanTimes(s *Span, years int) (time.Time, time.Time, bool) {
	from, err1 := time.Parse("2006-01", s.From)
	to, err2 := time.Parse("2006-01", s.To)
	if err1 != nil || err2 != nil || to.Before(from) {
		return time.Time{}, time.Time{}, false
	}
	return from.AddDate(years, 0, 0), to.AddDate(years, 1, 0), true
}

// sourceOf names where the rows come from: the file, and the line when there is one row;
// a source pulled from a platform by its name and kind (a row number there means nothing).
func (e *eval) sourceOf(rows []kpi.Row) map[string]any {
	files := map[string]bool{}
	var names []string
	var pulled []any
	for _, r := range rows {
		if name, ok := kpi.PulledFrom(r.File); ok {
			if !files[r.File] {
				files[r.File] = true
				kind := ""
				if d, ok := e.p.SourceByName(name); ok {
					kind = d.Kind
				}
				pulled = append(pulled, map[string]any{"name": name, "kind": kind})
			}
			continue
		}
		if f := filepath.Base(r.File); !files[f] {
			files[f] = true
			names = append(names, f)
		}
	}
	out := map[string]any{"files": names, "rows": len(rows)}
	if len(pulled) > 0 {
		out["pulled"] = pulled
	}
	if len(rows) == 1 && len(pulled) == 0 {
		out["line"] = rows[0].Line
	}
	return out
}

// evidenceOf is an aggregate's evidence: its rows (at most twelve), file:line each.
func evidenceOf(a kpi.Aggregate) []Datum {
	var ev []Datum
	for _, r := range a.Rows {
		if len(ev) == 12 {
			break
		}
		ev = append(ev, Datum{Metric: r.Metric, Period: r.Period.String(), Value: r.Value, Source: filepath.Base(r.File) + ":" + itoa(r.Line)})
	}
	return ev
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
