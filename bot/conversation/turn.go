package conversation

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/whybot/whybot/bot/understand"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/rules"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/workspace"
	"github.com/whybot/whybot/prompts"
)

// turn is one turn being taken: the thread it is in, who speaks, and what it adds.
type turn struct {
	ws        *workspace.Workspace
	req       Request
	now       time.Time
	text      string
	th        store.Thread
	isNew     bool
	answering bool // a reply in a thread that waits for answers or for review
	anyway    bool // the speaker asked for an answer now
	speaker   profile.Person
	intent    rules.Intent
	events    []store.Event // what this turn adds to the audit trail
	given     []rules.Fact  // the facts people gave since the thread's question
	newFacts  []rules.Fact  // the facts this turn gives
	read      *Read
	reading   understand.Reading // what was read from a reply
	askBack   []rules.Question   // number questions the reply left open, put again
	later     []rules.Topic      // number questions the speaker will answer later: a reminder
	res       rules.Result
}

func (e *Engine) ask(ctx context.Context, ws *workspace.Workspace, req Request) (Reply, error) {
	if r, ok, err := e.replay(ctx, ws.Profile.Workspace, req.Key); ok || err != nil {
		return r, err
	}
	t, err := e.begin(ctx, ws, req)
	if err != nil {
		return Reply{}, err
	}
	if t.answering {
		err = e.takeAnswer(ctx, t)
	} else {
		e.takeQuestion(ctx, t)
	}
	if err != nil {
		return Reply{}, err
	}
	t.evaluate()
	return e.finish(ctx, t)
}

// begin checks the message, registers the workspace, and finds the thread and the speaker.
func (e *Engine) begin(ctx context.Context, ws *workspace.Workspace, req Request) (*turn, error) {
	p := ws.Profile
	t := &turn{ws: ws, req: req, now: e.now().UTC()}
	var err error
	if t.text, err = checkMessage(req); err != nil {
		return nil, err
	}
	if err := e.register(ctx, ws, t.now); err != nil {
		return nil, err
	}
	if t.th, t.isNew, err = e.openThread(ctx, p, req); err != nil {
		return nil, err
	}
	if t.speaker, err = speakerOf(p, req, t.th, t.isNew); err != nil {
		return nil, err
	}
	t.answering = !t.isNew && (t.th.State == store.ThreadAwaitingAnswers || t.th.State == store.ThreadPendingApproval) && !t.directThread()
	if req.Pick != nil && !t.answering {
		return nil, &UserError{Reason: "this question is no longer open", Key: "pick_closed"}
	}
	return t, nil
}

// takeQuestion reads a question that starts the thread, or starts it over.
func (e *Engine) takeQuestion(ctx context.Context, t *turn) {
	ws, p, req := t.ws, t.ws.Profile, t.req
	intent, detected := understand.Question(t.text, ws.Resolver, ws.Phrases)
	lang := firstOf(req.Lang, detected, t.speaker.Language, p.Language)
	if !t.isNew && req.Lang == "" && t.th.Language != "" {
		lang = t.th.Language // a follow-up in a thread ("e rispetto all'anno scorso?") keeps its language
	}
	t.intent, t.read = e.readQuestion(ctx, ws, t.text, lang, intent)
	t.readSpan(intent)
	if t.isNew {
		t.th = store.Thread{Workspace: p.Workspace, ID: firstOf(t.th.ID, newID("t")), Transport: store.Transport(firstOf(string(req.Transport), string(store.TransportCLI))),
			Channel: req.Channel, CreatedAt: t.now}
	}
	t.th.Asker, t.th.Language = t.speaker.Handle, lang
	t.events = append(t.events, store.Event{Kind: store.EventQuestion, At: t.now, By: record.Person(t.speaker.Handle),
		Data: record.JSON(&record.Question{Text: t.text, Intent: t.intent, Language: lang, Read: t.read, Account: req.Account})})
	// a new question: what was asked and the facts given for an earlier one do not carry
	// over (ResetFacts)
	t.th.Question, t.th.Asked = t.text, nil
}

// directThread reports whether the thread's question was a direct one ("quanto abbiamo
// speso a ottobre?"): it asks nobody anything, so whatever comes next is a new question
// ("e rispetto all'anno scorso?"), never an answer.
func (t *turn) directThread() bool {
	var in rules.Intent
	return len(t.th.Intent) > 0 && json.Unmarshal(t.th.Intent, &in) == nil && in.Kind == rules.KindValue
}

