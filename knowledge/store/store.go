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
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/rules"
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

// DraftStates lists every draft state.
var DraftStates = []DraftState{DraftPending, DraftApproved, DraftRejected, DraftPosted, DraftSuperseded}

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

// Transport is where a conversation happens and where its answer is posted.
type Transport string

// Transports.
const (
	TransportCLI     Transport = "cli"     // whybot ask
	TransportConsole Transport = "console" // whybot chat, and the demo's printed posts
	TransportSlack   Transport = "slack"
	TransportDiscord Transport = "discord"
	TransportWeb     Transport = "web" // the web console's chat
)

// Workspace is one company served by the bot.
type Workspace struct {
	ID           string          `json:"id"`
	Company      string          `json:"company"`
	Profile      json.RawMessage `json:"profile"`                 // the validated profile, as JSON
	DataFiles    []string        `json:"data_files"`              // where its KPI data is read from
	SlackTeam    string          `json:"slack_team,omitempty"`    // the profile's Slack team, indexed
	DiscordGuild string          `json:"discord_guild,omitempty"` // the profile's Discord server, indexed
	UpdatedAt    time.Time       `json:"updated_at"`
}

// Version is the version of a workspace's stored profile and data files: it changes when
// either does.
func (w Workspace) Version() string {
	h := sha256.New()
	h.Write(w.Profile)
	for _, f := range w.DataFiles {
		h.Write([]byte{0})
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// PlatformKeys are the Slack team and Discord server a workspace is found by: the fields
// when set, else the stored profile's slack.team and discord.guild.
func (w Workspace) PlatformKeys() (slackTeam, discordGuild string) {
	if w.SlackTeam != "" || w.DiscordGuild != "" {
		return w.SlackTeam, w.DiscordGuild
	}
	var p struct {
		Slack struct {
			Team string `json:"team"`
		} `json:"slack"`
		Discord struct {
			Guild string `json:"guild"`
		} `json:"discord"`
	}
	_ = json.Unmarshal(w.Profile, &p) // a profile that is not JSON has no keys
	return p.Slack.Team, p.Discord.Guild
}

// WorkspaceKey finds a stored workspace: by id, by Slack team or by Discord server (the
// first of them that is set).
type WorkspaceKey struct {
	ID, SlackTeam, DiscordGuild string
}

// Column is the indexed column of the workspaces table a key looks in, and the value.
func (k WorkspaceKey) Column() (column, value string) {
	switch {
	case k.ID != "":
		return "id", k.ID
	case k.SlackTeam != "":
		return "slack_team", k.SlackTeam
	}
	return "discord_guild", k.DiscordGuild
}

// WorkspaceStamp says which version of a stored workspace is current: Version changes
// with its profile and data files (Workspace.Version), Snapshot with each KPI snapshot.
type WorkspaceStamp struct {
	ID       string
	Version  string
	Snapshot int64
	People   int64 // changes to the people added from chat
}

// Thread is one conversation started by a question.
type Thread struct {
	Workspace string          `json:"workspace"`
	ID        string          `json:"id"`
	Asker     string          `json:"asker"`
	Language  string          `json:"language"`
	Transport Transport       `json:"transport"`
	Channel   string          `json:"channel"` // where answers are posted (transport-specific)
	State     ThreadState     `json:"state"`
	Intent    json.RawMessage `json:"intent"`
	// Question is the question the thread is answering now, and Asked the topics already
	// put to people for it: what a turn needs, without replaying the events. Empty in
	// threads written before they were kept.
	Question string        `json:"question,omitempty"`
	Asked    []rules.Topic `json:"asked,omitempty"`
	// Reasked are the topics whose question was put again after a reply that answered
	// nothing: once each.
	Reasked   []rules.Topic `json:"reasked,omitempty"`
	Version   int           `json:"version"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
}

// AskedJSON is the topics asked, as both backends store them.
func (t Thread) AskedJSON() string { return topicsJSON(t.Asked) }

// ReaskedJSON is the topics asked again, as both backends store them.
func (t Thread) ReaskedJSON() string { return topicsJSON(t.Reasked) }

func topicsJSON(ts []rules.Topic) string {
	if len(ts) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(ts)
	return string(b)
}

// ReadingJSON is a fact's reading as both backends store it: JSON, or NULL.
func ReadingJSON(f Fact) *string {
	if f.Reading == nil {
		return nil
	}
	b, _ := json.Marshal(f.Reading)
	s := string(b)
	return &s
}

// DecodeReading is a stored reading, or nil.
func DecodeReading(s *string) *rules.Reading {
	if s == nil || *s == "" {
		return nil
	}
	var r rules.Reading
	if json.Unmarshal([]byte(*s), &r) != nil {
		return nil
	}
	return &r
}

// Event is one line of a thread's audit trail.
type Event struct {
	Seq  int             `json:"seq"`
	Kind EventKind       `json:"kind"`
	At   time.Time       `json:"at"`
	By   record.Actor    `json:"by"`
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
	DecidedBy record.Actor    `json:"decided_by,omitempty"`
	DecidedAt *time.Time      `json:"decided_at,omitempty"`
	Edited    bool            `json:"edited,omitempty"`
	Reason    string          `json:"reason,omitempty"`
	PostedAt  *time.Time      `json:"posted_at,omitempty"`
}

// Fact is something a person told the bot in a thread (a share, a yes/no, a sentence): the
// rules' own fact type, stored as it is.
type Fact = rules.Fact

// Turn is everything one conversational turn writes, applied atomically.
type Turn struct {
	Thread          Thread  // new state; Version must be the version read (0 for a new thread)
	New             bool    // create the thread
	Events          []Event // appended in order (Seq is assigned)
	Facts           []Fact  // facts people gave in this turn
	ResetFacts      bool    // the turn asks a new question: the facts given before no longer apply (the audit trail keeps them)
	Draft           *Draft  // a new pending draft, if any
	SupersedeDrafts bool    // pending drafts of the thread become superseded
	// Reminders are people who said they would answer later: each is asked again when
	// due. A person who gives a fact in a turn has their reminder in the thread dropped.
	Reminders []AnswerReminder

	// Key is the platform's identity of the message this turn handles (empty: none). The
	// turn's Reply is kept under it, and a second turn with the same key fails with
	// ErrConflict: a retried delivery gets the first turn's reply, never a second turn.
	Key   string
	Reply json.RawMessage
}

// AnswerReminder is a reminder to a person who said they would answer later ("ti faccio
// sapere domani"): the questions put to them, as they were put, and when to ask again.
type AnswerReminder struct {
	Workspace string           `json:"workspace"`
	Thread    string           `json:"thread"`
	Person    string           `json:"person"`
	Questions []rules.Question `json:"questions"`
	DueAt     time.Time        `json:"due_at"`
}

// QuestionsJSON is the reminder's questions as both backends store them.
func (r AnswerReminder) QuestionsJSON() string {
	b, _ := json.Marshal(r.Questions)
	return string(b)
}

// DraftQuery selects a page of drafts, oldest first (by created_at, workspace, id).
type DraftQuery struct {
	Workspaces []string     // the workspaces to list; nil: every one
	States     []DraftState // none: every state
	After      *DraftCursor // the last draft of the previous page; nil: the first page
	Limit      int          // the page's size: default DraftPage, at most MaxDraftPage
}

// DraftCursor is where a page of drafts ends: the next page starts after it.
type DraftCursor struct {
	CreatedAt time.Time
	Workspace string
	ID        string
}

// Page sizes of the review list.
const (
	DraftPage    = 50
	MaxDraftPage = 500
)

// Size is the query's page size, within bounds.
func (q DraftQuery) Size() int {
	if q.Limit <= 0 {
		return DraftPage
	}
	return min(q.Limit, MaxDraftPage)
}

// ListedDraft is a draft in the review list, with what the list shows of its thread.
type ListedDraft struct {
	Draft
	Asker     string    `json:"asker"`
	Transport Transport `json:"transport"`
	Question  string    `json:"question,omitempty"` // the thread's question ("" in threads older than 00008)
}

// Cursor is where a page ending with this draft ends.
func (d Draft) Cursor() DraftCursor {
	return DraftCursor{CreatedAt: d.CreatedAt, Workspace: d.Workspace, ID: d.ID}
}

// Decision is a reviewer's action on a draft.
type Decision struct {
	Workspace  string
	DraftID    string
	By         record.Actor
	At         time.Time
	Approve    bool
	EditedText string // non-empty: approve this text instead of the draft's
	Reason     string // required to reject
}

// OutboxState is where an approved answer's post stands (the schema's CHECK constraint
// holds the same values).
type OutboxState string

// Outbox states.
const (
	OutboxPending OutboxState = "pending" // waiting for its next attempt
	OutboxSending OutboxState = "sending" // claimed by a worker, for the lease
	OutboxSent    OutboxState = "sent"
)

// InboxState is where a platform delivery stands (the schema's CHECK constraint holds the
// same values).
type InboxState string

// Inbox states.
const (
	InboxQueued  InboxState = "queued"  // waiting to be handled (or for its retry)
	InboxWorking InboxState = "working" // claimed by a worker, for the lease
	InboxDone    InboxState = "done"
	InboxFailed  InboxState = "failed" // gave up after InboxAttempts
)

// Outbox is an approved answer waiting to be posted.
type Outbox struct {
	Workspace      string       `json:"workspace"`
	DraftID        string       `json:"draft"`
	ThreadID       string       `json:"thread"`
	Transport      Transport    `json:"transport"`
	Channel        string       `json:"channel"`
	Text           string       `json:"text"`
	IdempotencyKey string       `json:"idempotency_key"`
	State          OutboxState  `json:"state"`
	Attempts       int          `json:"attempts"`
	LastError      string       `json:"last_error,omitempty"`
	ApprovedBy     record.Actor `json:"approved_by"`
	CreatedAt      time.Time    `json:"created_at"`
}

// DecisionEffects computes what a decision writes besides the draft row: the approved text,
// whether it was edited, the audit events and the thread's new state. Both backends use it so
// the audit trail is the same whatever the database.
func DecisionEffects(d Draft, dec Decision) (final string, edited bool, events []Event, state ThreadState) {
	if !dec.Approve {
		ev := Event{Kind: EventRejected, At: dec.At, By: dec.By, Data: record.JSON(&record.Rejected{Draft: d.ID, Reason: dec.Reason})}
		return "", false, []Event{ev}, ThreadRejected
	}
	final = d.Text
	edited = dec.EditedText != "" && dec.EditedText != d.Text
	if edited {
		final = dec.EditedText
		events = append(events, Event{Kind: EventEdited, At: dec.At, By: dec.By, Data: record.JSON(&record.Edited{Draft: d.ID, OriginalText: d.Text, Text: final})})
	}
	events = append(events, Event{Kind: EventApproved, At: dec.At, By: dec.By, Data: record.JSON(&record.Approved{Draft: d.ID, Edited: edited})})
	return final, edited, events, ThreadApproved
}

// PostedEvent is the audit event of a successful post.
func PostedEvent(draftID, text, ref string, at time.Time) Event {
	return Event{Kind: EventPosted, At: at, By: record.Bot, Data: record.JSON(&record.Posted{Draft: draftID, Text: text, Ref: ref})}
}

// IdempotencyKey is the key a draft's post carries, so no retry posts it twice.
func IdempotencyKey(workspace, draftID string) string { return workspace + "/" + draftID }

// Backoff is the wait before the n-th retry of a failed post (n counts attempts so far):
// 5 s doubling, at most an hour.
func Backoff(attempts int) time.Duration {
	d := 5 * time.Second
	for i := 1; i < attempts && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// Chunk is one retrievable piece of company knowledge.
type Chunk struct {
	ID        int64           `json:"id"`
	Workspace string          `json:"workspace"`
	Source    string          `json:"source"` // profile, glossary, doc:<path>, answer:<draft>
	Kind      string          `json:"kind"`   // profile | glossary | document | answer
	Title     string          `json:"title"`
	Text      string          `json:"text"`
	Language  string          `json:"language"` // it | en: the full-text configuration
	Position  int             `json:"position"` // order within the source
	Metadata  json.RawMessage `json:"metadata,omitempty"`
	Embedding []float32       `json:"-"`
	CreatedAt time.Time       `json:"created_at"`
}

// Chunk kinds.
const (
	KindProfile  = "profile"
	KindGlossary = "glossary"
	KindDocument = "document"
	KindAnswer   = "answer"
)

// Source summarises one knowledge source of a workspace.
type Source struct {
	Source    string    `json:"source"`
	Kind      string    `json:"kind"`
	Title     string    `json:"title"`
	Chunks    int       `json:"chunks"`
	Hash      string    `json:"hash"`
	UpdatedAt time.Time `json:"updated_at"`
}

// EmbeddingModel names the embedder a workspace's knowledge was indexed with.
type EmbeddingModel struct {
	Name string `json:"name"`
	Dim  int    `json:"dim"`
}

// SupportedDims are the embedding sizes both backends index (an HNSW partial index per size
// on PostgreSQL, a vec0 table per size on SQLite). Embedders with other sizes must be
// configured to one of these (OpenAI's text-embedding-3 models take a dimensions setting).
var SupportedDims = []int{256, 384, 512, 768, 1024, 1536}

// DimSupported reports whether a dimension is in SupportedDims.
func DimSupported(d int) bool { return slices.Contains(SupportedDims, d) }

// Hit is one search result, best first; Score is the backend's similarity (higher is better).
type Hit struct {
	Chunk
	Score float64 `json:"score"`
}

// ModelMismatchError says the knowledge of a workspace was indexed with another embedder.
type ModelMismatchError struct {
	Workspace       string
	Indexed, Wanted EmbeddingModel
}

func (e *ModelMismatchError) Error() string {
	return fmt.Sprintf("knowledge of workspace %s was indexed with embedder %s (%d dimensions) but %s (%d dimensions) is configured: run `whybot knowledge reindex --workspace %s`, or configure the embedder it was built with",
		e.Workspace, e.Indexed.Name, e.Indexed.Dim, e.Wanted.Name, e.Wanted.Dim, e.Workspace)
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
	// WorkspaceStamp finds a workspace by key through an index and says which version of
	// it is current (ErrNotFound when none is stored under the key): one cheap query, so a
	// workspace built before can be used as long as its stamp is unchanged.
	WorkspaceStamp(ctx context.Context, key WorkspaceKey) (WorkspaceStamp, error)
	Workspace(ctx context.Context, id string) (Workspace, error)
	Workspaces(ctx context.Context) ([]Workspace, error)

	Thread(ctx context.Context, workspace, id string) (Thread, error)
	SaveTurn(ctx context.Context, t Turn) (Thread, error)
	Events(ctx context.Context, workspace, threadID string) ([]Event, error)

	Draft(ctx context.Context, workspace, id string) (Draft, error)
	Drafts(ctx context.Context, workspace string, states ...DraftState) ([]Draft, error)
	// ListDrafts reads one page of drafts across workspaces, oldest first, each with its
	// thread's asker and transport, in one query.
	ListDrafts(ctx context.Context, q DraftQuery) ([]ListedDraft, error)
	// DraftCounts counts the drafts of every workspace by state (for metrics).
	DraftCounts(ctx context.Context) (map[DraftState]int, error)
	// Decide applies an approval or rejection atomically: draft state, approval record,
	// audit events, thread state and (on approval) the outbox row.
	Decide(ctx context.Context, d Decision) (Draft, error)

	// ClaimOutbox moves a pending outbox row to sending; ok is false when another worker
	// has it or it was sent. Rows left sending longer than lease are reclaimed.
	ClaimOutbox(ctx context.Context, workspace, draftID string, now time.Time, lease time.Duration) (Outbox, bool, error)
	// PendingOutbox lists rows waiting to be posted (or whose lease expired), oldest first.
	PendingOutbox(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Outbox, error)
	// MarkPosted records a successful post: outbox sent, draft and thread posted, event.
	MarkPosted(ctx context.Context, workspace, draftID string, at time.Time, ref string) error
	// ReleaseOutbox returns a claimed row to pending after a failed post; it is retried
	// after Backoff(attempts).
	ReleaseOutbox(ctx context.Context, workspace, draftID string, now time.Time, errMsg string) error

	// Facts lists what people told the bot in a thread since its latest question, in order:
	// the one source of the facts a turn builds on.
	Facts(ctx context.Context, workspace, threadID string) ([]Fact, error)
	// FirstSeen records a delivery key (a platform's event or interaction id); it reports
	// false when the key was recorded before, so a retried delivery is handled once.
	FirstSeen(ctx context.Context, workspace, key string, at time.Time) (bool, error)
	// TurnReply returns the reply of the turn saved under a message key; ErrNotFound when
	// none was.
	TurnReply(ctx context.Context, workspace, key string) (json.RawMessage, error)
	// ChatPosted returns the platform's reference of a bot message recorded under key
	// (MarkChatPosted); ok is false when none was.
	ChatPosted(ctx context.Context, workspace, key string) (ref string, ok bool, err error)
	// MarkChatPosted records that the platform accepted the bot message of key, once.
	MarkChatPosted(ctx context.Context, workspace, key, ref string, at time.Time) error
	// MarkReminded records that the reminder of a level went out for a draft; it reports
	// false when it already had (another replica or an earlier run sent it).
	MarkReminded(ctx context.Context, workspace, draftID string, level int, at time.Time) (bool, error)

	// DueAnswerReminders lists reminders to people who said they would answer later that
	// are due at now and not sent, oldest first.
	DueAnswerReminders(ctx context.Context, now time.Time, limit int) ([]AnswerReminder, error)
	// MarkAnswerReminded records that a reminder went out; it reports false when it had
	// already (another replica sent it) or it is gone (the person answered).
	MarkAnswerReminded(ctx context.Context, r AnswerReminder, at time.Time) (bool, error)

	// ReplaceKPI swaps a workspace's KPI snapshot for rows, atomically.
	ReplaceKPI(ctx context.Context, workspace string, rows []kpi.Row, at time.Time) error
	// KPI returns a workspace's KPI snapshot and when it was loaded (zero when never).
	KPI(ctx context.Context, workspace string) ([]kpi.Row, time.Time, error)

	InboxStore
	KnowledgeStore
	AccountStore
	SourceStore
	SlackInstallStore
	PeopleStore
	Close() error
}

// Account is a web console user: agency staff or a company's reviewer.
type Account struct {
	Name         string    `json:"name"`               // lower case
	PasswordHash string    `json:"-"`                  // argon2id, PHC string
	Workspaces   []string  `json:"workspaces"`         // the workspaces it may see and review; "*": all
	Language     string    `json:"language,omitempty"` // the console's language for it (it, en); "": the browser's
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// AllWorkspaces in Account.Workspaces grants every workspace.
const AllWorkspaces = "*"

// Sees reports whether the account may see and review a workspace.
func (a Account) Sees(workspace string) bool {
	for _, w := range a.Workspaces {
		if w == workspace || w == AllWorkspaces {
			return true
		}
	}
	return false
}

// Session is a signed-in browser. ID is the SHA-256 (hex) of the token in the cookie, so
// a copy of the database does not sign anyone in.
type Session struct {
	ID        string
	Account   string
	CSRF      string // the token every state-changing request must carry
	CreatedAt time.Time
	ExpiresAt time.Time
}

// AccountStore keeps web console accounts, their sessions and login attempts.
type AccountStore interface {
	// PutAccount creates an account or replaces its password and workspaces, atomically.
	PutAccount(ctx context.Context, a Account) error
	// SetAccountLanguage records the language an account reads the console in.
	SetAccountLanguage(ctx context.Context, name, lang string, at time.Time) error
	// Account returns an account with its workspaces; ErrNotFound when there is none.
	Account(ctx context.Context, name string) (Account, error)
	// Accounts lists every account by name.
	Accounts(ctx context.Context) ([]Account, error)
	// DeleteAccount removes an account and its sessions; ErrNotFound when there is none.
	DeleteAccount(ctx context.Context, name string) error

	// CreateSession records a session.
	CreateSession(ctx context.Context, s Session) error
	// Session returns a session that has not expired at now; ErrNotFound otherwise.
	Session(ctx context.Context, id string, now time.Time) (Session, error)
	// DeleteSession ends a session (signing out); ending a missing one is not an error.
	DeleteSession(ctx context.Context, id string) error

	// RecordLogin records a login attempt for an account name (existing or not).
	RecordLogin(ctx context.Context, account string, ok bool, at time.Time) error
	// LoginFailures counts the failed attempts for an account name since the later of
	// since and its last successful login.
	LoginFailures(ctx context.Context, account string, since time.Time) (int, error)
}

// Inbound is a delivery from a chat platform waiting to be handled.
type Inbound struct {
	ID         int64           `json:"id"`
	Source     string          `json:"source"` // slack | discord
	Key        string          `json:"key"`    // the platform's id of the delivery (event_id, interaction id)
	Payload    json.RawMessage `json:"payload"`
	State      InboxState      `json:"state"`
	Attempts   int             `json:"attempts"`
	LastError  string          `json:"last_error,omitempty"`
	ReceivedAt time.Time       `json:"received_at"`
}

// InboxAttempts is how often a delivery is tried before it is marked failed.
const InboxAttempts = 8

// InboxBackoff is the wait before a failed delivery is tried again (n counts attempts so
// far): 2 s doubling, at most 5 minutes; 8 attempts span about 4 minutes, enough for a
// platform's brief outage.
func InboxBackoff(attempts int) time.Duration {
	d := 2 * time.Second
	for i := 1; i < attempts && d < 5*time.Minute; i++ {
		d *= 2
	}
	return min(d, 5*time.Minute)
}

// InboxStore records platform deliveries durably before they are acknowledged, once each.
type InboxStore interface {
	// Receive queues a delivery unless its (source, key) was received before; it reports
	// whether this call queued it. A retried delivery is thus acknowledged, never handled twice.
	Receive(ctx context.Context, in Inbound) (bool, error)
	// ClaimInbound takes up to limit queued deliveries of one platform whose retry time has
	// come, oldest first, and those whose worker has held them longer than lease (it died).
	ClaimInbound(ctx context.Context, source string, now time.Time, lease time.Duration, limit int) ([]Inbound, error)
	// FinishInbound records the outcome: done, or (errMsg non-empty) queued again, to be
	// claimed from retryAt on, until InboxAttempts, then failed.
	FinishInbound(ctx context.Context, id int64, errMsg string, retryAt time.Time) error
	// PruneInbox deletes the handled and failed deliveries received before before, and
	// reports how many; queued and claimed ones stay whatever their age. A platform's retry
	// of a delivery still inside the window is thus still acknowledged without a second turn.
	PruneInbox(ctx context.Context, before time.Time) (int64, error)
}

// KnowledgeStore keeps a workspace's knowledge chunks with their embeddings and full text.
type KnowledgeStore interface {
	// ReplaceSource swaps every chunk of one source for chunks (none: remove it), atomically.
	// It fails with *ModelMismatchError when the workspace was indexed with another model;
	// the first source recorded sets the workspace's model.
	ReplaceSource(ctx context.Context, workspace string, src Source, model EmbeddingModel, chunks []Chunk) error
	// RemoveSource deletes a source; it reports how many chunks went.
	RemoveSource(ctx context.Context, workspace, source string) (int, error)
	// Sources lists a workspace's sources by name.
	Sources(ctx context.Context, workspace string) ([]Source, error)
	// Chunks lists a workspace's chunks (with text, without embeddings) by source and position.
	Chunks(ctx context.Context, workspace string) ([]Chunk, error)
	// KnowledgeModel returns the embedder the workspace was indexed with; ok is false when none.
	KnowledgeModel(ctx context.Context, workspace string) (m EmbeddingModel, ok bool, err error)
	// Reembed replaces every chunk's embedding and the workspace's model, atomically.
	Reembed(ctx context.Context, workspace string, model EmbeddingModel, embeddings map[int64][]float32) error
	// SearchVector returns the k chunks nearest to v (cosine), scoped to the workspace.
	SearchVector(ctx context.Context, workspace string, model EmbeddingModel, v []float32, k int) ([]Hit, error)
	// SearchText returns the k best full-text matches of query, scoped to the workspace.
	SearchText(ctx context.Context, workspace, query string, k int) ([]Hit, error)
	// ScanVectors reads, in one snapshot, every chunk of the workspace indexed with model,
	// ids ascending: fn gets each chunk's id and its embedding when it was stored or
	// re-embedded after revision since (nil when not: the caller holds it). It returns the
	// snapshot's knowledge revision (0: nothing indexed with that model). The revision grows
	// with every change to the workspace's chunks.
	ScanVectors(ctx context.Context, workspace string, model EmbeddingModel, since int64, fn func(id int64, v []float32) error) (int64, error)
	// ChunksByID returns those of ids that are chunks of the workspace (in no order) and the
	// workspace's knowledge revision, read together (revision 0 when none was found).
	ChunksByID(ctx context.Context, workspace string, ids []int64) ([]Chunk, int64, error)
}

// BulkLoader is a store that loads many knowledge chunks of one embedding dimension faster
// with its search index built once afterwards (PostgreSQL's HNSW); load runs the usual
// ReplaceSource and Reembed calls and stores about n chunks. The store decides whether
// rebuilding is worth it: not when the index already holds far more chunks than the load
// brings (other workspaces' knowledge), which would wait for a graph of them all.
type BulkLoader interface {
	BulkLoad(ctx context.Context, dim, n int, load func(ctx context.Context) error) error
}

// Schema is where a database's schema stands against what this binary knows.
type Schema struct {
	Backend string   `json:"backend"` // sqlite | postgres
	Current int64    `json:"current"`
	Latest  int64    `json:"latest"`
	Pending []string `json:"pending,omitempty"` // other pending migrations (River's job tables)
}

// Check returns nil when the schema is current, or an error saying which command fixes it.
func (s Schema) Check() error {
	switch {
	case s.Current > s.Latest:
		return fmt.Errorf("the %s database schema is at version %d, newer than this whybot knows (%d): run a newer whybot, or restore a matching backup", s.Backend, s.Current, s.Latest)
	case s.Current < s.Latest:
		return fmt.Errorf("the %s database schema is at version %d, this whybot needs %d: run `whybot migrate up`", s.Backend, s.Current, s.Latest)
	case len(s.Pending) > 0:
		return fmt.Errorf("the %s database needs migrations (%v): run `whybot migrate up`", s.Backend, s.Pending)
	}
	return nil
}

// PostArgs is the durable job that posts one approved draft (River's job args on
// PostgreSQL). The outbox row it names carries the text and the idempotency key.
type PostArgs struct {
	Workspace string `json:"workspace"`
	DraftID   string `json:"draft"`
}

// Kind names the job.
func (PostArgs) Kind() string { return "post_answer" }
