package rules

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/metric"
	"github.com/whybot/whybot/knowledge/profile"
)

// compiledLimit is a profile limit compiled once at load.
type compiledLimit struct {
	limit   profile.Limit
	program *vm.Program
	current []string // metrics read from the latest period
	prev    []string // metrics read from the previous period (prev.x, change_pct("x"))
}

// Set is a profile's rules compiled against the metrics its data can provide.
type Set struct {
	Profile *profile.Profile
	limits  []compiledLimit
}

// CompileError names the rule, the file line and what to fix.
type CompileError = profile.Error

// Compile compiles the profile's limits. The metric universe is the catalogue, the glossary,
// and every metric in the data; a rule naming anything else, or not yielding a boolean, is an
// error that names the rule id and its line.
func Compile(p *profile.Profile, ds *kpi.Dataset) (*Set, error) {
	var data []string
	if ds != nil {
		data = ds.Metrics()
	}
	return compile(p, metricUniverse(p, data))
}

func compile(p *profile.Profile, universe map[string]bool) (*Set, error) {
	env := map[string]any{
		"prev":       map[string]float64{},
		"change_pct": func(string) float64 { return 0 },
	}
	for id := range universe {
		env[id] = 0.0
	}
	s := &Set{Profile: p}
	e := &profile.Error{}
	checkMetricNames(p, universe, e)
	for _, l := range p.Limits {
		field := fmt.Sprintf("limits[%s].rule", l.ID)
		line := l.RuleLine
		if line == 0 {
			line = l.Line
		}
		tree, err := parser.Parse(l.Rule)
		if err != nil {
			e.Problems = append(e.Problems, profile.Problem{File: p.File, Line: line, Field: field, Msg: fmt.Sprintf("cannot parse %q: %s", l.Rule, firstLine(err))})
			continue
		}
		refs := &refCollector{}
		ast.Walk(&tree.Node, refs)
		var bad []string
		for _, name := range append(append([]string{}, refs.current...), refs.prev...) {
			if !universe[name] {
				bad = append(bad, name)
			}
		}
		if len(bad) > 0 {
			for _, name := range bad {
				e.Problems = append(e.Problems, profile.Problem{File: p.File, Line: line, Field: field,
					Msg: fmt.Sprintf("unknown metric %q%s: use a metric from the data or the glossary", name, suggest(name, universe))})
			}
			continue
		}
		for _, msg := range refs.problems {
			e.Problems = append(e.Problems, profile.Problem{File: p.File, Line: line, Field: field, Msg: msg})
		}
		if len(refs.problems) > 0 {
			continue
		}
		prog, err := expr.Compile(l.Rule, expr.Env(env), expr.AsBool())
		if err != nil {
			e.Problems = append(e.Problems, profile.Problem{File: p.File, Line: line, Field: field, Msg: fmt.Sprintf("%s: a limit must be a condition that is true while the limit holds, e.g. discount_rate <= 0.15", firstLine(err))})
			continue
		}
		s.limits = append(s.limits, compiledLimit{limit: l, program: prog, current: dedupe(refs.current), prev: dedupe(refs.prev)})
	}
	if len(e.Problems) > 0 {
		return nil, e
	}
	return s, nil
}

// metricUniverse is every metric a profile may name: the catalogue's (the company's own
// included), the glossary's and the data's.
func metricUniverse(p *profile.Profile, data []string) map[string]bool {
	universe := map[string]bool{}
	for _, id := range p.Catalogue().IDs() {
		universe[id] = true
	}
	for id := range p.Glossary {
		universe[metric.Normalize(id)] = true
	}
	for _, id := range data {
		universe[id] = true
	}
	return universe
}

// CheckNames reports what Compile would for data holding these metrics: the goals, values,
// funnel stages and vanity entries naming a metric nobody knows, and the limits that do
// not compile. It is for data that could not be built.
func CheckNames(p *profile.Profile, data []string) []profile.Problem {
	var pe *profile.Error
	if _, err := compile(p, metricUniverse(p, data)); errors.As(err, &pe) {
		return pe.Problems
	}
	return nil
}

