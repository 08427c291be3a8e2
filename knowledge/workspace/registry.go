package workspace

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/store"
)

// RegistryStore is what a Registry reads.
type RegistryStore interface {
	WorkspaceStamp(ctx context.Context, key store.WorkspaceKey) (store.WorkspaceStamp, error)
	Workspace(ctx context.Context, id string) (store.Workspace, error)
	KPI(ctx context.Context, workspace string) ([]kpi.Row, time.Time, error)
}

// Registry keeps the workspaces built from the store: each is loaded, validated, its
// dataset built and its rules compiled once per version (the stored profile and data
// files, and the KPI snapshot), then reused while one indexed query (its stamp) says it is
// current. Another replica's reload or a new snapshot is seen on the next message. A
// workspace whose stored profile or data no longer validates is set aside with its error,
// and every other keeps working.
type Registry struct {
	store RegistryStore

	mu    sync.Mutex
	built map[string]*built
}

// built is one workspace as the registry last built it.
type built struct {
	mu    sync.Mutex // one build of a workspace at a time
	stamp store.WorkspaceStamp
	ws    *Workspace
	err   error // why it does not validate
}

// NewRegistry is a registry over a store.
func NewRegistry(s RegistryStore) *Registry {
	return &Registry{store: s, built: map[string]*built{}}
}

// Find returns the workspace stored under key, built once per version; nil and no error
// when none is stored under it. A workspace set aside returns its validation error.
func (r *Registry) Find(ctx context.Context, key store.WorkspaceKey) (*Workspace, error) {
	st, err := r.store.WorkspaceStamp(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	b := r.entry(st.ID)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stamp == st && (b.ws != nil || b.err != nil) {
		return b.ws, b.err
	}
	rec, err := r.store.Workspace(ctx, st.ID)
	if err != nil {
		return nil, err
	}
	rows, _, err := r.store.KPI(ctx, st.ID)
	if err != nil {
		return nil, fmt.Errorf("load KPI snapshot of %s: %w", st.ID, err)
	}
	ws, err := FromSnapshot(rec, rows)
	if err != nil {
		p, _ := StoredProfile(rec) // the company and its language, when the profile itself still reads
		b.stamp, b.ws, b.err = st, nil, &SetAsideError{ID: st.ID, Profile: p, Err: err}
		return nil, b.err
	}
	ws.Stored = st
	if ps, ok := r.store.(peopleStore); ok {
		if err := addChatPeople(ctx, ps, ws); err != nil {
			return nil, err
		}
	}
	if rv, ok := r.store.(revisionStore); ok && len(ws.Profile.Sources) > 0 {
		if ws.Data.Revisions, err = SourceRevisions(ctx, rv, st.ID, ws.Profile); err != nil {
			return nil, err
		}
	}
	b.stamp, b.ws, b.err = st, ws, nil
	return ws, nil
}

// peopleStore reads the people added from chat, where the store keeps them.
type peopleStore interface {
	ChatPeople(ctx context.Context, workspace string) ([]store.ChatPerson, error)
}

// addChatPeople adds to a workspace's profile the people added from chat that
// company.yaml does not name (the profile wins where both exist).
func addChatPeople(ctx context.Context, ps peopleStore, ws *Workspace) error {
	people, err := ps.ChatPeople(ctx, ws.Profile.Workspace)
	if err != nil {
		return err
	}
	extra := make([]profile.Person, 0, len(people))
	for _, x := range people {
		extra = append(extra, profile.Person{Handle: x.Handle, Name: x.Name, Role: x.Role, Reviewer: x.Reviewer, Slack: x.Slack, Discord: x.Discord})
	}
	ws.Profile.AddChatPeople(extra)
	return nil
}

// revisionStore reads the sources' versions, where the store keeps them.
type revisionStore = RevisionReader

// RevisionReader reads the sources' newest versions.
type RevisionReader interface {
	LatestSource(ctx context.Context, workspace, conn string) (store.SourceVersion, bool, error)
}

// SourceRevisions are what the sources' latest versions restated, per source, period and
// metric (summed over the breakdowns restated), for the answers: «rivisto da 41 a 44».
func SourceRevisions(ctx context.Context, vs RevisionReader, ws string, prof *profile.Profile) ([]kpi.Revision, error) {
	var out []kpi.Revision
	for _, d := range prof.Sources {
		v, ok, err := vs.LatestSource(ctx, ws, d.Name)
		if err != nil {
			return nil, fmt.Errorf("read source %s of %s: %w", d.Name, ws, err)
		}
		if !ok {
			continue
		}
		idx := map[[2]string]int{}
		for _, r := range v.Revisions {
			k := [2]string{r.Period, r.Metric}
			i, seen := idx[k]
			if !seen {
				i = len(out)
				idx[k] = i
				out = append(out, kpi.Revision{Source: d.Name, Period: r.Period, Metric: r.Metric})
			}
			out[i].Old += r.Old
			out[i].New += r.New
		}
	}
	return out, nil
}

func (r *Registry) entry(id string) *built {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.built[id]
	if !ok {
		b = &built{}
		r.built[id] = b
	}
	return b
}

// SetAsideError is a stored workspace that no longer validates, with why: it is set aside
// until its profile or data is fixed.
type SetAsideError struct {
	ID      string
	Profile *profile.Profile // its stored profile when that still decodes; nil otherwise
	Err     error
}

func (e *SetAsideError) Error() string {
	return fmt.Sprintf("workspace %s is set aside until its profile or data is fixed: %v", e.ID, e.Err)
}

func (e *SetAsideError) Unwrap() error { return e.Err }

// SetAside lists the workspaces last found not to validate, by id, with why.
func (r *Registry) SetAside() []error {
	r.mu.Lock()
	ids := make([]string, 0, len(r.built))
	for id := range r.built {
		ids = append(ids, id)
	}
	r.mu.Unlock()
	sort.Strings(ids)
	var out []error
	for _, id := range ids {
		b := r.entry(id)
		b.mu.Lock()
		if b.err != nil {
			out = append(out, b.err)
		}
		b.mu.Unlock()
	}
	return out
}
