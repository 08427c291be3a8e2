package rules

import (
	"math"
	"sort"
	"strings"
	"unicode"

	"github.com/whybot/whybot/knowledge/metric"
)

// driverDims are the breakdowns a change is decomposed over, in order: the first the data
// has with two parts or more. Sources are read with their spellings merged (fb and
// Facebook are one source; utm_inconsistent says they were split).
var driverDims = []string{"source", "channel", "medium", "campaign", "segment"}

// driversFamily says what drove the change of the metric asked about (change_drivers):
// over every breakdown the data has (source, channel, medium, campaign, segment), the one
// to three parts that moved most in the
// direction of the change, each with its contribution and its share of it; the first
// breakdown names the drivers, the others follow ("also").
func driversFamily(e *eval) {
	id, ds, L := e.subject, e.ds, e.L
	if id == "" || L == 0 || (e.it.Kind != KindWhy && e.it.Kind != KindStatus) || e.cat.KindOf(id) == metric.Ratio {
		return
	}
	now, ok1 := ds.Value(L, id)
	before, ok2 := ds.Value(L-1, id)
	delta := now - before
	if !ok1 || !ok2 || delta == 0 {
		return
	}
	var params map[string]any
	var also []any
	ev := []Datum{}
	for _, dim := range driverDims {
		cur, prev := ds.Breakdown(L, id, dim), ds.Breakdown(L-1, id, dim)
		if dim == "source" {
			cur, prev = canonicalSources(cur), canonicalSources(prev)
		}
		parts := contributions(cur, prev, delta)
		if len(parts) == 0 || len(cur) < 2 {
			continue
		}
		var drivers []any
		for _, p := range parts {
			drivers = append(drivers, map[string]any{"part": p.key, "delta": round(p.delta), "share": round(p.delta / delta)})
			if params == nil { // the evidence of the breakdown the draft names (the others' figures are in "also")
				ev = append(ev, Datum{Metric: id, Period: e.period, Value: cur[p.key], Source: dim + "=" + p.key},
					Datum{Metric: id, Period: e.prevPeriod, Value: prev[p.key], Source: dim + "=" + p.key})
			}
		}
		if params == nil { // the first breakdown names the drivers; the others follow
			params = map[string]any{"metric": id, "dim": dim, "delta": round(delta), "drivers": drivers, "period": e.period, "previous_period": e.prevPeriod}
			continue
		}
		if len(also) < 2 {
			also = append(also, map[string]any{"dim": dim, "drivers": drivers})
		}
	}
	if params == nil {
		return
	}
	if len(also) > 0 {
		params["also"] = also
	}
	e.add(Finding{Rule: ChangeDrivers, Severity: Info, Subject: id, Evidence: ev, Params: params})
}

type contribution struct {
	key   string
	delta float64
}

// contributions are the parts that moved in the direction of the change, largest first,
// at most three.
func contributions(cur, prev map[string]float64, delta float64) []contribution {
	keys := map[string]bool{}
	for k := range cur {
		keys[k] = true
	}
	for k := range prev {
		keys[k] = true
	}
	var out []contribution
	for k := range keys {
		if !plainLabel(k) {
			continue // a part is named in the draft (and to a language model) only by a label
		}
		if d := cur[k] - prev[k]; d != 0 && math.Signbit(d) == math.Signbit(delta) {
			out = append(out, contribution{k, d})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if math.Abs(out[i].delta) != math.Abs(out[j].delta) {
			return math.Abs(out[i].delta) > math.Abs(out[j].delta)
		}
		return out[i].key < out[j].key
	})
	return out[:min(3, len(out))]
}

// plainLabel reports whether a breakdown value reads as a label (a source, a channel, a
// campaign): short, a few words, no address or phone number. A report's cell can hold
// anything; one that does not look like a label is not repeated in a draft.
func plainLabel(s string) bool {
	if s == "" || len(s) > 40 || len(strings.Fields(s)) > 4 || strings.ContainsAny(s, "@<>[]{}") {
		return false
	}
	digits := 0
	for _, r := range s {
		if unicode.IsDigit(r) {
			digits++
		}
	}
	return digits < 5
}
