package pull

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/source"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/workspace"
)

// Versions reads sources' newest versions.
type Versions interface {
	LatestSource(ctx context.Context, workspace, conn string) (store.SourceVersion, bool, error)
}

// Compose is a workspace's KPI snapshot: the rows of its data files and of every source's
// newest version (override replaces some sources' rows: a version not stored yet), with
// each metric from one place: where two give it, the source declared its truth, never the
// sum. The result is checked to build a valid workspace.
func Compose(ctx context.Context, vs Versions, rec store.Workspace, prof *profile.Profile, fileRows []kpi.Row, override map[string][]kpi.Row) ([]kpi.Row, error) {
	rows := slices.Clip(FileRows(fileRows))
	for _, decl := range prof.Sources {
		if r, ok := override[decl.Name]; ok {
			rows = append(rows, r...)
			continue
		}
		v, ok, err := vs.LatestSource(ctx, rec.ID, decl.Name)
		if err != nil {
			return nil, err
		}
		if ok {
			rows = append(rows, toKPI(v.Rows, decl.Name)...)
		}
	}
	rows, err := OneTruth(prof, rows)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, nil
	}
	if _, err := workspace.FromSnapshot(rec, rows); err != nil {
		return nil, fmt.Errorf("the numbers do not make a valid workspace: %w", err)
	}
	return rows, nil
}

// FileRows are the rows of a snapshot that came from data files, not from a source.
func FileRows(rows []kpi.Row) []kpi.Row {
	out := make([]kpi.Row, 0, len(rows))
	for _, r := range rows {
		if _, pulled := source.NameOf(r.File); !pulled {
			out = append(out, r)
		}
	}
	return out
}

// Snapshot is the KPI snapshot of a workspace loaded from its files, its sources' newest
// versions composed in: what serve and the data reload store.
func Snapshot(ctx context.Context, vs Versions, ws *workspace.Workspace) ([]kpi.Row, error) {
	if len(ws.Profile.Sources) == 0 {
		return ws.KPIRows(), nil
	}
	rec, err := ws.Record()
	if err != nil {
		return nil, err
	}
	rows, err := Compose(ctx, vs, rec, ws.Profile, ws.KPIRows(), nil)
	if err != nil || rows == nil {
		return ws.KPIRows(), err
	}
	return rows, nil
}

// OneTruth keeps each metric from one place. A metric two places give is taken from the
// source declared its truth (truth: in company.yaml); with none declared it is an error
// that names the places.
func OneTruth(prof *profile.Profile, rows []kpi.Row) ([]kpi.Row, error) {
	origins := map[string]map[string]bool{}
	for _, r := range rows {
		o := originOf(r.File)
		if origins[r.Metric] == nil {
			origins[r.Metric] = map[string]bool{}
		}
		origins[r.Metric][o] = true
	}
	keep := map[string]string{} // metric → the one origin kept
	var problems []string
	for _, m := range sortedKeys(origins) {
		if len(origins[m]) == 1 {
			continue
		}
		names := sortedKeys(origins[m])
		truth, ok := prof.TruthOf(m)
		if ok && origins[m]["source "+truth] {
			keep[m] = "source " + truth
			continue
		}
		problems = append(problems, fmt.Sprintf("%s comes from %s: numbers of different places are never summed; say which is the truth with truth: [%s] on one source in company.yaml", m, strings.Join(names, " and "), m))
	}
	if len(problems) > 0 {
		return nil, &source.Error{Reason: source.ReasonConfig, Source: "sources", Kind: "truth", Detail: strings.Join(problems, "; ")}
	}
	if len(keep) == 0 {
		return rows, nil
	}
	out := rows[:0:0]
	for _, r := range rows {
		if k, ok := keep[r.Metric]; !ok || k == originOf(r.File) {
			out = append(out, r)
		}
	}
	return out, nil
}

// originOf is where a row came from: a source, or the data files (which the data's own
// rules already keep from saying one number twice).
func originOf(file string) string {
	if name, ok := source.NameOf(file); ok {
		return "source " + name
	}
	return "the data files"
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return slices.Clip(out)
}
