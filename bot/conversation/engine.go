// Package conversation is whybot's transport-neutral core. A turn is a question or an answer
// in a thread: the engine understands it, runs the rules against the workspace's data and
// what people said, asks the people who hold the missing facts, and drafts an answer that
// waits for a reviewer. Approval, editing and rejection go through Decide; only the outbox
// posts, through the Poster of the thread's transport, exactly once.
package conversation

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/whybot/whybot/knowledge/limits"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/rules"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/workspace"
	"github.com/whybot/whybot/prompts"
)

// Store is what the engine needs from storage.
type Store interface {
	UpsertWorkspace(ctx context.Context, w store.Workspace) error
	Workspace(ctx context.Context, id string) (store.Workspace, error)
	Thread(ctx context.Context, workspace, id string) (store.Thread, error)
	SaveTurn(ctx context.Context, t store.Turn) (store.Thread, error)
	TurnReply(ctx context.Context, workspace, key string) (json.RawMessage, error)
	Facts(ctx context.Context, workspace, threadID string) ([]store.Fact, error)
	Events(ctx context.Context, workspace, threadID string) ([]store.Event, error)
	Draft(ctx context.Context, workspace, id string) (store.Draft, error)
	Decide(ctx context.Context, d store.Decision) (store.Draft, error)
	ClaimOutbox(ctx context.Context, workspace, draftID string, now time.Time, lease time.Duration) (store.Outbox, bool, error)
	PendingOutbox(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]store.Outbox, error)
	MarkPosted(ctx context.Context, workspace, draftID string, at time.Time, ref string) error
	ReleaseOutbox(ctx context.Context, workspace, draftID string, now time.Time, errMsg string) error
}

// Post is an approved answer on its way to a channel.
type Post struct {
	Workspace      string
	ThreadID       string
	Channel        string
	Text           string
	ApprovedBy     record.Actor
	IdempotencyKey string
	// Retry says an earlier attempt may have reached the platform (the process died, or
	// the platform answered after the call's timeout): the poster looks for the key in the
	// thread and returns the message found instead of posting again.
	Retry bool
	Since time.Time // when the answer was approved: a message posted for it is newer
	// Picture goes with the answer (a trend's chart); nil when it has none
	Picture *Picture
}

// Picture goes with an answer where people read it: a chart, with its alt text.
type Picture struct {
	Name, Alt string
	PNG       []byte
}

// Pictures draws the picture of an approved draft; nil when its answer has none.
type Pictures interface {
	Picture(ctx context.Context, workspace, draftID string) (*Picture, error)
}

// WithPictures sends a picture with the answers that have one (charts of trends).
func WithPictures(p Pictures) Option { return func(e *Engine) { e.pictures = p } }

// Poster delivers approved answers for one transport.
type Poster interface {
	Post(ctx context.Context, p Post) (ref string, err error)
}

// UserError is an error whose Reason can be shown to the person who caused it. Reason is
// English (the command line, logs); Key names the template ("error.<key>") that says it in
// the person's language, with Args, for chat platforms (Text).
type UserError struct {
	Reason string
	Err    error
	Key    string
	Args   map[string]any
}

// Text is the reason in a language's set: its template when it has one, else Reason.
func (e *UserError) Text(set interface {
	Has(name string) bool
	Text(name string, data any) string
}) string {
	if e.Key != "" && set.Has("error."+e.Key) {
		return set.Text("error."+e.Key, e.Args)
	}
	return e.Reason
}

func (e *UserError) Error() string {
	if e.Err != nil {
		return e.Reason + ": " + e.Err.Error()
	}
	return e.Reason
}

func (e *UserError) Unwrap() error { return e.Err }

// ErrNoThread is returned for a message in a thread the bot is not in (Request.Thread
// without Start): channel chatter, not for the bot.
var ErrNoThread = errors.New("not in a conversation")

// ErrNotReviewer is wrapped when someone who is not a reviewer tries to decide on a draft.
var ErrNotReviewer = errors.New("not a reviewer")

// Engine runs conversations.
type Engine struct {
	store     Store
	posters   map[store.Transport]Poster
	now       func() time.Time
	log       *slog.Logger
	lease     time.Duration
	obs       Observer
	knowledge Knowledge
	queued    bool   // delivery is left to the job runner
	wake      func() // tells the job runner an answer was approved
	phraser   Phraser
	reader    Reader
	accounts  Accounts
	pictures  Pictures

	registered sync.Map // workspace id → the version this engine stored (register)
}

