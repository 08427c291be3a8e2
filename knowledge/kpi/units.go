package kpi

import (
	"fmt"
	"math"
	"sort"
)

// Unit is the sign a file writes a metric's values with: "%" or a currency code, and the
// first cell that showed it.
type Unit struct {
	Sign string
	File string
	Line int
}

// Units are the signs each metric's values were written with, by metric id.
type Units map[string]Unit

// unitCheck follows the signs of one file's cells, metric by metric: a share written with
// % next to a plain number above 1 (12% and 12) and two currencies in one file are errors,
// as is a currency other than the profile's.
type unitCheck struct {
	seen  map[string]Unit
	plain map[string]int // metric → first line with a plain value above 1 (ambiguous next to %)
	bad   []Problem
}

func (u *unitCheck) see(name, metric string, line int, r number) {
	if u.seen == nil {
		u.seen, u.plain = map[string]Unit{}, map[string]int{}
	}
	if r.unit == "" {
		if _, ok := u.plain[metric]; !ok && math.Abs(r.v) > 1 {
			u.plain[metric] = line
		}
		return
	}
	prev, ok := u.seen[metric]
	if !ok {
		u.seen[metric] = Unit{Sign: r.unit, File: name, Line: line}
		return
	}
	if prev.Sign != r.unit && len(u.bad) < maxProblems {
		u.bad = append(u.bad, Problem{File: name, Line: line, Msg: fmt.Sprintf("metric %s is written in %s here but in %s at line %d: one metric has one unit; export it again in one", metric, r.unit, prev.Sign, prev.Line)})
	}
}

// problems reports what the file's units say is wrong, once the whole file is read.
func (u *unitCheck) problems(currency, where string, e *Error) {
	e.Problems = append(e.Problems, u.bad...)
	ids := make([]string, 0, len(u.seen))
	for id := range u.seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		s := u.seen[id]
		if l, ok := u.plain[id]; ok && s.Sign == "%" {
			e.add(s.File, l, "metric %s: a plain number above 1 in a metric written with %% at line %d: is it a percentage (write 12%%) or a share (0.12)? Write every value of it one way", id, s.Line)
		}
		if s.Sign != "%" && currency != "" && s.Sign != currency {
			e.add(s.File, s.Line, "metric %s is in %s but the company's currency is %s (%s): set currency: %s in company.yaml, or export the report in %s", id, s.Sign, currency, where, s.Sign, currency)
		}
	}
}

// units is what the file's cells said, once checked.
func (u *unitCheck) units() Units {
	out := Units{}
	for id, s := range u.seen {
		out[id] = s
	}
	return out
}
