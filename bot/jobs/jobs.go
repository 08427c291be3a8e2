// Package jobs runs whybot's side effects durably: posting approved answers, reminding
// reviewers of drafts past the workspace's review deadline (then escalating to the owner),
// reloading KPI data and pulling the workspaces' sources on their schedules, and pruning the inbox of handled deliveries. On PostgreSQL, River runs them (RunRiver); on the
// embedded SQLite store, an in-process worker with the same semantics (RunLocal). Either
// way all state lives in the database, so work resumes after a restart.
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/source/pull"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/workspace"
	"github.com/whybot/whybot/prompts"
)

// Store is what the jobs read and write.
type Store interface {
	Workspaces(ctx context.Context) ([]store.Workspace, error)
	Workspace(ctx context.Context, id string) (store.Workspace, error)
	Drafts(ctx context.Context, workspace string, states ...store.DraftState) ([]store.Draft, error)
	Thread(ctx context.Context, workspace, id string) (store.Thread, error)
	Events(ctx context.Context, workspace, threadID string) ([]store.Event, error)
	MarkReminded(ctx context.Context, workspace, draftID string, level int, at time.Time) (bool, error)
	DueAnswerReminders(ctx context.Context, now time.Time, limit int) ([]store.AnswerReminder, error)
	MarkAnswerReminded(ctx context.Context, r store.AnswerReminder, at time.Time) (bool, error)
	ReplaceKPI(ctx context.Context, workspace string, rows []kpi.Row, at time.Time) error
	LatestSource(ctx context.Context, workspace, conn string) (store.SourceVersion, bool, error)
	PruneInbox(ctx context.Context, before time.Time) (int64, error)
}

// Deliverer posts approved answers exactly once (the conversation engine).
type Deliverer interface {
	Deliver(ctx context.Context, workspace, draftID string) (bool, error)
	DeliverPending(ctx context.Context) (int, error)
}

// Notice is a reminder about a draft waiting for review.
type Notice struct {
	Workspace string
	DraftID   string
	ThreadID  string
	Transport store.Transport
	Level     int      // 1: reminder to reviewers; 2: escalation to the owner; 0: an answer promised for later
	To        []string // handles of the people reminded
	Text      string
	// InThread: the reminder goes in the conversation's thread (Channel), not the review
	// channel: a question someone said they would answer later.
	InThread bool
	Channel  string
}

// Notifier delivers reminders (to the review channel of the draft's transport).
type Notifier interface {
	Notify(ctx context.Context, n Notice) error
}

// Config wires the jobs.
type Config struct {
	Store    Store
	Engine   Deliverer
	Notifier Notifier
	Log      *slog.Logger
	Now      func() time.Time
	// Sources pulls the workspaces' sources on their schedules; nil: none are pulled.
	Sources *pull.Puller

	Poll           time.Duration // local worker: how often it looks for work (default 2 s)
	SweepEvery     time.Duration // re-post rows whose lease expired or backoff passed (default 1 min)
	RemindEvery    time.Duration // check review deadlines (default 5 min)
	ReloadKPIEvery time.Duration // reload KPI data files (default 1 h; negative: never)
	PruneEvery     time.Duration // prune the inbox (default 1 h)
	PullEvery      time.Duration // look for sources whose scheduled slot has come (default 1 min)
	InboxRetention time.Duration // how long handled deliveries are kept (default 7 days: longer than any platform retries)
	Grace          time.Duration // local worker: after it is told to stop, how long the pass under way may take (default 25 s)
}

func (c *Config) defaults() {
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.Poll, 2*time.Second)
	def(&c.Grace, 25*time.Second)
	def(&c.SweepEvery, time.Minute)
	def(&c.RemindEvery, 5*time.Minute)
	def(&c.ReloadKPIEvery, time.Hour)
	def(&c.PruneEvery, time.Hour)
	def(&c.PullEvery, time.Minute)
	def(&c.InboxRetention, 7*24*time.Hour)
}

// Jobs holds the work both runners do.
type Jobs struct{ cfg Config }

// New returns the jobs.
func New(cfg Config) *Jobs {
	cfg.defaults()
	return &Jobs{cfg: cfg}
}

// Remind sends the reminders that are due: level 1 to the workspace's reviewers when a
// draft has waited longer than the review deadline, level 2 to the owner after twice the
// deadline. Each goes out at most once per draft and level, whichever replica finds it.
func (j *Jobs) Remind(ctx context.Context) (int, error) {
	wss, err := j.cfg.Store.Workspaces(ctx)
	if err != nil {
		return 0, err
	}
	now := j.cfg.Now().UTC()
	sent := 0
	var errs []error
	for _, w := range wss {
		p, err := workspace.StoredProfile(w)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		deadline := time.Duration(p.Thresholds.ReviewDeadlineHours) * time.Hour
		drafts, err := j.cfg.Store.Drafts(ctx, w.ID, store.DraftPending)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, d := range drafts {
			age := now.Sub(d.CreatedAt)
			level := 0
			switch {
			case age >= 2*deadline:
				level = 2
			case age >= deadline:
				level = 1
			default:
				continue
			}
			var to []string
			if level == 1 {
				for _, x := range p.People {
					if x.Reviewer {
						to = append(to, x.Handle)
					}
				}
			} else {
				to = []string{p.DefaultAsker().Handle}
				if o, ok := p.ByRole("owner"); ok {
					to = []string{o.Handle}
				}
			}
			first, err := j.cfg.Store.MarkReminded(ctx, w.ID, d.ID, level, now)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if !first {
				continue
			}
			th, err := j.cfg.Store.Thread(ctx, w.ID, d.ThreadID)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			text, err := j.reminderText(ctx, p.Language, w.ID, d, level, to, age, p.Thresholds.ReviewDeadlineHours)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			n := Notice{Workspace: w.ID, DraftID: d.ID, ThreadID: d.ThreadID, Transport: th.Transport, Level: level, To: to, Text: text}
			if err := j.cfg.Notifier.Notify(ctx, n); err != nil {
				// recorded as sent: a reminder is not worth spamming reviewers over
				errs = append(errs, fmt.Errorf("remind about %s: %w", d.ID, err))
				continue
			}
			j.cfg.Log.InfoContext(ctx, "review reminder sent", "workspace", w.ID, "draft", d.ID, "level", level)
			sent++
		}
	}
	return sent, errors.Join(errs...)
}

