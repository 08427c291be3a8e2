package cli

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/whybot/whybot/knowledge/metric"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/workspace"
)

// metricLine is one metric as `whybot metrics` lists it.
type metricLine struct {
	ID         string   `json:"id"`
	It         string   `json:"it"`
	En         string   `json:"en"`
	Kind       string   `json:"kind"`
	Better     string   `json:"better"`
	Formula    string   `json:"formula,omitempty"`
	Use        string   `json:"use"` // decisional | vanity | indicator, for this company
	Stage      string   `json:"stage,omitempty"`
	Synonyms   []string `json:"synonyms"`
	Source     string   `json:"source"`                // built-in, or company.yaml:12
	Glossary   []string `json:"glossary,omitempty"`    // the company's glossary names for it
	GlossaryAt string   `json:"glossary_at,omitempty"` // where those come from
}

// metricsCmd lists every metric a company can name: the built-in catalogue and its own,
// with labels, synonyms, kind, direction, formula, use and where each is defined.
func (e *env) metricsCmd(args []string) error {
	fs := newFlags("metrics", e)
	db := fs.String("db", DefaultDBPath(), "database file (embedded SQLite)")
	wsID := fs.String("workspace", "", "a stored workspace's id: its own metrics too")
	prof := fs.String("profile", "", "a company profile (company.yaml): its own metrics too")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	p, err := e.metricsProfile(*db, *wsID, *prof)
	if err != nil {
		return err
	}
	lines := metricLines(p)
	if *asJSON {
		return e.printJSON(map[string]any{"metrics": lines})
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tBETTER\tUSE\tSTAGE\tFROM\tNAMES (it / en; synonyms; = formula)")
	for _, l := range lines {
		names := l.It + " / " + l.En
		if syn := append(slices.Clone(l.Synonyms), l.Glossary...); len(syn) > 0 {
			names += "; " + strings.Join(syn, ", ")
		}
		if l.Formula != "" {
			names += "; = " + l.Formula
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", l.ID, l.Kind, l.Better, l.Use, dash(l.Stage), l.Source, names)
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// metricsProfile is the profile whose metrics are listed: a file, a stored workspace, or
// none (the built-in catalogue only).
func (e *env) metricsProfile(db, wsID, prof string) (*profile.Profile, error) {
	switch {
	case prof != "" && wsID != "":
		return nil, usagef("metrics takes --profile or --workspace, not both")
	case prof != "":
		return profile.Load(prof)
	case wsID != "":
		s, err := e.openStore(db)
		if err != nil {
			return nil, err
		}
		defer s.Close()
		w, err := e.pickWorkspace(s, wsID)
		if err != nil {
			return nil, err
		}
		return workspace.StoredProfile(w)
	}
	return nil, nil
}

func metricLines(p *profile.Profile) []metricLine {
	cat := metric.Builtin()
	if p != nil {
		cat = p.Catalogue()
	}
	glossary := map[string][]string{}
	if p != nil {
		for id, syn := range p.Glossary {
			glossary[metric.Normalize(id)] = append(glossary[metric.Normalize(id)], syn...)
		}
	}
	var out []metricLine
	for _, d := range cat.Defs() {
		l := metricLine{ID: d.ID, It: d.Names["it"], En: d.Names["en"], Kind: metric.KindName(cat.KindOf(d.ID)),
			Better: metric.BetterName(cat.BetterOf(d.ID)), Formula: d.Formula, Stage: d.Stage, Synonyms: d.Synonyms, Source: d.Source, Use: use(p, d)}
		if l.Synonyms == nil {
			l.Synonyms = []string{}
		}
		if g := glossary[d.ID]; len(g) > 0 {
			l.Glossary, l.GlossaryAt = g, p.File+": glossary"
			delete(glossary, d.ID)
		}
		out = append(out, l)
	}
	ids := make([]string, 0, len(glossary))
	for id := range glossary {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids { // glossary entries for metrics only the data has
		out = append(out, metricLine{ID: id, It: cat.Name(id, "it"), En: cat.Name(id, "en"), Kind: metric.KindName(cat.KindOf(id)),
			Better: metric.BetterName(cat.BetterOf(id)), Use: "indicator", Synonyms: []string{}, Glossary: glossary[id],
			Source: p.File + ": glossary", GlossaryAt: p.File + ": glossary"})
	}
	return out
}

// use is what the metric is for the company: the profile's funnel and vanity list when
// there is a profile, else the catalogue's.
func use(p *profile.Profile, d metric.Def) string {
	decisional, vanity := d.Decisional, d.Vanity
	if p != nil {
		decisional, vanity = p.IsDecisional(d.ID) || d.Decisional && len(p.Decisional()) == 0, p.Vanity(d.ID)
	}
	switch {
	case vanity:
		return "vanity"
	case decisional:
		return "decisional"
	}
	return "indicator"
}
