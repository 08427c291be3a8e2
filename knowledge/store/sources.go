package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/whybot/whybot/knowledge/kpi"
)

// PullState is where one scheduled pull of a source stands.
type PullState string

// Pull states.
const (
	PullRunning PullState = "running" // claimed by a replica, under its lease
	PullDone    PullState = "done"    // a version was published (or the file was unchanged)
	PullStopped PullState = "stopped" // a quota stop: what was pulled is kept, the rest resumes next slot
	PullFailed  PullState = "failed"  // nothing published; the last good version stays
)

// SourceRow is one pulled aggregate as a version keeps it.
type SourceRow struct {
	Period string   `json:"p"`
	Metric string   `json:"m"`
	Value  float64  `json:"v"`
	Dims   kpi.Dims `json:"d,omitzero"`
	Line   int      `json:"l,omitempty"`
}

// Revision is a number a platform restated between two versions: "rivisto da 41 a 44".
type Revision struct {
	Period string   `json:"period"`
	Metric string   `json:"metric"`
	Dims   kpi.Dims `json:"dims,omitzero"`
	Old    float64  `json:"old"`
	New    float64  `json:"new"`
}

// SourceVersion is one published snapshot of a source: every row it holds, where they came
// from, and what changed since the version before.
type SourceVersion struct {
	Workspace  string          `json:"workspace"`
	Conn       string          `json:"source"`
	Version    int64           `json:"version"`
	PulledAt   time.Time       `json:"pulled_at"`
	Provenance json.RawMessage `json:"provenance"`
	Rows       []SourceRow     `json:"rows"`
	Revisions  []Revision      `json:"revisions,omitempty"`
}

// SourceState is what the pulls of one source remember between slots.
type SourceState struct {
	Workspace string `json:"workspace"`
	Conn      string `json:"source"`
	// Backfill is the first month not yet pulled ("2025-01"), or "" once the backfill is done.
	Backfill string `json:"backfill,omitempty"`
	Started  bool   `json:"started"` // a first pull has begun
	// Through is the last day pulled ("2026-11-30"): the next pull starts no later than
	// the day after, however long whybot was stopped.
	Through string `json:"through,omitempty"`
	// Failing is the reason of the failure now under way ("" when the last pull worked),
	// Message its words, and Notified the reason the reviewers were last told about: each
	// failure is sent once.
	Failing   string    `json:"failing,omitempty"`
	Message   string    `json:"message,omitempty"`
	Notified  string    `json:"notified,omitempty"`
	ETag      string    `json:"etag,omitempty"`
	Modified  string    `json:"modified,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// SealedCredential is a connection's credential as stored: sealed with a key of the
// keyring (knowledge/secret), bound to its workspace and source.
type SealedCredential struct {
	Workspace string    `json:"workspace"`
	Conn      string    `json:"source"`
	KeyID     string    `json:"key_id"`
	Sealed    string    `json:"-"`
	UpdatedAt time.Time `json:"updated_at"`
}

// SourceStore keeps the pulls of every workspace's sources.
type SourceStore interface {
	// ClaimPull takes one source's scheduled slot for owner (one replica's pull): true when
	// no replica has it, or the one that had it let its lease run out (killed mid-pull).
	ClaimPull(ctx context.Context, workspace, conn string, slot time.Time, owner string, now time.Time, lease time.Duration) (bool, error)
	// HoldsPull reports whether owner still holds a slot it claimed: its lease has not run
	// out and no other replica took the slot over. A pull slower than its lease stores
	// nothing.
	HoldsPull(ctx context.Context, workspace, conn string, slot time.Time, owner string, now time.Time) (bool, error)
	// FinishPull records how owner's pull of a slot ended (nothing when another replica
	// took the slot over).
	FinishPull(ctx context.Context, workspace, conn string, slot time.Time, owner string, state PullState, reason, message string, now time.Time) error
	// PublishSource stores a new version (the next number) and the source's state in one
	// transaction, keeping the newest keep versions.
	PublishSource(ctx context.Context, v SourceVersion, st SourceState, keep int) (int64, error)
	// LatestSource is a source's newest version; ok is false when none was published.
	LatestSource(ctx context.Context, workspace, conn string) (SourceVersion, bool, error)
	// SourceVersions lists a source's kept versions, newest first, without their rows.
	SourceVersions(ctx context.Context, workspace, conn string) ([]SourceVersion, error)
	// SourceState is what the pulls of a source remember (zero when it never ran).
	SourceState(ctx context.Context, workspace, conn string) (SourceState, error)
	PutSourceState(ctx context.Context, st SourceState) error

	PutCredential(ctx context.Context, c SealedCredential) error
	// Credential is a connection's sealed credential; ok is false when it is not connected.
	Credential(ctx context.Context, workspace, conn string) (SealedCredential, bool, error)
	DeleteCredential(ctx context.Context, workspace, conn string) error
	// Credentials lists every stored credential (to seal them again with a new key).
	Credentials(ctx context.Context) ([]SealedCredential, error)
}

// RowsJSON is a version's rows as both backends store them.
func (v SourceVersion) RowsJSON() string { return mustJSON(v.Rows, "[]") }

// RevisionsJSON is a version's revisions as both backends store them.
func (v SourceVersion) RevisionsJSON() string { return mustJSON(v.Revisions, "[]") }

// ProvenanceJSON is the provenance, "{}" when none.
func (v SourceVersion) ProvenanceJSON() string {
	if len(v.Provenance) == 0 {
		return "{}"
	}
	return string(v.Provenance)
}

func mustJSON(v any, empty string) string {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return empty
	}
	return string(b)
}