// Option configures an Engine.
type Option func(*Engine)

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) Option { return func(e *Engine) { e.now = now } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(e *Engine) { e.log = l } }

// Observer is told what the engine did (metrics).
type Observer interface {
	Question(transport string)
	Turn(transport string, firedRules []string)
	Fallback(use, reason string)
	Decided(state string, edited bool, waited time.Duration)
	Posted(transport string, sinceApproval time.Duration, retried bool)
	PostFailed(transport string)
}

// WithObserver reports questions, turns, decisions and posts to o (nil: nobody).
func WithObserver(o Observer) Option {
	return func(e *Engine) {
		if o != nil {
			e.obs = o
		}
	}
}

type noObserver struct{}

func (noObserver) Question(string)                     {}
func (noObserver) Turn(string, []string)               {}
func (noObserver) Fallback(string, string)             {}
func (noObserver) Decided(string, bool, time.Duration) {}
func (noObserver) Posted(string, time.Duration, bool)  {}
func (noObserver) PostFailed(string)                   {}

// WithLease sets how long a claimed answer is held for posting before another worker
// (another replica, after this one died) may post it; default 2 minutes.
func WithLease(d time.Duration) Option {
	return func(e *Engine) {
		if d > 0 {
			e.lease = d
		}
	}
}

// WithQueuedDelivery leaves posting to the durable job runner instead of posting inside
// Decide: wake (may be nil, as with River, which the store's transaction already notified)
// tells the runner to look now.
func WithQueuedDelivery(wake func()) Option {
	return func(e *Engine) { e.queued, e.wake = true, wake }
}

// WithPoster sets the poster of a transport.
func WithPoster(transport store.Transport, p Poster) Option {
	return func(e *Engine) { e.posters[transport] = p }
}

// New builds an engine on a store.
func New(s Store, opts ...Option) *Engine {
	e := &Engine{store: s, posters: map[store.Transport]Poster{}, now: time.Now, log: slog.Default(), lease: 2 * time.Minute, obs: noObserver{}}
	for _, o := range opts {
		o(e)
	}
	return e
}

// Request is one message in a conversation.
type Request struct {
	ThreadID string // empty: a new thread
	NewID    string // the id of a new thread (a transport's own, e.g. slack-C1-1700000000.0001); empty: generated
	// Thread is a transport's own thread id (slack-C1-1700000000.0001): the message goes on
	// in that thread when it exists; when it does not, it starts it if Start is set, and
	// is not for the bot otherwise (ErrNoThread). The engine reads the thread once.
	Thread    string
	Start     bool
	As        string // who speaks (a handle of the profile); empty: the asker or the owner
	Text      string
	Lang      string          // it | en; empty: from the text, the person, the profile
	Transport store.Transport // where the conversation happens; empty: cli
	Channel   string          // where the answer goes, for the transport
	// Key is the platform's identity of the message (slack-message:C1:1700000000.0001);
	// empty: none. A message handled before gets the reply it got then (Replayed), never
	// a second turn, so a transport may handle a delivery again after a failure.
	Key string
	// Account is the web console account that sent the message (empty elsewhere); it is
	// recorded with the message in the audit trail.
	Account string
	// Delivery is the transport's delivery that carries the message (its inbox key), kept
	// with the turn's reply: of two deliveries of one message, the one that took the turn
	// is the one that answers.
	Delivery string
	// Pick is a quick answer (a button under a number question, or the figure typed in
	// its form) instead of Text: a fact with exact provenance, taken only from the person
	// the question was put to.
	Pick *Pick
}

// Pick is a quick answer to a number question.
type Pick struct {
	Topic   rules.Topic `json:"topic" yaml:"topic"`
	Choice  string      `json:"choice" yaml:"choice"`                       // one of PickChoices
	Percent *float64    `json:"percent,omitempty" yaml:"percent,omitempty"` // for PickPercent: 0 to 100
}

// The quick answers a number question offers, and PickPercent for a figure typed in.
var PickChoices = []string{"almost_all", "half", "few", "none"}

// PickPercent is a share typed in a quick answer's form.
const PickPercent = "percent"

