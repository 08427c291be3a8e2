package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/bot/inbox"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/workspace"
	"github.com/whybot/whybot/prompts"
)

// Engine is the conversation engine as the Slack worker uses it.
type Engine interface {
	Ask(ctx context.Context, ws *workspace.Workspace, req conversation.Request) (conversation.Reply, error)
	Decide(ctx context.Context, workspaceID, draftID, by string, a conversation.Action) (conversation.Outcome, error)
}

// WorkerStore is what the worker reads and writes.
type WorkerStore interface {
	Workspaces(ctx context.Context) ([]store.Workspace, error)
	Workspace(ctx context.Context, id string) (store.Workspace, error)
	Draft(ctx context.Context, workspace, id string) (store.Draft, error)
	Events(ctx context.Context, workspace, threadID string) ([]store.Event, error)
	KPI(ctx context.Context, workspace string) ([]store.KPIRow, time.Time, error)
	Thread(ctx context.Context, workspace, id string) (store.Thread, error)
	FirstSeen(ctx context.Context, workspace, key string, at time.Time) (bool, error)
	inbox.Claimer
}

// Worker handles the Slack deliveries the ingress recorded: a mention or a direct message
// starts (or continues) a conversation in the message's thread; a reply in a thread the
// bot is in is an answer. Questions go back into the thread mentioning the people who hold
// the facts; a draft goes to the workspace's review channel as a card, and the thread gets
// a holding note. Nothing is posted as an answer here: only approval does that.
type Worker struct {
	Store         WorkerStore
	Engine        Engine
	API           *goslack.Client
	ReviewChannel string // used when the profile names none
	Log           *slog.Logger
	Now           func() time.Time
	Timing        inbox.Timing // lease and shutdown grace of claimed deliveries

	bots botCache
	once sync.Once
	loop *inbox.Loop
}

func (w *Worker) inbox() *inbox.Loop {
	w.once.Do(func() {
		w.loop = &inbox.Loop{Store: w.Store, Source: "slack", Handle: w.Handle, Log: w.Log, Now: w.Now, Timing: w.Timing}
	})
	return w.loop
}

// Wake tells a running worker a delivery is waiting, so it does not wait for the next
// poll: opening a modal must happen within the 3 s a trigger id lives.
func (w *Worker) Wake() { w.inbox().Wake() }

// Run claims and handles deliveries until ctx ends.
func (w *Worker) Run(ctx context.Context, poll time.Duration) error { return w.inbox().Run(ctx, poll) }

// Drain handles every delivery waiting now; it reports how many it handled.
func (w *Worker) Drain(ctx context.Context) (int, error) { return w.inbox().Drain(ctx) }

// call is one Web API call that waits out rate limits.
func (w *Worker) call(ctx context.Context, method string, fn func() error) error {
	return retryRateLimited(ctx, w.log(), 0, method, fn)
}

func (w *Worker) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func (w *Worker) log() *slog.Logger {
	if w.Log != nil {
		return w.Log
	}
	return slog.Default()
}

// Handle handles one delivery.
func (w *Worker) Handle(ctx context.Context, in store.Inbound) error {
	kind, _, _ := strings.Cut(in.Key, ":")
	switch kind {
	case "event":
		return w.event(ctx, in.Payload)
	case "command":
		return w.command(ctx, in.Payload)
	case "interaction":
		return w.interaction(ctx, in.Payload)
	}
	w.log().WarnContext(ctx, "slack delivery of an unknown kind; dropped", "key", in.Key)
	return nil
}

type messageEvent struct {
	Type        string `json:"type"`
	User        string `json:"user"`
	BotID       string `json:"bot_id"`
	Subtype     string `json:"subtype"`
	Text        string `json:"text"`
	Channel     string `json:"channel"`
	ChannelType string `json:"channel_type"`
	TS          string `json:"ts"`
	ThreadTS    string `json:"thread_ts"`
}

func (w *Worker) event(ctx context.Context, payload []byte) error {
	var env struct {
		TeamID string       `json:"team_id"`
		Event  messageEvent `json:"event"`
	}
	if err := json.Unmarshal(payload, &env); err != nil {
		return fmt.Errorf("decode event: %w", err)
	}
	ev := env.Event
	if ev.BotID != "" || ev.Subtype != "" || ev.User == "" || (ev.Type != "app_mention" && ev.Type != "message") {
		return nil // bots never speak for people; edits, joins and the like are not messages to answer
	}
	return w.message(ctx, env.TeamID, ev)
}

