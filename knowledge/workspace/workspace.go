// Package workspace loads one company's knowledge as a unit: its profile, its KPI data and
// its rules compiled against that data. A workspace either loads whole or not at all.
package workspace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/metric"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/rules"
	"github.com/whybot/whybot/knowledge/store"
)

// Workspace is a company's loaded knowledge.
type Workspace struct {
	Profile   *profile.Profile
	Data      *kpi.Dataset
	Rules     *rules.Set
	Resolver  *metric.Resolver
	Phrases   []metric.Phrase
	DataFiles []string
	// Stored is the stored version this workspace was built from (by a Registry); zero
	// when it was loaded from files and may not be stored yet.
	Stored store.WorkspaceStamp
}

// Load reads and validates a profile and its data files, and compiles the rules.
func Load(profilePath string, dataPaths []string) (*Workspace, error) {
	p, perr := profile.Load(profilePath)
	if p == nil {
		return nil, perr
	}
	ws, err := build(p, dataPaths)
	if perr == nil {
		return ws, err
	}
	return nil, joinProblems(perr, err) // every problem of profile and data in one run
}

// joinProblems adds the data's and the rules' problems to the profile's.
func joinProblems(perr, err error) error {
	var pe *profile.Error
	if !errors.As(perr, &pe) {
		return perr
	}
	out := &profile.Error{Problems: slices.Clone(pe.Problems)}
	var ke *kpi.Error
	var re *profile.Error
	isData, isProfile := errors.As(err, &ke), errors.As(err, &re)
	if isData {
		for _, x := range ke.Problems {
			out.Problems = append(out.Problems, profile.Problem{File: x.File, Line: x.Line, Msg: x.Msg})
		}
	}
	if isProfile {
		out.Problems = append(out.Problems, re.Problems...)
	}
	if err != nil && !isData && !isProfile {
		out.Problems = append(out.Problems, profile.Problem{File: "data", Msg: err.Error()})
	}
	return out
}

func build(p *profile.Profile, dataPaths []string) (*Workspace, error) {
	if len(dataPaths) == 0 && len(p.Sources) > 0 {
		return nil, ErrNotPulled
	}
	if len(dataPaths) == 0 {
		return nil, errors.New("no KPI data: pass at least one --data file (CSV or JSON)")
	}
	abs := make([]string, len(dataPaths))
	for i, d := range dataPaths {
		a, err := filepath.Abs(d)
		if err != nil {
			return nil, fmt.Errorf("data file %s: %w", d, err)
		}
		abs[i] = a
	}
	res := p.Resolver()
	ds, err := kpi.Load(dataPaths, res, func(path string) kpi.Options {
		locale, where := p.DataLocale(path)
		d, _ := p.DataFileFor(path)
		return kpi.Options{Locale: locale, Where: where, Preset: d.Preset, Columns: d.Columns, Sheet: d.Sheet,
			Currency: p.Currency, CurrencyWhere: p.File + ": currency"}
	})
	if ke := (*kpi.Error)(nil); errors.As(err, &ke) && ke.Read {
		// every file was read to its end: the profile's metric names can be checked against
		// what they hold, in the same run
		if names := rules.CheckNames(p, ke.Metrics); len(names) > 0 {
			return nil, joinProblems(&profile.Error{}, errors.Join(ke, &profile.Error{Problems: names}))
		}
	}
	if err != nil {
		return nil, err
	}
	if inferKinds(p, ds.Units) { // a metric nobody defined, written with % or €: rebuild with its kind
		res = p.Resolver()
		units := ds.Units
		if ds, err = kpi.BuildWith(ds.Input, p.Catalogue()); err != nil {
			return nil, err
		}
		ds.Units = units
	}
	if err := sourceGrains(p, ds); err != nil {
		return nil, err
	}
	set, err := rules.Compile(p, ds)
	if err != nil {
		return nil, err
	}
	return &Workspace{Profile: p, Data: ds, Rules: set, Resolver: res, Phrases: phrases(res, ds), DataFiles: abs}, nil
}

// inferKinds gives the metrics nobody defined the kind their cells were written with.
func inferKinds(p *profile.Profile, units kpi.Units) bool {
	ids := make([]string, 0, len(units))
	for id := range units {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	added := false
	for _, id := range ids {
		u := units[id]
		kind := "money"
		if u.Sign == "%" {
			kind = "percent"
		}
		if p.InferKind(id, kind, fmt.Sprintf("%s:%d (written with %s)", filepath.Base(u.File), u.Line, u.Sign)) {
			added = true
		}
	}
	return added
}

// FromStore rebuilds a workspace from its stored profile and the data files it recorded.
func FromStore(w store.Workspace) (*Workspace, error) {
	return FromSnapshot(w, nil)
}

// FromSnapshot rebuilds a workspace from its stored profile and KPI snapshot; with no
// snapshot rows it reads the data files the workspace recorded.
func FromSnapshot(w store.Workspace, rows []kpi.Row) (*Workspace, error) {
	p, err := StoredProfile(w)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return build(p, w.DataFiles)
	}
	ds, err := kpi.BuildWith(rows, p.Catalogue())
	if err != nil {
		return nil, err
	}
	set, err := rules.Compile(p, ds)
	if err != nil {
		return nil, err
	}
	res := p.Resolver()
	return &Workspace{Profile: p, Data: ds, Rules: set, Resolver: res, Phrases: phrases(res, ds), DataFiles: w.DataFiles}, nil
}