// DraftRef is a draft in a reply.
type DraftRef struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// Reply is the outcome of a turn; its JSON form is the `ask --json` contract.
type Reply struct {
	Play      *rules.Play       `json:"play,omitempty"`  // the next step the draft proposes
	Asker     string            `json:"asker,omitempty"` // the handle of who asked the thread's question
	Thread    string            `json:"thread"`
	Workspace string            `json:"workspace"`
	Language  string            `json:"language"`
	State     store.ThreadState `json:"state"`
	Intent    rules.Intent      `json:"intent"`
	Period    string            `json:"period"`
	Observed  []rules.Observed  `json:"observed"`
	Findings  []rules.Finding   `json:"findings"`
	Questions []rules.Question  `json:"questions"`
	Facts     []rules.Fact      `json:"facts"`
	// What the thread says back to the person who answered: what was read from the reply
	// («Segnato: circa il 35% …», so a misreading can be corrected), the number questions
	// put again because the reply gave no share, and the note that a reminder will follow.
	Readback  []string         `json:"readback,omitempty"`
	AskedBack []rules.Question `json:"asked_back,omitempty"`
	Later     string           `json:"later,omitempty"`
	Draft     *DraftRef        `json:"draft"`
	Caveats   []string         `json:"caveats,omitempty"`
	Knowledge []Citation       `json:"knowledge,omitempty"` // company knowledge the draft quotes
	Read      *Read            `json:"read,omitempty"`      // who read this message, when a language model may have
	Source    *Phrased         `json:"source,omitempty"`    // who wrote the draft
	Replayed  bool             `json:"-"`                   // the message was handled before: this is that turn's reply
	Delivery  string           `json:"delivery,omitempty"`  // the delivery that took the turn (Request.Delivery)
}

func newID(prefix string) string {
	var b [10]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return prefix + "_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("marshal %T: %v", v, err)) // only our own types are marshalled
	}
	return b
}

// textTopics are answered by any reply from the person asked.
var textTopics = map[rules.Topic]bool{
	rules.TopicMetricPurpose: true, rules.TopicDataQuality: true, rules.TopicRetention: true,
	rules.TopicValues: true, rules.TopicMissingData: true,
}

// Ask handles one message: a new question, a follow-up question, or an answer.
func (e *Engine) Ask(ctx context.Context, ws *workspace.Workspace, req Request) (Reply, error) {
	for attempt := 1; ; attempt++ {
		r, err := e.ask(ctx, ws, req)
		if !errors.Is(err, store.ErrConflict) {
			return r, err
		}
		if attempt == conflictAttempts {
			return Reply{}, &UserError{Reason: "the thread changed while this message was handled: send it again", Err: err, Key: "thread_changed"}
		}
		// another message of the thread was handled at the same moment (on another
		// replica): read the thread again and handle this one after it
		e.log.InfoContext(ctx, "thread changed meanwhile; handling the message again", "workspace", ws.Profile.Workspace, "thread", firstOf(req.Thread, req.ThreadID, req.NewID), "attempt", attempt)
		if req.ThreadID == "" && req.NewID != "" {
			req.ThreadID, req.NewID = req.NewID, ""
		}
		t := time.NewTimer(time.Duration(attempt*(10+mrand.IntN(40))) * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return Reply{}, ctx.Err()
		case <-t.C:
		}
	}
}

// conflictAttempts is how often Ask handles a message whose thread keeps changing under it.
const conflictAttempts = 5

// checkMessage is a message's text, or why it cannot be taken.
func checkMessage(req Request) (string, error) {
	if req.Pick != nil {
		return checkPick(*req.Pick)
	}
	text := strings.TrimSpace(req.Text)
	if text == "" {
		return "", &UserError{Reason: "the message is empty: type a question such as \"why did leads rise 30%?\"", Key: "empty"}
	}
	if n := utf8.RuneCountInString(text); n > limits.MessageRunes {
		return "", &UserError{Reason: fmt.Sprintf("the message is too long (%d characters, at most %d): ask one question at a time, or send the data as a file", n, limits.MessageRunes),
			Key: "too_long", Args: map[string]any{"N": n, "Max": limits.MessageRunes}}
	}
	if req.Lang != "" && req.Lang != "it" && req.Lang != "en" {
		return "", &UserError{Reason: fmt.Sprintf("language %q is not supported: use it or en", limits.Cut(req.Lang))}
	}
	return text, nil
}