// readSpan reads the time a question names. A direct question gets it as its span. A
// short follow-up in a direct question's thread that names a time or a comparison and no
// metric ("rispetto all'anno scorso?", "e a settembre?") asks the same about that time.
func (t *turn) readSpan(parsed rules.Intent) {
	ds := t.ws.Data
	span := understand.ParseSpan(t.text, t.now, ds.Periods[ds.Len()-1].Start)
	var before rules.Intent
	if !t.isNew && len(t.th.Intent) > 0 && json.Unmarshal(t.th.Intent, &before) == nil && before.Kind == rules.KindValue &&
		span != nil && parsed.Metric == "" && t.intent.Metric == "" {
		t.intent = rules.Intent{Kind: rules.KindValue, Metric: before.Metric, Span: before.Span}
		if span.Kind != "" {
			t.intent.Span = span
		} else if t.intent.Span != nil {
			s := *t.intent.Span
			s.Compare = span.Compare
			t.intent.Span = &s
		}
		return
	}
	if t.intent.Kind == rules.KindValue && span != nil && span.Kind != "" {
		t.intent.Span = span
	} else if t.intent.Kind == rules.KindValue && span != nil {
		m := ds.Periods[ds.Len()-1].Start.Format("2006-01")
		t.intent.Span = &rules.Span{Kind: "month", From: m, To: m, Compare: span.Compare}
	}
}

// takeAnswer reads a reply in the thread against the questions put to the speaker: the
// shares in it for their open number questions, or a new figure for one they answered
// (a correction). Only the person a question was put to answers it: a number from anyone
// else in the thread is context, not a fact.
func (e *Engine) takeAnswer(ctx context.Context, t *turn) error {
	ws, p := t.ws, t.ws.Profile
	var err error
	if t.given, err = e.store.Facts(ctx, p.Workspace, t.th.ID); err != nil {
		return err
	}
	if err := json.Unmarshal(t.th.Intent, &t.intent); err != nil {
		return fmt.Errorf("decode intent of %s: %w", t.th.ID, err)
	}
	if t.req.Lang != "" {
		t.th.Language = t.req.Lang
	}
	t.anyway = understand.AnswerAnyway(t.text)
	var shareAsked []rules.Question
	rc := understand.Context{Base: t.leads()}
	asker, _ := p.Person(t.th.Asker)
	for _, q := range ws.Rules.Evaluate(rules.Input{Data: ws.Data, Intent: t.intent, Asker: asker, Facts: t.given}).Questions {
		if q.To == t.speaker.Handle && !textTopics[q.Topic] {
			shareAsked = append(shareAsked, q)
			rc.Open = append(rc.Open, q.Topic)
			if p, ok := q.Params["proposed"].(float64); ok { // the CRM's figure, put to them to confirm
				if rc.Proposed == nil {
					rc.Proposed = map[rules.Topic]float64{}
				}
				rc.Proposed[q.Topic] = p
			}
		}
	}
	for _, f := range t.given {
		if f.By == t.speaker.Handle && f.Reading != nil && !slices.Contains(rc.Answered, f.Topic) && !slices.Contains(rc.Open, f.Topic) {
			rc.Answered = append(rc.Answered, f.Topic)
		}
	}
	if t.req.Pick != nil {
		if t.reading, err = t.pickReading(rc.Open, rc.Answered); err != nil {
			return err
		}
	} else {
		t.reading, t.read = e.readAnswer(ctx, p, AnswerInput{Workspace: p.Workspace, Language: t.th.Language, Text: t.text,
			Asked: shareAsked, Leads: rc.Base, Parsed: understand.Read(t.text, rc)})
	}
	for _, a := range t.reading.Answers {
		t.newFacts = append(t.newFacts, factOf(a, t.text, t.speaker.Handle, t.now))
	}
	return nil
}

// leads is the period's lead count, what shares in answers are of (0 without one).
func (t *turn) leads() float64 {
	v, _ := t.ws.Data.Value(t.ws.Data.Len()-1, "leads")
	return v
}

// metricOfTopic is the metric a share answers, by topic.
var metricOfTopic = map[rules.Topic]string{rules.TopicLeadQuality: "qualified_rate", rules.TopicSalesFollowup: "followup_rate"}

// factOf is the fact an answer gives: a figure when it states one (exact or approximate),
// a range with no figure when its words are vague; with how it was read.
func factOf(a understand.Answer, text, by string, at time.Time) rules.Fact {
	f := rules.Fact{Topic: a.Topic, Metric: metricOfTopic[a.Topic], Text: text, By: by, At: at,
		Reading: &rules.Reading{Low: a.Low, High: a.High, Approx: a.Approx, Bounds: a.Bounds, Count: a.Count, Of: a.Of, Words: a.Words, By: firstOf(a.By, rules.ReadByRules)}}
	if v, ok := a.Point(); ok {
		f.Value = &v
	}
	return f
}

