// Package kpi reads KPI snapshots (CSV or JSON, long or wide form) and holds them as a
// Dataset: one total per period and metric, derived metrics, and the breakdown rows by
// channel, segment, campaign and UTM source/medium.
package kpi

import (
	"fmt"
	"slices"
	"sort"

	"github.com/whybot/whybot/knowledge/metric"
)

// Dataset is the validated KPI data of one company.
type Dataset struct {
	Grain   Grain
	Periods []Period             // sorted, oldest first
	Files   []string             // files it was read from
	Input   []Row                // every row read, in order (what a snapshot stores)
	totals  []map[string]float64 // per period: metric → total
	given   []map[string]bool    // per period: metric given in the data (not derived)
	index   map[string]int       // period label → index
	cat     *metric.Catalogue    // the company's metrics (nil: the built-in ones)
	// Units are the signs the files wrote each metric with (% or a currency), when read
	// from files; a snapshot does not keep them (the profile does, see profile.InferKinds).
	Units Units

	// indexes built once with the dataset, so rules read only the rows they need
	byPeriodMetric map[periodMetric][]int32  // breakdown rows (indexes in Input) of a period and metric
	totalRows      map[periodMetric]int32    // the row giving a period's metric as a total, when one does
	dimValues      map[string]map[string]Row // dimension → its values, each with the first row that used it
	pulled         map[periodMetric]string   // the source a period's metric was pulled from, when it was

	// Revisions are the numbers a source's platform restated in its latest pull, summed
	// over the breakdowns it restated (set by whoever composed the snapshot).
	Revisions []Revision
}

// Revision is a platform restating a period's metric: Old and New are the sums of the rows
// it changed, so the total before was the total now less (New − Old).
type Revision struct {
	Source, Period, Metric string
	Old, New               float64
}

// periodMetric is a period's index and a metric id.
type periodMetric struct {
	i int
	m string
}

// periodKey is a period as a map key that does not depend on how its time was made.
type periodKey struct {
	g     Grain
	start int64
}

func keyOf(p Period) periodKey { return periodKey{p.Grain, p.Start.Unix()} }

// Build validates rows from one or more files and computes totals and derived metrics
// with the built-in catalogue. Mixed grains and duplicate rows are rejected with the lines
// involved.
func Build(rows []Row) (*Dataset, error) { return BuildWith(rows, nil) }

// BuildWith is Build with a company's catalogue (its own metrics and formulas).
func BuildWith(rows []Row, cat *metric.Catalogue) (*Dataset, error) {
	e := &Error{}
	if len(rows) == 0 {
		e.add("data", 0, "no rows")
		return nil, e
	}
	ds := &Dataset{Grain: rows[0].Period.Grain, index: map[string]int{}, Input: rows, cat: cat}
	first := rows[0]
	files := map[string]bool{}
	for _, r := range rows {
		if !files[r.File] {
			files[r.File] = true
			ds.Files = append(ds.Files, r.File)
		}
		if r.Period.Grain != ds.Grain {
			if e.add(r.File, r.Line, "period %s is a %s but %s:%d is a %s: use one grain (all months, all weeks or all days) across the data", r.Period, r.Period.Grain, first.File, first.Line, first.Period.Grain) {
				return nil, e
			}
			continue
		}
	}
	if err := e.err(); err != nil {
		return nil, err
	}
	for _, d := range duplicates(rows) {
		r, prev := rows[d[0]], rows[d[1]]
		if e.add(r.File, r.Line, "duplicate row: %s %s%s was already given at %s:%d", r.Period, r.Metric, dimsLabel(r.Dims), prev.File, prev.Line) {
			return nil, e
		}
	}
	if err := e.err(); err != nil {
		return nil, err
	}
	// periods
	byLabel := map[periodKey]Period{}
	for _, r := range rows {
		byLabel[keyOf(r.Period)] = r.Period
	}
	for _, p := range byLabel {
		ds.Periods = append(ds.Periods, p)
	}
	sort.Slice(ds.Periods, func(i, j int) bool { return ds.Periods[i].Before(ds.Periods[j]) })
	for i, p := range ds.Periods {
		ds.index[p.String()] = i
	}
	ds.totals = make([]map[string]float64, len(ds.Periods))
	ds.given = make([]map[string]bool, len(ds.Periods))
	for i := range ds.totals {
		ds.totals[i] = map[string]float64{}
		ds.given[i] = map[string]bool{}
	}
	ds.sum(rows)
	return ds, nil
}