func (w *Worker) command(ctx context.Context, payload []byte) error {
	var c struct {
		TeamID    string `json:"team_id"`
		UserID    string `json:"user_id"`
		ChannelID string `json:"channel_id"`
		Text      string `json:"text"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return fmt.Errorf("decode command: %w", err)
	}
	if strings.TrimSpace(c.Text) == "" {
		return nil
	}
	// the question becomes a message in the channel, whose thread holds the conversation
	var ts string
	err := w.call(ctx, "chat.postMessage", func() error {
		var err error
		_, ts, err = w.API.PostMessageContext(ctx, c.ChannelID, goslack.MsgOptionText(fmt.Sprintf("<@%s>: %s", c.UserID, escape(c.Text)), false))
		return err
	})
	if err != nil {
		return fmt.Errorf("post /why question: %w", err)
	}
	return w.message(ctx, c.TeamID, messageEvent{Type: "app_mention", User: c.UserID, Text: c.Text, Channel: c.ChannelID, TS: ts})
}

var mentionRe = regexp.MustCompile(`<@[A-Z0-9]+(\|[^>]*)?>`)

func (w *Worker) workspaceFor(ctx context.Context, team string) (*workspace.Workspace, error) {
	return workspace.LoadStored(ctx, w.Store, func(p *profile.Profile) bool { return p.Slack.Team == team })
}

func (w *Worker) message(ctx context.Context, team string, ev messageEvent) error {
	ws, err := w.workspaceFor(ctx, team)
	if err != nil {
		return err
	}
	if ws == nil {
		w.log().WarnContext(ctx, "slack event from a team no profile names; ignored", "team", team)
		return nil
	}
	p := ws.Profile
	// a mention in a channel arrives as app_mention and as message: handle the message once
	first, err := w.Store.FirstSeen(ctx, p.Workspace, "slack-message:"+ev.Channel+":"+ev.TS, w.now().UTC())
	if err != nil || !first {
		return err
	}
	threadTS := firstNonEmpty(ev.ThreadTS, ev.TS)
	id := "slack-" + ev.Channel + "-" + threadTS
	_, err = w.Store.Thread(ctx, p.Workspace, id)
	exists := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	mentioned := ev.Type == "app_mention" || ev.ChannelType == "im" || strings.HasPrefix(ev.Channel, "D")
	if !exists && !mentioned {
		return nil // channel chatter that is not for the bot
	}
	set, err := prompts.For(p.Language)
	if err != nil {
		return err
	}
	person, known := p.BySlack(ev.User)
	if !known {
		text, err := set.Render("slack.unknown_person", map[string]string{"User": ev.User})
		if err != nil {
			return err
		}
		return w.post(ctx, ev.Channel, threadTS, text)
	}
	req := conversation.Request{As: person.Handle, Text: strings.TrimSpace(mentionRe.ReplaceAllString(ev.Text, "")),
		Transport: "slack", Channel: ThreadChannel(ev.Channel, threadTS)}
	if exists {
		req.ThreadID = id
	} else {
		req.NewID = id
	}
	reply, err := w.Engine.Ask(ctx, ws, req)
	var ue *conversation.UserError
	if errors.As(err, &ue) {
		return w.post(ctx, ev.Channel, threadTS, ue.Reason)
	}
	if err != nil {
		return err
	}
	set, err = prompts.For(reply.Language)
	if err != nil {
		return err
	}
	if reply.Draft == nil {
		if len(reply.Questions) == 0 {
			return nil
		}
		lines := []string{set.UI("questions_intro")}
		for _, q := range reply.Questions {
			lines = append(lines, "• "+mention(p, q.To)+" "+q.Text)
		}
		return w.post(ctx, ev.Channel, threadTS, strings.Join(lines, "\n"))
	}
	if err := w.post(ctx, ev.Channel, threadTS, set.UI("pending")); err != nil {
		return err
	}
	return w.card(ctx, set, p, reply.Draft.ID)
}

// mention is how a person is addressed in Slack: their user id when the profile has it.
func mention(p *profile.Profile, handle string) string {
	if x, ok := p.Person(handle); ok && x.Slack != "" {
		return "<@" + x.Slack + ">"
	}
	return "@" + handle
}

func (w *Worker) post(ctx context.Context, channel, threadTS, text string) error {
	err := w.call(ctx, "chat.postMessage", func() error {
		_, _, err := w.API.PostMessageContext(ctx, channel, goslack.MsgOptionText(text, false), goslack.MsgOptionTS(threadTS), noUnfurl())
		return err
	})
	if err != nil {
		return fmt.Errorf("post in thread: %w", err)
	}
	return nil
}

// card posts the review card of a new draft in the workspace's review channel.
func (w *Worker) card(ctx context.Context, set *prompts.Set, p *profile.Profile, draftID string) error {
	review, err := reviewChannel(p, w.ReviewChannel)
	if err != nil {
		return err
	}
	c, err := w.loadCard(ctx, p, draftID)
	if err != nil {
		return err
	}
	err = w.call(ctx, "chat.postMessage", func() error {
		_, _, err := w.API.PostMessageContext(ctx, review, goslack.MsgOptionText(set.Text("slack.card_title", nil)+": "+draftID, false), goslack.MsgOptionBlocks(c.blocks(set)...), noUnfurl())
		return err
	})
	if err != nil {
		return fmt.Errorf("post review card: %w", err)
	}
	return nil
}

// reviewChannel is where a workspace's review cards and reminders go: the profile's
// channel, else the deployment's fallback.
func reviewChannel(p *profile.Profile, fallback string) (string, error) {
	if c := firstNonEmpty(p.Slack.ReviewChannel, fallback); c != "" {
		return c, nil
	}
	return "", fmt.Errorf("workspace %s has no Slack review channel: set slack.review_channel in company.yaml or SLACK_REVIEW_CHANNEL", p.Workspace)
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