// facts are the facts the rules evaluate with: those given before and this turn's.
func (t *turn) facts() []rules.Fact {
	return append(t.given[:len(t.given):len(t.given)], t.newFacts...)
}

func (t *turn) input() rules.Input {
	asker, _ := t.ws.Profile.Person(t.th.Asker)
	return rules.Input{Data: t.ws.Data, Intent: t.intent, Asker: asker, Facts: t.facts()}
}

// evaluate runs the rules with the facts. A reply from the person asked answers their open
// free-text questions, unless all it says is "later", "I don't know" or "answer anyway". A
// number question it gives no share for stays open: put again once, with an example of an
// answer that works, or, when the person said they would answer later, a reminder.
func (t *turn) evaluate() {
	t.res = t.ws.Rules.Evaluate(t.input())
	if !t.answering {
		return
	}
	r := t.reading
	// a quick answer answers its own question only
	silent := t.req.Pick != nil || len(r.Answers) == 0 && (r.Later || r.Unsure || r.Ambiguous || r.Unreadable || (t.anyway && isOnlyAnyway(t.text)))
	if !silent {
		added := false
		for _, q := range t.res.Questions {
			if q.To == t.speaker.Handle && textTopics[q.Topic] {
				t.newFacts = append(t.newFacts, rules.Fact{Topic: q.Topic, Text: t.text, By: t.speaker.Handle, At: t.now})
				added = true
			}
		}
		if added {
			t.res = t.ws.Rules.Evaluate(t.input())
		}
	}
	if len(r.Answers) == 0 && !t.anyway {
		for _, q := range t.res.Questions {
			if q.To != t.speaker.Handle || textTopics[q.Topic] {
				continue
			}
			switch {
			case r.Later:
				t.later = append(t.later, q.Topic)
			case !slices.Contains(t.th.Reasked, q.Topic):
				t.askBack = append(t.askBack, q)
				t.th.Reasked = append(t.th.Reasked, q.Topic)
			}
		}
	}
	t.events = append(t.events, store.Event{Kind: store.EventAnswer, At: t.now, By: record.Person(t.speaker.Handle),
		Data: record.JSON(&record.Answer{Text: t.text, Facts: t.newFacts, Anyway: t.anyway, Read: t.read, Account: t.req.Account})})
}

// finish says the result in the thread's language, writes the draft when nothing is left
// to ask (or the speaker asked for an answer anyway), and saves the turn whole.
func (e *Engine) finish(ctx context.Context, t *turn) (Reply, error) {
	p, th := t.ws.Profile, &t.th
	view, err := prompts.NewView(th.Language, p)
	if err != nil {
		return Reply{}, err
	}
	if err := localize(view, p, &t.res); err != nil {
		return Reply{}, err
	}
	res, facts := t.res, t.facts()
	asked := map[rules.Topic]bool{}
	for _, topic := range th.Asked {
		asked[topic] = true
	}
	t.events = append(t.events, resultEvents(t.now, t.ws.DataFiles, res, asked)...)
	for _, q := range res.Questions {
		if !asked[q.Topic] {
			asked[q.Topic] = true
			th.Asked = append(th.Asked, q.Topic)
		}
	}
	th.Intent = mustJSON(t.intent)
	th.UpdatedAt = t.now
	reply := Reply{Thread: th.ID, Asker: th.Asker, Play: res.Play, Workspace: p.Workspace, Language: th.Language, Intent: t.intent, Period: res.Period,
		Observed: res.Observed, Findings: res.Findings, Questions: res.Questions, Facts: facts, Read: t.read, Delivery: t.req.Delivery}
	if err := t.sayBack(view, &reply); err != nil {
		return Reply{}, err
	}
	saved := store.Turn{Thread: *th, New: t.isNew, SupersedeDrafts: !t.isNew, ResetFacts: !t.isNew && !t.answering}
	// once a draft waits for review (all answered, or "answer anyway"), a later answer
	// makes a new draft that supersedes it, never a thread waiting again: the asker asked for
	// an answer, and answers can arrive in any order (on two replicas, before or after it)
	// (a reply that gives nothing new leaves the waiting draft as it is)
	drafting := t.anyway || (t.answering && th.State == store.ThreadPendingApproval)
	switch {
	case drafting && !t.anyway && len(t.newFacts) == 0:
		saved.SupersedeDrafts = false
	case len(res.Questions) > 0 && !drafting:
		th.State = store.ThreadAwaitingAnswers
	default:
		if err := e.draft(ctx, t, view, &reply, &saved); err != nil {
			return Reply{}, err
		}
	}
	saved.Thread, saved.Events, saved.Facts = *th, t.events, t.newFacts
	saved.Reminders = t.reminders(res.Questions)
	reply.State = th.State
	if t.req.Key != "" {
		saved.Key, saved.Reply = t.req.Key, mustJSON(reply)
	}
	if _, err := e.store.SaveTurn(ctx, saved); err != nil {
		return Reply{}, err
	}
	e.log.InfoContext(ctx, "turn", "workspace", p.Workspace, "thread", th.ID, "state", th.State, "findings", len(res.Findings), "questions", len(res.Questions))
	e.observeTurn(string(th.Transport), t.isNew, res.Findings, t.read, reply.Source)
	return reply, nil
}

