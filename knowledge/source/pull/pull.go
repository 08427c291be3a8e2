// Package pull runs the pulls of every workspace's sources: which slot is due, one replica
// per slot, the months to read (a backfill month by month that resumes after a quota stop,
// then a trailing window the platforms revise), a new version with what was restated, the
// workspace's KPI snapshot composed again (one source the truth per metric, never summed),
// and a failure sent once to the workspace's reviewers while the last good numbers stay.
package pull

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/secret"
	"github.com/whybot/whybot/knowledge/source"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/workspace"
)

// Store is what the pulls read and write.
type Store interface {
	store.SourceStore
	Workspace(ctx context.Context, id string) (store.Workspace, error)
	Workspaces(ctx context.Context) ([]store.Workspace, error)
	ReplaceKPI(ctx context.Context, workspace string, rows []kpi.Row, at time.Time) error
	KPI(ctx context.Context, workspace string) ([]kpi.Row, time.Time, error)
}

// Notifier tells a workspace's reviewers that a source broke.
type Notifier func(ctx context.Context, workspace string, to []string, text string) error

// Puller pulls sources.
type Puller struct {
	Store  Store
	Keys   *secret.Keyring
	Env    source.Env
	Notify Notifier
	Now    func() time.Time
	Log    *slog.Logger
	// Lease is how long a replica holds a slot before another may take it over (default
	// 15 minutes: longer than any pull).
	Lease time.Duration
	// Keep is how many versions of each source are kept (default 10).
	Keep int

	once sync.Once // the defaults are filled once: pulls run concurrently
}

// Options change one pull.
type Options struct {
	From, To time.Time // a range to pull again (both or neither); zero: as the schedule would
	// DryRun pulls and reports what would be stored, storing nothing.
	DryRun bool

	slot  time.Time // the scheduled slot pulled, and the claim that holds it (Due)
	owner string
}

// ErrLostSlot is a scheduled pull slower than its lease: another replica took its slot
// over, so it stores nothing.
var ErrLostSlot = errors.New("the pull ran past its lease and another replica took the slot over: nothing of it was stored")

// Outcome is what one pull did.
type Outcome struct {
	Workspace  string            `json:"workspace"`
	Source     string            `json:"source"`
	State      store.PullState   `json:"state"`
	Version    int64             `json:"version,omitempty"`
	Pulled     int               `json:"pulled"` // rows read this time
	Rows       int               `json:"rows"`   // rows of the version
	Requests   int               `json:"requests"`
	From       string            `json:"from,omitempty"`
	To         string            `json:"to,omitempty"`
	Resume     string            `json:"resume,omitempty"` // the backfill goes on from this month
	Unchanged  bool              `json:"unchanged,omitempty"`
	Revisions  []store.Revision  `json:"revisions,omitempty"`
	Provenance source.Provenance `json:"provenance"`
	Sample     []kpi.Row         `json:"-"`
	Err        error             `json:"-"`
	Error      string            `json:"error,omitempty"`
}

func (p *Puller) defaults() { p.once.Do(p.fill) }