// checkMetricNames reports every goal, value, funnel stage and vanity entry that names a
// metric neither the catalogue, the glossary, the company's own metrics nor the data know.
func checkMetricNames(p *profile.Profile, universe map[string]bool, e *profile.Error) {
	bad := func(line int, field, name string) {
		if name == "" || universe[name] {
			return
		}
		e.Problems = append(e.Problems, profile.Problem{File: p.File, Line: line, Field: field,
			Msg: fmt.Sprintf("unknown metric %q%s: use a metric id (whybot metrics lists them), a name in the glossary, or define it under metrics:", name, suggest(name, universe))})
	}
	for _, g := range p.Goals {
		bad(g.Line, fmt.Sprintf("goals[%s].metric", g.ID), g.Metric)
	}
	for _, v := range p.Values {
		for _, m := range v.Metrics {
			bad(v.Line, fmt.Sprintf("values[%s].metrics", v.ID), m)
		}
	}
	for _, st := range profile.Stages {
		for _, m := range p.Funnel.Stage(st) {
			bad(p.Funnel.Line, "funnel."+st, m)
		}
	}
	for _, m := range p.VanityMetrics {
		bad(p.VanityLine(), "vanity_metrics", m)
	}
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// refCollector finds the metrics an expression reads.
type refCollector struct {
	current  []string
	prev     []string
	problems []string
	skip     map[ast.Node]bool
}

func (c *refCollector) Visit(n *ast.Node) {
	if c.skip == nil {
		c.skip = map[ast.Node]bool{}
	}
	switch x := (*n).(type) {
	case *ast.MemberNode:
		if id, ok := x.Node.(*ast.IdentifierNode); ok && id.Value == "prev" {
			c.skip[x.Node] = true
			if s, ok := x.Property.(*ast.StringNode); ok {
				c.prev = append(c.prev, s.Value)
			} else {
				c.problems = append(c.problems, "prev must be followed by a metric name, as in prev.leads")
			}
		}
	case *ast.CallNode:
		if id, ok := x.Callee.(*ast.IdentifierNode); ok && id.Value == "change_pct" {
			c.skip[x.Callee] = true
			if len(x.Arguments) != 1 {
				c.problems = append(c.problems, "change_pct takes one metric name, as in change_pct(\"leads\")")
				return
			}
			if s, ok := x.Arguments[0].(*ast.StringNode); ok {
				c.current = append(c.current, s.Value)
				c.prev = append(c.prev, s.Value)
			} else {
				c.problems = append(c.problems, "change_pct takes a quoted metric name, as in change_pct(\"leads\")")
			}
		}
	case *ast.IdentifierNode:
		if c.skip[*n] || x.Value == "prev" || x.Value == "change_pct" {
			return
		}
		c.current = append(c.current, x.Value)
	}
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// suggest proposes the closest known names.
func suggest(name string, universe map[string]bool) string {
	ids := make([]string, 0, len(universe))
	for id := range universe {
		ids = append(ids, id)
	}
	return metric.SuggestFrom(name, ids)
}

// limitOutcome is the result of checking one limit.
type limitOutcome struct {
	limit    profile.Limit
	held     bool
	checked  bool
	missing  []string
	evidence []Datum
}

func (s *Set) checkLimits(latest, previous map[string]float64, period, prevPeriod string, sources map[string]string) []limitOutcome {
	out := make([]limitOutcome, 0, len(s.limits))
	for _, cl := range s.limits {
		o := limitOutcome{limit: cl.limit}
		env := map[string]any{}
		for id, v := range latest {
			env[id] = v
		}
		for _, m := range cl.current {
			v, ok := latest[m]
			if !ok {
				o.missing = append(o.missing, m)
				continue
			}
			o.evidence = append(o.evidence, Datum{Metric: m, Period: period, Value: v, Source: sources[m]})
		}
		for _, m := range cl.prev {
			v, ok := previous[m]
			if !ok {
				o.missing = append(o.missing, "prev."+m)
				continue
			}
			o.evidence = append(o.evidence, Datum{Metric: m, Period: prevPeriod, Value: v, Source: "data"})
		}
		if len(o.missing) > 0 {
			out = append(out, o)
			continue
		}
		env["prev"] = previous
		env["change_pct"] = func(id string) float64 {
			c, p := latest[id], previous[id]
			if p == 0 {
				return math.NaN()
			}
			return (c - p) / math.Abs(p) * 100
		}
		// every metric of the universe must be present with the right type
		for id := range s.universeOf(cl) {
			if _, ok := env[id]; !ok {
				env[id] = 0.0
			}
		}
		res, err := expr.Run(cl.program, env)
		if err != nil {
			o.missing = append(o.missing, err.Error())
			out = append(out, o)
			continue
		}
		o.checked = true
		o.held, _ = res.(bool)
		out = append(out, o)
	}
	return out
}

func (s *Set) universeOf(cl compiledLimit) map[string]bool {
	m := map[string]bool{}
	for _, id := range cl.current {
		m[id] = true
	}
	return m
}

// LimitIDs lists the compiled limits' ids (for validate).
func (s *Set) LimitIDs() []string {
	out := make([]string, len(s.limits))
	for i, l := range s.limits {
		out[i] = l.limit.ID
	}
	return out
}
