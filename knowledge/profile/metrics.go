package profile

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/whybot/whybot/knowledge/metric"
)

// normalizeMetrics checks the company's own metrics and builds its catalogue: the
// built-in one extended with them. Every problem is reported with its line.
func (p *Profile) normalizeMetrics(e *Error) {
	f := p.File
	seen := map[string]int{}
	var defs []metric.Def
	var at []int // index in p.Metrics of each def
	for i := range p.Metrics {
		m := &p.Metrics[i]
		field := fmt.Sprintf("metrics[%d]", i)
		m.ID = strings.TrimSpace(m.ID)
		switch {
		case m.ID == "":
			e.add(f, m.Line, field+".id", "missing: give the metric an id of lower case letters, digits and _ (no_show_rate)")
			continue
		case !idRe.MatchString(m.ID):
			e.add(f, m.Line, field+".id", "%q must be lower case letters, digits and _ (no_show_rate)", m.ID)
			continue
		}
		field = fmt.Sprintf("metrics[%s]", m.ID)
		if prev, dup := seen[m.ID]; dup {
			e.add(f, m.Line, field+".id", "%q is defined twice (also at line %d): define each metric once", m.ID, prev)
			continue
		}
		seen[m.ID] = m.Line
		def := p.metricDef(e, field, m) // a wrong field is reported; the formula is still checked
		defs = append(defs, def)
		at = append(at, i)
	}
	cat, errs := metric.Builtin().Extend(defs)
	for _, x := range errs {
		line, field := p.Line(), "metrics"
		if x.Index >= 0 && x.Index < len(at) {
			m := p.Metrics[at[x.Index]]
			line, field = m.Line, fmt.Sprintf("metrics[%s]", m.ID)
		}
		e.add(f, line, field+"."+x.Field, "%s", x.Msg)
	}
	p.cat = cat
}

// Line is the first line of the profile file.
func (p *Profile) Line() int { return 1 }

func (p *Profile) metricDef(e *Error, field string, m *Metric) metric.Def {
	f := p.File
	_, builtin := metric.Lookup(m.ID)
	def := metric.Def{ID: m.ID, Kind: metric.KindUnset, Better: metric.BetterUnset, Names: map[string]string{},
		Formula: strings.TrimSpace(m.Formula), Decisional: m.Decisional, Vanity: m.Vanity, Stage: m.Stage,
		Source: fmt.Sprintf("%s:%d", cmp.Or(p.Origin, f), m.Line)}
	if m.Inferred != "" {
		def.Source, builtin = m.Inferred, true // what the data said: no labels to ask for
	}
	for lang, label := range m.Labels {
		if lang != "it" && lang != "en" {
			e.add(f, m.Line, field+".labels", "%q is not a language whybot speaks: give labels for it and en", lang)
			continue
		}
		def.Names[lang] = strings.TrimSpace(label)
	}
	if !builtin && def.Names["it"] == "" && def.Names["en"] == "" {
		e.add(f, m.Line, field+".labels", "missing: say how people name it, e.g. labels: {it: tasso di mancata presentazione, en: no-show rate}")
	}
	for _, s := range m.Synonyms {
		def.Synonyms = append(def.Synonyms, strings.ToLower(strings.TrimSpace(s)))
	}
	if m.Kind != "" {
		k, known := metric.KindNames[m.Kind]
		if !known {
			e.add(f, m.Line, field+".kind", "%q is not a kind: use one of %s", m.Kind, names(metric.KindNames))
		}
		def.Kind = k
	} else if !builtin {
		e.add(f, m.Line, field+".kind", "missing: say what it counts, one of %s (a percent is written 0.12 or 12%% in the data and shown as 12%%)", names(metric.KindNames))
	}
	if m.Better != "" {
		b, known := metric.BetterNames[m.Better]
		if !known {
			e.add(f, m.Line, field+".better", "%q is not a direction: use up, down or neutral", m.Better)
		}
		def.Better = b
	}
	if m.Stage != "" && !slices.Contains(Stages, m.Stage) {
		e.add(f, m.Line, field+".stage", "%q is not a funnel stage: use one of %s", m.Stage, strings.Join(Stages, ", "))
	}
	switch m.Article {
	case "", "il", "lo", "la", "l'", "i", "gli", "le":
		def.Article = m.Article
	default:
		e.add(f, m.Line, field+".article", "%q is not an Italian article: use il, lo, la, l', i, gli or le", m.Article)
	}
	if m.Decisional && m.Vanity {
		e.add(f, m.Line, field, "a metric is decisional or vanity, not both")
	}
	if m.Decisional && m.Stage == "" {
		e.add(f, m.Line, field+".stage", "missing: a decisional KPI belongs to a funnel stage (%s)", strings.Join(Stages, ", "))
	}
	return def
}

// addOwnKPIs puts the company's decisional metrics in their funnel stage and its vanity
// metrics in the vanity list, when the profile does not list them already.
func (p *Profile) addOwnKPIs() {
	for _, m := range p.Metrics {
		if m.Decisional {
			if list := p.Funnel.stagePtr(m.Stage); list != nil && !slices.Contains(*list, m.ID) {
				*list = append(*list, m.ID)
			}
		}
		if m.Vanity && !slices.Contains(p.VanityMetrics, m.ID) {
			p.VanityMetrics = append(p.VanityMetrics, m.ID)
		}
	}
}

// InferKind records the kind a data file showed for a metric that neither the catalogue
// nor the profile defines (a column written 12,5% is a percent, one written 1.250 € money),
// and rebuilds the catalogue; it reports whether it added anything.
func (p *Profile) InferKind(id, kind, where string) bool {
	if p.Catalogue().Known(id) {
		return false
	}
	p.Metrics = append(p.Metrics, Metric{ID: id, Kind: kind, Inferred: where})
	e := &Error{}
	p.normalizeMetrics(e)
	return true
}

// Restore rebuilds what a stored profile does not keep (its catalogue).
func (p *Profile) Restore() error {
	e := &Error{}
	p.normalizeMetrics(e)
	p.Thresholds = p.Thresholds.WithDefaults()
	if len(e.Problems) > 0 {
		return e
	}
	return nil
}

func names[V any](m map[string]V) string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}