// KPIRows is the workspace's data, as its snapshot is stored.
func (w *Workspace) KPIRows() []kpi.Row { return w.Data.Input }

// StoredProfile decodes a stored workspace's profile.
func StoredProfile(w store.Workspace) (*profile.Profile, error) {
	var p profile.Profile
	if err := json.Unmarshal(w.Profile, &p); err != nil {
		return nil, fmt.Errorf("decode stored profile of %s: %w", w.ID, err)
	}
	p.File = w.ID + " (stored profile)"
	if err := p.Restore(); err != nil {
		return nil, fmt.Errorf("stored profile of %s: %w", w.ID, err)
	}
	return &p, nil
}

// Lister lists the stored workspaces.
type Lister interface {
	Workspaces(ctx context.Context) ([]store.Workspace, error)
}

// FindStored returns the first stored workspace whose profile matches, with that profile;
// ok is false when none does. Transports use it to map a Slack team or a Discord server to
// its company.
func FindStored(ctx context.Context, s Lister, match func(*profile.Profile) bool) (rec store.Workspace, p *profile.Profile, ok bool, err error) {
	all, err := s.Workspaces(ctx)
	if err != nil {
		return store.Workspace{}, nil, false, fmt.Errorf("list workspaces: %w", err)
	}
	for _, rec := range all {
		p, err := StoredProfile(rec)
		if err == nil && match(p) {
			return rec, p, true, nil
		}
	}
	return store.Workspace{}, nil, false, nil
}

// Getter reads one stored workspace.
type Getter interface {
	Workspace(ctx context.Context, id string) (store.Workspace, error)
}

// ProfileByID reads the stored profile of a workspace.
func ProfileByID(ctx context.Context, s Getter, id string) (*profile.Profile, error) {
	rec, err := s.Workspace(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load workspace %s: %w", id, err)
	}
	return StoredProfile(rec)
}

// SnapshotStore lists the stored workspaces and reads their latest KPI snapshot.
type SnapshotStore interface {
	Lister
	KPI(ctx context.Context, workspace string) ([]kpi.Row, time.Time, error)
}

// LoadStored is FindStored with the workspace rebuilt from its stored profile and KPI
// snapshot, ready for the engine; nil when no profile matches.
func LoadStored(ctx context.Context, s SnapshotStore, match func(*profile.Profile) bool) (*Workspace, error) {
	rec, _, ok, err := FindStored(ctx, s, match)
	if err != nil || !ok {
		return nil, err
	}
	rows, _, err := s.KPI(ctx, rec.ID)
	if err != nil {
		return nil, fmt.Errorf("load KPI snapshot of %s: %w", rec.ID, err)
	}
	return FromSnapshot(rec, rows)
}

// Record is the store row for this workspace.
func (w *Workspace) Record() (store.Workspace, error) { return RecordOf(w.Profile, w.DataFiles) }

// RecordOf is the store row of a profile and the data files it is read with (none for a
// company whose numbers all come from its sources).
func RecordOf(p *profile.Profile, dataFiles []string) (store.Workspace, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return store.Workspace{}, fmt.Errorf("encode profile: %w", err)
	}
	return store.Workspace{ID: p.Workspace, Company: p.Company, Profile: b, DataFiles: dataFiles,
		SlackTeam: p.Slack.Team, DiscordGuild: p.Discord.Guild}, nil
}

// ErrNotPulled is a workspace whose numbers all come from its sources, before their first
// pull: it cannot answer yet.
var ErrNotPulled = errors.New("no KPI numbers yet: its sources have not been pulled (whybot source pull NAME, or wait for their schedule)")

// phrases are the names a question may use for a metric: the catalogue's and the
// glossary's, and every metric of the data by its own id's words ("no_show_rate": "no show
// rate"), longest first.
func phrases(res *metric.Resolver, ds *kpi.Dataset) []metric.Phrase {
	out := res.Phrases()
	known := map[string]bool{}
	for _, ph := range out {
		known[strings.Join(ph.Words, "_")] = true
	}
	for _, id := range ds.Metrics() {
		if !known[id] {
			out = append(out, metric.Phrase{Words: strings.Split(id, "_"), ID: id})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i].Words) > len(out[j].Words) })
	return out
}

// sourceGrains refuses a source whose periods are not the data files': a daily source
// beside monthly files would make a dataset of two grains.
func sourceGrains(p *profile.Profile, ds *kpi.Dataset) error {
	e := &profile.Error{}
	for _, src := range p.Sources {
		if src.Grain != "" && ds.Grain != "" && kpi.Grain(src.Grain) != ds.Grain {
			e.Problems = append(e.Problems, profile.Problem{File: p.File, Line: src.Line, Field: "sources[" + src.Name + "].grain",
				Msg: fmt.Sprintf("%s, but the data files are by %s: use grain: %s, so the source's periods are the files'", src.Grain, ds.Grain, ds.Grain)})
		}
	}
	if len(e.Problems) > 0 {
		return e
	}
	return nil
}
