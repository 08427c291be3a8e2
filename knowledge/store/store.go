// Package store defines whybot's storage seam: workspaces, threads, their audit events,
// drafts and their approval state machine, and the outbox of approved answers waiting to be
// posted. Backends (the embedded SQLite default in sqlitestore, PostgreSQL later) implement
// Store and pass the same conformance suite in storetest.
//
// # Draft state machine
//
//	pending_approval ──approve/edit──▶ approved ──post──▶ posted
//	        │
//	        ├──reject (reason)──▶ rejected
//	        └──new facts──────▶ superseded
//
// Approving writes an approval record and an outbox row in the same transaction; only the
// outbox delivers, so no path posts a draft without an approval record. The transitions are
// enforced here (compare-and-set updates) and in the schema (CHECK constraints and a trigger).
package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// ThreadState is where a conversation stands.
type ThreadState string

// Thread states.
const (
	ThreadAwaitingAnswers ThreadState = "awaiting_answers"
	ThreadPendingApproval ThreadState = "pending_approval"
	ThreadApproved        ThreadState = "approved"
	ThreadRejected        ThreadState = "rejected"
	ThreadPosted          ThreadState = "posted"
)

// DraftState is where a draft answer stands.
type DraftState string

// Draft states.
const (
	DraftPending    DraftState = "pending_approval"
	DraftApproved   DraftState = "approved"
	DraftRejected   DraftState = "rejected"
	DraftPosted     DraftState = "posted"
	DraftSuperseded DraftState = "superseded"
)

// CanTransition reports whether a draft may move from one state to another.
func CanTransition(from, to DraftState) bool {
	switch from {
	case DraftPending:
		return to == DraftApproved || to == DraftRejected || to == DraftSuperseded
	case DraftApproved:
		return to == DraftPosted
	}
	return false
}

// EventKind names an audit event.
type EventKind string

// Audit event kinds, in the order a thread usually produces them.
const (
	EventQuestion      EventKind = "question"
	EventData          EventKind = "data"
	EventRule          EventKind = "rule"
	EventQuestionAsked EventKind = "question_asked"
	EventAnswer        EventKind = "answer"
	EventDraft         EventKind = "draft"
	EventApproved      EventKind = "approved"
	EventEdited        EventKind = "edited"
	EventRejected      EventKind = "rejected"
	EventPosted        EventKind = "posted"
)

// Workspace is one company served by the bot.
type Workspace struct {
	ID        string          `json:"id"`
	Company   string          `json:"company"`
	Profile   json.RawMessage `json:"profile"`    // the validated profile, as JSON
	DataFiles []string        `json:"data_files"` // where its KPI data is read from
	UpdatedAt time.Time       `json:"updated_at"`
}

// Thread is one conversation started by a question.
type Thread struct {
	Workspace string          `json:"workspace"`
	ID        string          `json:"id"`
	Asker     string          `json:"asker"`
	Language  string          `json:"language"`
	Transport string          `json:"transport"` // console, cli, slack, discord, web
	Channel   string          `json:"channel"`   // where answers are posted (transport-specific)
	State     ThreadState     `json:"state"`
	Intent    json.RawMessage `json:"intent"`
	Version   int             `json:"version"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// Event is one line of a thread's audit trail.
type Event struct {
	Seq  int             `json:"seq"`
	Kind EventKind       `json:"kind"`
	At   time.Time       `json:"at"`
	By   string          `json:"by"`
	Data json.RawMessage `json:"data"`
}

// Draft is an answer waiting for, or past, a reviewer's decision.
type Draft struct {
	Workspace string          `json:"workspace"`
	ID        string          `json:"id"`
	ThreadID  string          `json:"thread"`
	State     DraftState      `json:"state"`
	Text      string          `json:"text"`                 // as drafted
	FinalText string          `json:"final_text,omitempty"` // as approved (edited or not)
	Language  string          `json:"language"`
	Evidence  json.RawMessage `json:"evidence,omitempty"` // findings, observed values, facts, for reviewers
	CreatedAt time.Time       `json:"created_at"`
	DecidedBy string          `json:"decided_by,omitempty"`
	DecidedAt *time.Time      `json:"decided_at,omitempty"`
	Edited    bool            `json:"edited,omitempty"`
	Reason    string          `json:"reason,omitempty"`
	PostedAt  *time.Time      `json:"posted_at,omitempty"`
}

// Turn is everything one conversational turn writes, applied atomically.
type Turn struct {
	Thread          Thread  // new state; Version must be the version read (0 for a new thread)
	New             bool    // create the thread
	Events          []Event // appended in order (Seq is assigned)
	Draft           *Draft  // a new pending draft, if any
	SupersedeDrafts bool    // pending drafts of the thread become superseded
}

// Decision is a reviewer's action on a draft.
type Decision struct {
	Workspace  string
	DraftID    string
	By         string
	At         time.Time
	Approve    bool
	EditedText string // non-empty: approve this text instead of the draft's
	Reason     string // required to reject
}

// Outbox is an approved answer waiting to be posted.
type Outbox struct {
	Workspace      string    `json:"workspace"`
	DraftID        string    `json:"draft"`
	ThreadID       string    `json:"thread"`
	Transport      string    `json:"transport"`
	Channel        string    `json:"channel"`
	Text           string    `json:"text"`
	IdempotencyKey string    `json:"idempotency_key"`
	State          string    `json:"state"` // pending | sending | sent
	Attempts       int       `json:"attempts"`
	LastError      string    `json:"last_error,omitempty"`
	ApprovedBy     string    `json:"approved_by"`
	CreatedAt      time.Time `json:"created_at"`
}

// Errors the engine acts on.
var (
	ErrNotFound = errors.New("not found")
	// ErrConflict means the record changed since it was read (another turn or reviewer won).
	ErrConflict = errors.New("changed concurrently")
	// ErrInvalidTransition means the draft is not in a state that allows the action.
	ErrInvalidTransition = errors.New("invalid draft state transition")
)

// Store is the storage seam. Every method is scoped by workspace; every value is passed as a
// parameter, never spliced into SQL.
type Store interface {
	UpsertWorkspace(ctx context.Context, w Workspace) error
	Workspace(ctx context.Context, id string) (Workspace, error)
	Workspaces(ctx context.Context) ([]Workspace, error)

	Thread(ctx context.Context, workspace, id string) (Thread, error)
	SaveTurn(ctx context.Context, t Turn) (Thread, error)
	Events(ctx context.Context, workspace, threadID string) ([]Event, error)

	Draft(ctx context.Context, workspace, id string) (Draft, error)
	Drafts(ctx context.Context, workspace string, states ...DraftState) ([]Draft, error)
	// Decide applies an approval or rejection atomically: draft state, approval record,
	// audit events, thread state and (on approval) the outbox row.
	Decide(ctx context.Context, d Decision) (Draft, error)

	// ClaimOutbox moves a pending outbox row to sending; ok is false when another worker
	// has it or it was sent. Rows left sending longer than lease are reclaimed.
	ClaimOutbox(ctx context.Context, workspace, draftID string, lease time.Duration) (Outbox, bool, error)
	// PendingOutbox lists rows waiting to be posted (or whose lease expired), oldest first.
	PendingOutbox(ctx context.Context, lease time.Duration, limit int) ([]Outbox, error)
	// MarkPosted records a successful post: outbox sent, draft and thread posted, event.
	MarkPosted(ctx context.Context, workspace, draftID string, at time.Time, ref string) error
	// ReleaseOutbox returns a claimed row to pending after a failed post.
	ReleaseOutbox(ctx context.Context, workspace, draftID string, errMsg string) error

	Close() error
}