// RemindAnswers asks again, in their thread, the people who said they would answer later
// ("ti faccio sapere domani") once the time they gave is up: once each, whichever
// replica finds it, and not at all once they have answered.
func (j *Jobs) RemindAnswers(ctx context.Context) (int, error) {
	now := j.cfg.Now().UTC()
	due, err := j.cfg.Store.DueAnswerReminders(ctx, now, 100)
	if err != nil {
		return 0, err
	}
	sent := 0
	var errs []error
	for _, r := range due {
		first, err := j.cfg.Store.MarkAnswerReminded(ctx, r, now)
		if err != nil || !first {
			errs = append(errs, err)
			continue
		}
		th, err := j.cfg.Store.Thread(ctx, r.Workspace, r.Thread)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		set, err := prompts.For(j.personLanguage(ctx, r.Workspace, r.Person, th.Language))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		text, err := set.Render("answer_reminder", map[string]any{"To": r.Person, "Questions": r.Questions})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		n := Notice{Workspace: r.Workspace, ThreadID: r.Thread, Transport: th.Transport, To: []string{r.Person}, Text: text, InThread: true, Channel: th.Channel}
		if err := j.cfg.Notifier.Notify(ctx, n); err != nil {
			errs = append(errs, fmt.Errorf("remind %s in %s: %w", r.Person, r.Thread, err))
			continue
		}
		j.cfg.Log.InfoContext(ctx, "answer reminder sent", "workspace", r.Workspace, "thread", r.Thread, "person", r.Person)
		sent++
	}
	return sent, errors.Join(errs...)
}

// personLanguage is the language a person is spoken to in: their own, as the profile
// says, else the thread's (the questions put to them were put in it).
func (j *Jobs) personLanguage(ctx context.Context, ws, handle, thread string) string {
	p, err := workspace.ProfileByID(ctx, j.cfg.Store, ws)
	if err != nil {
		return thread
	}
	if x, ok := p.Person(handle); ok && x.Language != "" {
		return x.Language
	}
	return thread
}

func (j *Jobs) reminderText(ctx context.Context, lang, ws string, d store.Draft, level int, to []string, age time.Duration, deadline int) (string, error) {
	set, err := prompts.For(lang)
	if err != nil {
		return "", err
	}
	question := ""
	if evs, err := j.cfg.Store.Events(ctx, ws, d.ThreadID); err == nil {
		for _, e := range evs {
			if e.Kind == store.EventQuestion {
				var q struct {
					Text string `json:"text"`
				}
				_ = json.Unmarshal(e.Data, &q)
				question = q.Text
			}
		}
	}
	return set.Render("reminder", map[string]any{"Level": level, "Draft": d.ID, "Question": question,
		"Hours": int(age.Hours()), "Deadline": deadline, "To": to})
}

// ReloadKPI re-reads every workspace's data files into its KPI snapshot. A file that no
// longer validates leaves the previous snapshot in place (nothing half-written) and is
// reported with its file:line problems.
func (j *Jobs) ReloadKPI(ctx context.Context) (int, error) {
	wss, err := j.cfg.Store.Workspaces(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, w := range wss {
		if len(w.DataFiles) == 0 {
			continue
		}
		ws, err := workspace.FromStore(w)
		if err != nil {
			var ke *kpi.Error
			if errors.As(err, &ke) {
				j.cfg.Log.WarnContext(ctx, "KPI reload refused: data does not validate; the previous snapshot stays", "workspace", w.ID, "err", err)
			}
			errs = append(errs, fmt.Errorf("reload KPI of %s: %w", w.ID, err))
			continue
		}
		rows, err := pull.Snapshot(ctx, j.cfg.Store, ws) // the sources' pulled numbers stay
		if err != nil {
			errs = append(errs, fmt.Errorf("reload KPI of %s: %w", w.ID, err))
			continue
		}
		if err := j.cfg.Store.ReplaceKPI(ctx, w.ID, rows, j.cfg.Now().UTC()); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// PullSources pulls every source whose scheduled slot has come, once whichever replica
// runs it.
func (j *Jobs) PullSources(ctx context.Context) (int, error) {
	if j.cfg.Sources == nil {
		return 0, nil
	}
	out, err := j.cfg.Sources.Due(ctx)
	return len(out), err
}

// PruneInbox deletes the platform deliveries handled (or failed for good) longer ago than
// the retention window; it reports how many.
func (j *Jobs) PruneInbox(ctx context.Context) (int64, error) {
	n, err := j.cfg.Store.PruneInbox(ctx, j.cfg.Now().UTC().Add(-j.cfg.InboxRetention))
	if n > 0 {
		j.cfg.Log.InfoContext(ctx, "inbox pruned", "deliveries", n, "older_than", j.cfg.InboxRetention)
	}
	return n, err
}
