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
	b.stamp, b.ws, b.err = st, ws, nil
	return ws, nil
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