// sum computes the totals (an explicit total row wins; otherwise additive breakdowns are
// summed) and indexes the breakdown rows by period and metric and by dimension value.
func (ds *Dataset) sum(rows []Row) {
	at := make([]int32, len(rows)) // each row's period index, its label formatted once
	labels := map[Period]int{}
	for j, r := range rows {
		i, ok := labels[r.Period]
		if !ok {
			i = ds.index[r.Period.String()]
			labels[r.Period] = i
		}
		at[j] = int32(i)
	}
	explicit := map[periodMetric]bool{}
	ds.pulled = map[periodMetric]string{}
	for j, r := range rows {
		if name, ok := PulledFrom(r.File); ok {
			ds.pulled[periodMetric{int(at[j]), r.Metric}] = name
		}
	}
	ds.totalRows = map[periodMetric]int32{}
	for j, r := range rows {
		if r.Dims.Empty() {
			i := int(at[j])
			ds.totals[i][r.Metric] = r.Value
			ds.given[i][r.Metric] = true
			explicit[periodMetric{i, r.Metric}] = true
			ds.totalRows[periodMetric{i, r.Metric}] = int32(j)
		}
	}
	ds.byPeriodMetric = map[periodMetric][]int32{}
	ds.dimValues = map[string]map[string]Row{}
	for _, n := range dimNames {
		ds.dimValues[n] = map[string]Row{}
	}
	for j, r := range rows {
		if r.Dims.Empty() {
			continue
		}
		i := int(at[j])
		k := periodMetric{i, r.Metric}
		ds.byPeriodMetric[k] = append(ds.byPeriodMetric[k], int32(j))
		for _, n := range dimNames {
			if v := r.Dims.Get(n); v != "" {
				if _, seen := ds.dimValues[n][v]; !seen {
					ds.dimValues[n][v] = r
				}
			}
		}
		if explicit[k] || !ds.cat.Additive(r.Metric) {
			continue
		}
		ds.totals[i][r.Metric] += r.Value
		ds.given[i][r.Metric] = true
	}
	for i := range ds.totals {
		ds.Derive(ds.totals[i])
	}
}

// PulledFrom is the source a period's metric was pulled from (a declared source's name),
// if it was.
func (d *Dataset) PulledFrom(i int, id string) (string, bool) {
	name, ok := d.pulled[periodMetric{i, id}]
	return name, ok
}

// Derive fills derived metrics (cost per lead, qualified rate, CAC, …) of the built-in
// catalogue that are missing and whose inputs are present with a non-zero denominator.
func Derive(values map[string]float64) { DeriveWith(nil, values) }

// Derive fills the derived metrics of the dataset's catalogue, the company's formulas too.
func (d *Dataset) Derive(values map[string]float64) { DeriveWith(d.cat, values) }

// Catalogue is the dataset's metric catalogue.
func (d *Dataset) Catalogue() *metric.Catalogue {
	if d == nil || d.cat == nil {
		return metric.Builtin()
	}
	return d.cat
}

// DeriveWith fills the derived metrics of a catalogue (nil: the built-in one) that are
// missing and can be computed from values.
func DeriveWith(cat *metric.Catalogue, values map[string]float64) {
	get := func(id string) (float64, bool) { v, ok := values[id]; return v, ok }
	for _, dv := range cat.Derivations() {
		if _, ok := values[dv.ID]; ok {
			continue
		}
		if v, ok := dv.Eval(get); ok {
			values[dv.ID] = v
		}
	}
}

func dimsLabel(d Dims) string {
	if d.Empty() {
		return ""
	}
	s := ""
	for _, n := range dimNames {
		if v := d.Get(n); v != "" {
			s += fmt.Sprintf(" %s=%s", n, v)
		}
	}
	return s
}

// Len is the number of periods.
func (d *Dataset) Len() int { return len(d.Periods) }

// Index returns the position of a period label.
func (d *Dataset) Index(label string) (int, bool) {
	i, ok := d.index[label]
	return i, ok
}