// openThread reads the thread a message goes on in, and its events; isNew when the message
// starts one. A transport's thread (req.Thread) is read once.
func (e *Engine) openThread(ctx context.Context, p *profile.Profile, req Request) (th store.Thread, isNew bool, err error) {
	threadRead := false
	if req.Thread != "" {
		t, err := e.store.Thread(ctx, p.Workspace, req.Thread)
		switch {
		case err == nil:
			th, threadRead = t, true
			req.ThreadID, req.NewID = req.Thread, ""
		case errors.Is(err, store.ErrNotFound) && req.Start:
			req.ThreadID, req.NewID = "", req.Thread
		case errors.Is(err, store.ErrNotFound):
			return th, false, ErrNoThread
		default:
			return th, false, err
		}
	}
	if req.ThreadID == "" {
		return store.Thread{ID: req.NewID}, true, nil
	}
	if !threadRead {
		th, err = e.store.Thread(ctx, p.Workspace, req.ThreadID)
		if errors.Is(err, store.ErrNotFound) {
			return th, false, &UserError{Reason: fmt.Sprintf("thread %s does not exist in workspace %s: start a new one without --thread", req.ThreadID, p.Workspace), Err: err}
		}
		if err != nil {
			return th, false, err
		}
	}
	if th.Question == "" { // a thread written before the thread row kept its question
		past, err := e.store.Events(ctx, p.Workspace, th.ID)
		if err != nil {
			return th, false, err
		}
		th.Question = QuestionOf(past)
		for topic := range askedTopics(past) {
			th.Asked = append(th.Asked, topic)
		}
		slices.Sort(th.Asked)
	}
	return th, false, nil
}

// speakerOf is who speaks: the person named, else the thread's asker (or the profile's
// default asker for a new thread).
func speakerOf(p *profile.Profile, req Request, th store.Thread, isNew bool) (profile.Person, error) {
	handle := strings.ToLower(req.As)
	if handle == "" {
		if isNew {
			handle = p.DefaultAsker().Handle
		} else {
			handle = th.Asker
		}
	}
	speaker, ok := p.Person(handle)
	if !ok {
		return speaker, &UserError{Reason: fmt.Sprintf("%q is not a person of %s: use one of %s (people in %s)", limits.Cut(handle), p.Company, handles(p), p.File),
			Key: "not_a_person", Args: map[string]any{"Handle": limits.Cut(handle), "Company": p.Company, "Handles": handles(p)}}
	}
	return speaker, nil
}

// localize words the findings and questions in the thread's language.
func localize(view prompts.View, p *profile.Profile, res *rules.Result) error {
	var err error
	for i := range res.Findings {
		if res.Findings[i].Message, err = view.FindingMessage(res.Findings[i]); err != nil {
			return err
		}
	}
	for i, q := range res.Questions {
		v, err := viewFor(view, p, q.To)
		if err != nil {
			return err
		}
		if res.Questions[i].Text, err = v.QuestionText(q); err != nil {
			return err
		}
	}
	return nil
}

// viewFor is the view to speak to a person in: their own language, else the thread's (an
// English question from the owner does not make the bot ask Italian colleagues in English).
func viewFor(thread prompts.View, p *profile.Profile, handle string) (prompts.View, error) {
	x, ok := p.Person(handle)
	if !ok || x.Language == "" || x.Language == thread.Set.Lang {
		return thread, nil
	}
	return prompts.NewView(x.Language, p)
}

// resultEvents are the audit events of what the rules saw and did: the data, each rule
// that fired, and each question newly put to someone.
func resultEvents(now time.Time, files []string, res rules.Result, askedBefore map[rules.Topic]bool) []store.Event {
	evs := []store.Event{{Kind: store.EventData, At: now, By: record.Bot, Data: record.JSON(&record.Data{Period: res.Period, Files: files, Observed: res.Observed})}}
	for _, f := range res.Findings {
		evs = append(evs, store.Event{Kind: store.EventRule, At: now, By: record.Bot, Data: record.JSON(&record.Rule{Finding: f})})
	}
	for _, q := range res.Questions {
		if !askedBefore[q.Topic] {
			evs = append(evs, store.Event{Kind: store.EventQuestionAsked, At: now, By: record.Bot, Data: record.JSON(&record.Asked{Question: q})})
		}
	}
	return evs
}