// draft writes the turn's draft into the reply and the turn to save.
func (e *Engine) draft(ctx context.Context, t *turn, view prompts.View, reply *Reply, saved *store.Turn) error {
	p := t.ws.Profile
	asker, _ := p.Person(t.th.Asker)
	d, caveats, cites, source, err := e.writeDraft(ctx, view, p, asker, t.intent, t.res, t.facts(), t.th, t.th.Question, t.now)
	if err != nil {
		return err
	}
	reply.Knowledge, reply.Source = cites, &source
	saved.Draft = d
	t.th.State = store.ThreadPendingApproval
	t.events = append(t.events, store.Event{Kind: store.EventDraft, At: t.now, By: record.Bot, Data: record.JSON(&record.Draft{Draft: d.ID, Text: d.Text, Caveats: caveats})})
	reply.Draft = &DraftRef{ID: d.ID, Text: d.Text}
	reply.Caveats = caveats
	return nil
}

// register stores a workspace loaded from files (the command line's ask and chat), once
// per version in this engine; one built from the store (workspace.Registry) is stored
// already.
func (e *Engine) register(ctx context.Context, ws *workspace.Workspace, now time.Time) error {
	if ws.Stored.ID != "" {
		return nil
	}
	rec, err := ws.Record()
	if err != nil {
		return err
	}
	if v, ok := e.registered.Load(rec.ID); ok && v == rec.Version() {
		return nil
	}
	rec.UpdatedAt = now
	if err := e.store.UpsertWorkspace(ctx, rec); err != nil {
		return fmt.Errorf("register workspace %s: %w", rec.ID, err)
	}
	e.registered.Store(rec.ID, rec.Version())
	return nil
}

// sayBack writes what the thread says to the person who answered: what was read from
// their reply, the number questions put to them again, the note that a reminder follows.
func (t *turn) sayBack(thread prompts.View, reply *Reply) error {
	formal := t.speaker.Tone == "formal" // Lei, not tu
	// in the language of the reply, else the speaker's own, else the thread's
	view, err := viewFor(thread, t.ws.Profile, t.speaker.Handle)
	if lang := understand.DetectLanguage(understand.Words(t.text)); lang != "" && err == nil {
		view, err = prompts.NewView(lang, t.ws.Profile)
	}
	if err != nil {
		return err
	}
	for _, f := range t.newFacts {
		if f.Reading == nil {
			continue
		}
		line, err := view.ReadbackText(f, t.leads(), formal)
		if err != nil {
			return err
		}
		reply.Readback = append(reply.Readback, line)
	}
	for _, q := range t.askBack {
		if q.Text, err = view.ReaskText(q, t.reading.Number, formal); err != nil {
			return err
		}
		reply.AskedBack = append(reply.AskedBack, q)
	}
	if len(t.later) > 0 {
		if reply.Later, err = view.Set.Render("later", map[string]any{"V": view, "To": t.speaker.Handle, "Hours": t.reading.LaterHours, "Formal": formal}); err != nil {
			return err
		}
	}
	return nil
}

// reminders is the reminder to the speaker when they said they would answer later: the
// questions still put to them, as they were put, asked again in LaterHours.
func (t *turn) reminders(open []rules.Question) []store.AnswerReminder {
	if len(t.later) == 0 {
		return nil
	}
	r := store.AnswerReminder{Person: t.speaker.Handle, DueAt: t.now.Add(time.Duration(t.reading.LaterHours) * time.Hour)}
	for _, q := range open {
		if slices.Contains(t.later, q.Topic) && q.To == t.speaker.Handle {
			r.Questions = append(r.Questions, q)
		}
	}
	return []store.AnswerReminder{r}
}
