package kpi

import (
	"slices"
	"time"

	"github.com/whybot/whybot/knowledge/metric"
)

// Aggregation methods: how an aggregate was made from the periods of a span.
const (
	Summed     = "sum"     // counts and amounts, added up
	Recomputed = "ratio"   // a derived metric, recomputed from its summed inputs (CAC = spend / new customers)
	Computed   = "formula" // a company's formula, computed from its summed inputs
	Averaged   = "mean"    // a rate given as such, a duration: the mean of its periods
	Listed     = "list"    // a metric of unknown kind over several periods: summing or averaging would be a guess, so each period's value
)

// Aggregate is a metric over the periods that start within a span, with what it rests on.
type Aggregate struct {
	Metric  string
	Value   float64
	Method  string
	Periods []string  // the span's periods the value covers
	Values  []float64 // for a list: each period's value, in the order of Periods
	Missing []string  // the span's periods the data has no value for
	// for a recomputed ratio: its numerator and denominator, summed
	NumID, DenID string
	Num, Den     float64
	Formula      string // for a recomputed metric: how it is computed from its inputs
	Rows         []Row  // the data rows it rests on (the inputs' rows for a ratio)
}

// Aggregate is id over the periods starting in [from, to): false when the data has none.
func (d *Dataset) Aggregate(id string, from, to time.Time) (Aggregate, bool) {
	a := Aggregate{Metric: id}
	var idx []int
	for p := firstPeriod(d.Grain, from); p.Start.Before(to); p = p.Next() {
		i, ok := d.index[p.String()]
		if _, has := d.Value(i, id); ok && has {
			idx = append(idx, i)
			a.Periods = append(a.Periods, p.String())
		} else {
			a.Missing = append(a.Missing, p.String())
		}
		if len(a.Missing) > 400 {
			break // a span far outside the data
		}
	}
	if len(idx) == 0 {
		return a, false
	}
	cat := d.Catalogue()
	dv, derived := cat.Derivation(id)
	switch {
	case cat.Additive(id):
		a.Method, a.Value = Summed, d.total(id, idx)
		a.Rows = d.rowsOf(idx, id)
	case derived && d.allOf(idx, dv.Inputs):
		v, ok := dv.Eval(func(in string) (float64, bool) { return d.total(in, idx), true })
		if !ok {
			return a, false
		}
		a.Method, a.Value, a.Formula = Computed, v, dv.Formula
		if dv.Ratio {
			a.Method = Recomputed
			a.NumID, a.DenID, a.Num, a.Den = dv.Inputs[0], dv.Inputs[1], d.total(dv.Inputs[0], idx), d.total(dv.Inputs[1], idx)
		}
		for _, in := range dv.Inputs {
			a.Rows = append(a.Rows, d.rowsOf(idx, in)...)
		}
	case cat.KindOf(id) == metric.Number && !cat.Known(id) && len(idx) > 1:
		a.Method = Listed
		for _, i := range idx {
			v, _ := d.Value(i, id)
			a.Values = append(a.Values, v)
		}
		a.Rows = d.rowsOf(idx, id)
	default:
		a.Method, a.Value = Averaged, d.total(id, idx)/float64(len(idx))
		a.Rows = d.rowsOf(idx, id)
	}
	return a, true
}

// firstPeriod is the first period of a grain that starts on or after t.
func firstPeriod(g Grain, t time.Time) Period {
	t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	switch g {
	case Month:
		p := Period{Grain: Month, Start: time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)}
		if p.Start.Before(t) {
			p = p.Next()
		}
		return p
	case Week:
		offset := (int(t.Weekday()) + 6) % 7 // days since Monday
		p := Period{Grain: Week, Start: t.AddDate(0, 0, -offset)}
		if p.Start.Before(t) {
			p = p.Next()
		}
		return p
	}
	return Period{Grain: Day, Start: t}
}

func (d *Dataset) allOf(idx []int, ids []string) bool {
	for _, id := range ids {
		if !d.all(idx, id) {
			return false
		}
	}
	return true
}

func (d *Dataset) total(id string, idx []int) float64 {
	s := 0.0
	for _, i := range idx {
		v, _ := d.Value(i, id)
		s += v
	}
	return s
}

func (d *Dataset) all(idx []int, id string) bool {
	for _, i := range idx {
		if _, ok := d.Value(i, id); !ok {
			return false
		}
	}
	return true
}

// rowsOf are the data rows of a metric in the periods at idx, as they were read.
func (d *Dataset) rowsOf(idx []int, id string) []Row {
	var at []int32
	for _, i := range idx {
		k := periodMetric{i, id}
		if j, ok := d.totalRows[k]; ok {
			at = append(at, j)
		}
		at = append(at, d.byPeriodMetric[k]...)
	}
	slices.Sort(at)
	out := make([]Row, len(at))
	for n, j := range at {
		out[n] = d.Input[j]
	}
	return out
}