// writeDraft writes the draft of a turn: the rules' text with the knowledge it quotes, and
// the model's rewording when one is configured and grounded; the open questions are its
// caveats.
func (e *Engine) writeDraft(ctx context.Context, view prompts.View, p *profile.Profile, asker profile.Person, intent rules.Intent, res rules.Result,
	facts []rules.Fact, th store.Thread, question string, now time.Time) (*store.Draft, []string, []Citation, Phrased, error) {
	caveats := make([]string, 0, len(res.Questions))
	for _, q := range res.Questions {
		caveats = append(caveats, q.Text)
	}
	text, err := compose(view, p, asker, intent, res, facts, res.Questions)
	if err != nil {
		return nil, nil, nil, Phrased{}, err
	}
	var cites []Citation
	if quotesKnowledge(intent, asker) {
		cites = e.cite(ctx, p.Workspace, question)
	}
	if len(cites) > 0 {
		ct, err := citeText(view.Set, cites)
		if err != nil {
			return nil, nil, nil, Phrased{}, err
		}
		if len(strings.Fields(text))+len(strings.Fields(ct)) <= WordLimit(asker.Detail) {
			text += "\n\n" + ct
		} else {
			cites = nil // no room within the draft's word limit: the answer comes first
		}
	}
	source := Phrased{Source: "rules", Grounded: true}
	if e.phraser != nil && p.LLM != "off" {
		source = e.phraser.Phrase(ctx, PhraseInput{Workspace: p.Workspace, Language: th.Language, Tone: asker.Tone, Detail: asker.Detail,
			Question: question, Draft: text, Period: res.Period, Observed: res.Observed,
			Findings: res.Findings, Facts: facts, Caveats: caveats, Knowledge: cites, Names: peopleNames(p)})
		if source.Text == "" {
			source.Text = text
		}
		text = source.Text
	}
	d := &store.Draft{ID: newID("d"), ThreadID: th.ID, State: store.DraftPending, Text: text, Language: th.Language, CreatedAt: now,
		Evidence: record.JSON(&record.Evidence{Findings: res.Findings, Observed: res.Observed, Facts: facts, Caveats: caveats, Knowledge: cites, Source: &source})}
	return d, caveats, cites, source, nil
}

// quotesKnowledge reports whether a draft quotes the company's documents: a detailed
// answer to a why, goal or status question (a figure and its source, a report's numbers
// and a summary have no room for one).
func quotesKnowledge(in rules.Intent, asker profile.Person) bool {
	return asker.Detail != "summary" && in.Kind != rules.KindValue && in.Kind != rules.KindReport
}

// replay returns the reply a message got when it was handled before (ok), so a delivery
// handled again, after a failure or on two replicas at once, makes no second turn.
func (e *Engine) replay(ctx context.Context, workspace, key string) (Reply, bool, error) {
	if key == "" {
		return Reply{}, false, nil
	}
	raw, err := e.store.TurnReply(ctx, workspace, key)
	if errors.Is(err, store.ErrNotFound) {
		return Reply{}, false, nil
	}
	if err != nil {
		return Reply{}, false, err
	}
	var r Reply
	if err := json.Unmarshal(raw, &r); err != nil {
		return Reply{}, false, fmt.Errorf("decode the reply to %s: %w", key, err)
	}
	r.Replayed = true
	return r, true, nil
}

// observeTurn reports a saved turn to the observer.
func (e *Engine) observeTurn(transport string, isNew bool, findings []rules.Finding, read *Read, source *Phrased) {
	if isNew {
		e.obs.Question(transport)
	}
	fired := make([]string, len(findings))
	for i, f := range findings {
		fired[i] = string(f.Rule)
	}
	e.obs.Turn(transport, fired)
	if read != nil && read.Fallback != "" {
		e.obs.Fallback("read", read.Fallback)
	}
	if source != nil && source.Fallback != "" {
		e.obs.Fallback("phrase", source.Fallback)
	}
}

func isOnlyAnyway(text string) bool {
	return len(strings.Fields(text)) <= 4
}

func handles(p *profile.Profile) string {
	hs := make([]string, len(p.People))
	for i, x := range p.People {
		hs[i] = x.Handle
	}
	return strings.Join(hs, ", ")
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func askedTopics(events []store.Event) map[rules.Topic]bool {
	out := map[rules.Topic]bool{}
	for _, ev := range events {
		switch ev.Kind {
		case store.EventQuestion:
			out = map[rules.Topic]bool{}
		case store.EventQuestionAsked:
			if q, err := record.Decode[record.Asked](ev.Data); err == nil {
				out[q.Topic] = true
			}
		}
	}
	return out
}

// QuestionOf is the latest question of a thread's events.
func QuestionOf(past []store.Event) string {
	q := ""
	for _, ev := range past {
		if ev.Kind == store.EventQuestion {
			if d, err := record.Decode[record.Question](ev.Data); err == nil {
				q = d.Text
			}
		}
	}
	return q
}