// Value is the total of a metric in the period at index i.
func (d *Dataset) Value(i int, id string) (float64, bool) {
	if i < 0 || i >= len(d.totals) {
		return 0, false
	}
	v, ok := d.totals[i][id]
	return v, ok
}

// Given reports whether the metric was in the data (rather than derived) at period i.
func (d *Dataset) Given(i int, id string) bool {
	if i < 0 || i >= len(d.given) {
		return false
	}
	return d.given[i][id]
}

// Values returns a copy of every total at period i.
func (d *Dataset) Values(i int) map[string]float64 {
	out := make(map[string]float64, len(d.totals[i]))
	for k, v := range d.totals[i] {
		out[k] = v
	}
	return out
}

// Metrics lists every metric id that has a value in any period, sorted.
func (d *Dataset) Metrics() []string {
	set := map[string]bool{}
	for _, t := range d.totals {
		for k := range t {
			set[k] = true
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Has reports whether the metric has a value in any period.
func (d *Dataset) Has(id string) bool {
	for _, t := range d.totals {
		if _, ok := t[id]; ok {
			return true
		}
	}
	return false
}

// Series returns the metric's values from period from to to (inclusive); missing periods are
// reported with ok=false.
func (d *Dataset) Series(id string) []Point {
	out := make([]Point, len(d.Periods))
	for i, p := range d.Periods {
		v, ok := d.totals[i][id]
		out[i] = Point{Period: p, Value: v, OK: ok}
	}
	return out
}

// Point is one value of a series.
type Point struct {
	Period Period
	Value  float64
	OK     bool
}

// Breakdown sums a metric's breakdown rows at period i by one dimension (channel, source…).
func (d *Dataset) Breakdown(i int, id, dim string) map[string]float64 {
	out := map[string]float64{}
	for _, j := range d.byPeriodMetric[periodMetric{i, id}] {
		r := d.Input[j]
		if v := r.Dims.Get(dim); v != "" {
			out[v] += r.Value
		}
	}
	return out
}

// DimValues lists the distinct values of a dimension across all rows, with the first row
// (file:line) that used each.
func (d *Dataset) DimValues(dim string) map[string]Row {
	out := make(map[string]Row, len(d.dimValues[dim]))
	for v, r := range d.dimValues[dim] {
		out[v] = r
	}
	return out
}

// Gaps lists the periods missing between the first and the last period.
func (d *Dataset) Gaps() []Period {
	var out []Period
	for i := 1; i < len(d.Periods); i++ {
		for p := d.Periods[i-1].Next(); p.Before(d.Periods[i]); p = p.Next() {
			out = append(out, p)
			if len(out) > 100 {
				return out
			}
		}
	}
	return out
}

// Load reads and validates data files.
func Load(paths []string, res *metric.Resolver, opts func(path string) Options) (*Dataset, error) {
	var files [][]Row
	var errs []Problem
	units := Units{}
	readAll, seen := true, map[string]bool{}
	for _, p := range paths {
		var opt Options
		if opts != nil {
			opt = opts(p)
		}
		rows, u, err := readFile(p, res, opt)
		if err != nil {
			if ke, ok := err.(*Error); ok {
				errs = append(errs, ke.Problems...)
				readAll = readAll && ke.Read
				for _, m := range ke.Metrics {
					seen[m] = true
				}
				continue
			}
			return nil, err
		}
		files = append(files, rows)
		for id, x := range u {
			if _, seen := units[id]; !seen {
				units[id] = x
			}
		}
	}
	if len(errs) > 0 {
		e := &Error{Problems: errs, Read: readAll}
		for _, rows := range files { // the files that were fine name metrics too
			for _, r := range rows {
				seen[r.Metric] = true
			}
		}
		for m := range seen {
			e.Metrics = append(e.Metrics, m)
		}
		slices.Sort(e.Metrics)
		return nil, e
	}
	var all []Row
	if len(files) == 1 {
		all = files[0] // no copy of a large file
	} else {
		all = slices.Concat(files...) // one allocation
	}
	ds, err := BuildWith(all, res.Catalogue())
	if err != nil {
		return nil, err
	}
	ds.Units = units
	return ds, nil
}