func (p *Puller) fill() {
	if p.Env.Limiters == nil {
		p.Env.Limiters = &source.Limiters{} // one token bucket per provider and connection for every pull
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Log == nil {
		p.Log = slog.New(slog.DiscardHandler)
	}
	if p.Lease == 0 {
		p.Lease = 15 * time.Minute
	}
	if p.Keep == 0 {
		p.Keep = 10
	}
}

// Due pulls every source whose latest scheduled slot no replica has taken yet.
func (p *Puller) Due(ctx context.Context) ([]Outcome, error) {
	p.defaults()
	wss, err := p.Store.Workspaces(ctx)
	if err != nil {
		return nil, err
	}
	now := p.Now().UTC()
	owner := randomID()
	var out []Outcome
	var errs []error
	for _, rec := range wss {
		prof, err := workspace.StoredProfile(rec)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, decl := range prof.Sources {
			slot, ok := lastSlot(decl, now)
			if !ok {
				continue
			}
			mine, err := p.Store.ClaimPull(ctx, rec.ID, decl.Name, slot, owner, now, p.Lease)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if !mine {
				continue
			}
			o := p.pull(ctx, rec, prof, decl, Options{slot: slot, owner: owner})
			state, reason, msg := o.State, "", ""
			if e, ok := source.AsError(o.Err); ok {
				reason, msg = string(e.Reason), e.Error()
			} else if o.Err != nil {
				reason, msg = "error", o.Err.Error()
			}
			if err := p.Store.FinishPull(ctx, rec.ID, decl.Name, slot, owner, state, reason, msg, p.Now().UTC()); err != nil {
				errs = append(errs, err)
			}
			out = append(out, o)
		}
	}
	return out, errors.Join(errs...)
}

// Pull pulls one source of a workspace now.
func (p *Puller) Pull(ctx context.Context, workspaceID, name string, opt Options) (Outcome, error) {
	p.defaults()
	rec, err := p.Store.Workspace(ctx, workspaceID)
	if err != nil {
		return Outcome{}, fmt.Errorf("workspace %s: %w", workspaceID, err)
	}
	prof, err := workspace.StoredProfile(rec)
	if err != nil {
		return Outcome{}, err
	}
	decl, ok := prof.SourceByName(name)
	if !ok {
		return Outcome{}, fmt.Errorf("%s has no source %q: its sources are %s", workspaceID, name, SourceNames(prof))
	}
	o := p.pull(ctx, rec, prof, decl, opt)
	return o, o.Err
}

// SourceNames lists a profile's sources for a message: "ga4_web, crm", or how to add one.
func SourceNames(p *profile.Profile) string {
	var n []string
	for _, s := range p.Sources {
		n = append(n, s.Name)
	}
	if len(n) == 0 {
		return "none (add sources: to company.yaml)"
	}
	return strings.Join(n, ", ")
}

// lastSlot is the latest time the source's schedule fired at or before now.
func lastSlot(decl profile.Source, now time.Time) (time.Time, bool) {
	sched, err := decl.Cron()
	if err != nil {
		return time.Time{}, false
	}
	for _, back := range []time.Duration{time.Hour, 25 * time.Hour, 8 * 24 * time.Hour, 32 * 24 * time.Hour, 400 * 24 * time.Hour} {
		t := sched.Next(now.Add(-back))
		if t.After(now) {
			continue
		}
		for {
			n := sched.Next(t)
			if n.After(now) {
				return t.UTC(), true
			}
			t = n
		}
	}
	return time.Time{}, false
}

// credential opens the source's sealed credential; a source that signs in with nothing
// (a public file) needs none.
func (p *Puller) credential(ctx context.Context, ws string, decl profile.Source) (source.Credential, error) {
	var cred source.Credential
	sealed, ok, err := p.Store.Credential(ctx, ws, decl.Name)
	if err != nil || !ok {
		return cred, err
	}
	plain, err := p.Keys.Open(sealed.Sealed, ws, decl.Name)
	if err != nil {
		return cred, &source.Error{Source: decl.Name, Kind: decl.Kind, Reason: source.ReasonConfig, Detail: err.Error()}
	}
	if err := json.Unmarshal(plain, &cred); err != nil {
		return cred, &source.Error{Source: decl.Name, Kind: decl.Kind, Reason: source.ReasonConfig, Detail: "the stored credential is not readable: connect the source again"}
	}
	return cred, nil
}

// env is the connectors' environment for one workspace: its glossary, brand and currency.
func (p *Puller) env(prof *profile.Profile) source.Env {
	env := p.Env
	env.Resolver = prof.Resolver()
	env.Brand = Brand(prof)
	env.Currency = prof.Currency
	if env.Now == nil {
		env.Now = p.Now
	}
	return env
}

// Brand are the brand terms Search Console tells branded queries by: the profile's
// brand: list, else the company's name without its legal form.
func Brand(prof *profile.Profile) []string {
	if len(prof.Brand) > 0 {
		return prof.Brand
	}
	name := strings.ToLower(prof.Company)
	for _, suffix := range []string{" s.r.l.", " srl", " s.p.a.", " spa", " s.n.c.", " snc", " s.a.s.", " sas", " ltd", " inc.", " inc", " llc"} {
		name = strings.TrimSuffix(strings.TrimSpace(name), suffix)
	}
	name = strings.Trim(name, " ,.")
	if name == "" {
		return nil
	}
	return []string{name}
}

func randomID() string {
	b := make([]byte, 9)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
