package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/whybot/whybot/bot/chat"
	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/bot/delivery"
	"github.com/whybot/whybot/bot/inbox"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/workspace"
	"github.com/whybot/whybot/prompts"
)

// Worker handles the Slack deliveries the ingress recorded: a mention or a direct message
// starts (or continues) a conversation in the message's thread; a reply in a thread the
// bot is in is an answer. Questions go back into the thread mentioning the people who hold
// the facts; a draft goes to the workspace's review channel as a card, and the thread gets
// a holding note. Nothing is posted as an answer here: only approval does that.
type Worker struct {
	chat.Worker
	API   *goslack.Client // the single SLACK_BOT_TOKEN's client (one company); nil with Teams alone
	Teams *Teams          // each installed team's own client; nil: API for every team

	bots botCache
}

func (w *Worker) inbox() *inbox.Loop { return w.Deliveries(store.TransportSlack, w.Handle) }

// Wake tells a running worker a delivery is waiting, so it does not wait for the next
// poll: opening a modal must happen within the 3 s a trigger id lives.
func (w *Worker) Wake() { w.inbox().Wake() }

// Run claims and handles deliveries until ctx ends.
func (w *Worker) Run(ctx context.Context, poll time.Duration) error { return w.inbox().Run(ctx, poll) }

// Drain handles every delivery waiting now; it reports how many it handled.
func (w *Worker) Drain(ctx context.Context) (int, error) { return w.inbox().Drain(ctx) }

// api is the Web API client of the team whose delivery is being handled.
func (w *Worker) api(ctx context.Context) *goslack.Client {
	if api, ok := ctx.Value(apiKey{}).(*goslack.Client); ok {
		return api
	}
	return w.API
}

// teamOf is the team a delivery came from and, for an event, its type.
func teamOf(payload []byte) (team, event string) {
	var p struct {
		TeamID string `json:"team_id"`
		Team   struct {
			ID string `json:"id"`
		} `json:"team"`
		Event struct {
			Type string `json:"type"`
		} `json:"event"`
	}
	_ = json.Unmarshal(payload, &p) // a payload that does not decode fails in its handler
	return firstNonEmpty(p.TeamID, p.Team.ID), p.Event.Type
}

// call is one Web API call that waits out rate limits.
func (w *Worker) call(ctx context.Context, method string, fn func() error) error {
	return retryRateLimited(ctx, w.Logger(), 0, method, fn)
}

// Handle handles one delivery. It may be handling it again (after a failed post, a crash,
// or on another replica once the lease ran out): the turn is not taken twice (the engine
// replays its reply by the message's key) and each message is posted once (postOnce).
func (w *Worker) Handle(ctx context.Context, in store.Inbound) error {
	ctx = delivery.WithHandling(ctx, in)
	kind, _, _ := strings.Cut(in.Key, ":")
	team, event := teamOf(in.Payload)
	if event == "app_uninstalled" || event == "tokens_revoked" {
		return w.uninstalled(ctx, team, event, in.Payload)
	}
	if w.Teams != nil {
		api, err := w.Teams.Client(ctx, team)
		if errors.Is(err, ErrNotInstalled) {
			w.Logger().WarnContext(ctx, "slack delivery from a team the app is not installed in; dropped", "team", team, "err", err)
			return nil
		}
		if err != nil {
			return err
		}
		ctx = withAPI(ctx, api)
	}
	switch kind {
	case "event":
		return w.event(ctx, in.Payload)
	case "command":
		return w.command(ctx, in.Payload)
	case "interaction":
		return w.interaction(ctx, in.Payload)
	}
	w.Logger().WarnContext(ctx, "slack delivery of an unknown kind; dropped", "key", in.Key)
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
	ws, err := w.workspaceFor(ctx, c.TeamID)
	if text, p, ok := chat.SetAside(err); ok {
		w.Logger().WarnContext(ctx, "slack /why for a workspace set aside; the person is told why", "team", c.TeamID, "err", err)
		return w.say(ctx, p, delivery.HandlingOf(ctx).Key+"/set-aside", c.ChannelID, "", text)
	}
	if err != nil || ws == nil {
		return err
	}
	// the question becomes a message in the channel, whose thread holds the conversation
	text := fmt.Sprintf("<@%s>: %s", c.UserID, escape(c.Text))
	ts, err := w.postOnce(ctx, ws.Profile.Workspace, delivery.HandlingOf(ctx).Key+"/question", c.ChannelID, "", func(opts ...goslack.MsgOption) (string, error) {
		_, ts, err := w.api(ctx).PostMessageContext(ctx, c.ChannelID, append(opts, goslack.MsgOptionText(text, false))...)
		return ts, err
	})
	if err != nil {
		return fmt.Errorf("post /why question: %w", err)
	}
	return w.message(ctx, c.TeamID, messageEvent{Type: "app_mention", User: c.UserID, Text: c.Text, Channel: c.ChannelID, TS: ts})
}

var mentionRe = regexp.MustCompile(`<@[A-Z0-9]+(\|[^>]*)?>`)

// mentionAtStart drops the bot's mention the message starts with, keeping the others (the
// person a people command names).
func mentionAtStart(text string) string {
	t := strings.TrimSpace(text)
	if loc := mentionRe.FindStringIndex(t); loc != nil && loc[0] == 0 {
		return t[loc[1]:]
	}
	return t
}

// people are the people commands, with Slack's names (users.info).
func (w *Worker) people() chat.People {
	return chat.People{Store: w.Store, Platform: "slack", Now: w.Clock, NameOf: func(ctx context.Context, id string) (string, error) {
		var u *goslack.User
		err := w.call(ctx, "users.info", func() error {
			var err error
			u, err = w.api(ctx).GetUserInfoContext(ctx, id)
			return err
		})
		if err != nil {
			return "", err
		}
		return firstNonEmpty(firstNonEmpty(u.RealName, u.Profile.RealName), u.Name), nil
	}}
}

// workspaceFor is the workspace of a team: the one whose profile names it (slack.team),
// else the one an installation of the app was linked to from the console.
func (w *Worker) workspaceFor(ctx context.Context, team string) (*workspace.Workspace, error) {
	if team == "" {
		return nil, nil
	}
	ws, err := w.Registry().Find(ctx, store.WorkspaceKey{SlackTeam: team})
	if ws != nil || err != nil || w.Teams == nil || w.Teams.Store == nil {
		return ws, err
	}
	// a team the app was installed in, linked from the console to a workspace whose profile
	// names no other team
	in, err := w.Teams.Store.SlackInstall(ctx, team)
	if errors.Is(err, store.ErrNotFound) || (err == nil && in.Workspace == "") {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ws, err = w.Registry().Find(ctx, store.WorkspaceKey{ID: in.Workspace})
	if ws != nil && ws.Profile.Slack.Team != "" && ws.Profile.Slack.Team != team {
		return nil, nil
	}
	return ws, err
}

// uninstalled handles a team removing the app (app_uninstalled) or revoking its bot token
// (tokens_revoked): the token is deleted and the installation marked, so nothing is sent
// there until the team installs again.
func (w *Worker) uninstalled(ctx context.Context, team, event string, payload []byte) error {
	if w.Teams == nil || w.Teams.Store == nil || team == "" {
		w.Logger().WarnContext(ctx, "slack "+event+" with no installations kept here; nothing to delete", "team", team)
		return nil
	}
	state := store.InstallUninstalled
	if event == "tokens_revoked" {
		var p struct {
			Event struct {
				Tokens struct {
					Bot []string `json:"bot"`
				} `json:"tokens"`
			} `json:"event"`
		}
		if err := json.Unmarshal(payload, &p); err != nil {
			return fmt.Errorf("decode tokens_revoked: %w", err)
		}
		if len(p.Event.Tokens.Bot) == 0 {
			return nil // only people's tokens: whybot holds none
		}
		state = store.InstallRevoked
	}
	if err := w.Teams.Store.EndSlackInstall(ctx, team, state, w.Clock()); err != nil {
		return err
	}
	w.Teams.Forget(team)
	w.Logger().InfoContext(ctx, "slack team disconnected: its token is deleted", "team", team, "event", event)
	return nil
}

func (w *Worker) message(ctx context.Context, team string, ev messageEvent) error {
	// a mention in a channel arrives as app_mention and as message, two deliveries of one
	// message: its key makes it one turn, and only the delivery that took the turn posts
	key := "slack-message:" + ev.Channel + ":" + ev.TS
	threadTS := firstNonEmpty(ev.ThreadTS, ev.TS)
	id := "slack-" + ev.Channel + "-" + threadTS
	mentioned := ev.Type == "app_mention" || ev.ChannelType == "im" || strings.HasPrefix(ev.Channel, "D")
	ws, err := w.workspaceFor(ctx, team)
	if text, p, ok := chat.SetAside(err); ok {
		w.Logger().WarnContext(ctx, "slack message for a workspace set aside; the person is told why", "team", team, "err", err)
		if !mentioned {
			return nil
		}
		return w.say(ctx, p, key+"/set-aside", ev.Channel, threadTS, text)
	}
	if err != nil {
		return err
	}
	if ws == nil {
		w.Logger().WarnContext(ctx, "slack event from a team no profile names; ignored", "team", team)
		return nil
	}
	p := ws.Profile
	person, known := p.BySlack(ev.User)
	if !known {
		return w.unknownPerson(ctx, p, key, id, ev, threadTS, mentioned)
	}
	if mentioned {
		reply, ok, err := w.people().Handle(ctx, p, person, strings.TrimSpace(mentionAtStart(ev.Text)))
		if err != nil {
			return err
		}
		if ok {
			w.Logger().InfoContext(ctx, "slack people command", "workspace", p.Workspace, "by", person.Handle)
			return w.say(ctx, p, key+"/people", ev.Channel, threadTS, reply)
		}
	}
	// the engine starts the thread on a mention, or goes on in it; chatter elsewhere is not
	// for the bot (chat.Turn says nothing for ErrNoThread)
	req := conversation.Request{As: person.Handle, Text: strings.TrimSpace(mentionRe.ReplaceAllString(ev.Text, "")),
		Transport: store.TransportSlack, Channel: ThreadChannel(ev.Channel, threadTS), Key: key, Delivery: delivery.HandlingOf(ctx).Key,
		Thread: id, Start: mentioned}
	_, err = chat.Turn(ctx, w.Engine, thread{AtMarkup: markup, w: w, channel: ev.Channel, ts: threadTS}, ws, req)
	if errors.Is(err, conversation.ErrNoThread) {
		return nil // channel chatter that is not for the bot
	}
	return err
}

// unknownPerson tells someone the profile does not name how to be added, when they speak
// to the bot or in one of its threads.
func (w *Worker) unknownPerson(ctx context.Context, p *profile.Profile, key, id string, ev messageEvent, threadTS string, mentioned bool) error {
	if !mentioned {
		if _, err := w.Store.Thread(ctx, p.Workspace, id); errors.Is(err, store.ErrNotFound) {
			return nil // channel chatter that is not for the bot
		} else if err != nil {
			return err
		}
	}
	set, err := prompts.For(p.Language)
	if err != nil {
		return err
	}
	text, err := set.Render("slack.unknown_person", map[string]string{"User": ev.User})
	if err != nil {
		return err
	}
	return w.say(ctx, p, key+"/unknown", ev.Channel, threadTS, text)
}

// markup is how whybot writes in Slack: people by their Slack user id, mrkdwn escaped.
var markup = chat.AtMarkup{ID: func(x profile.Person) string { return x.Slack }, Escaper: escape}

// thread is a conversation's Slack thread, as the chat core speaks in it.
type thread struct {
	chat.AtMarkup
	w           *Worker
	channel, ts string
}

// Say posts in the thread; Slack notifies the people the text mentions.
func (t thread) Say(ctx context.Context, p *profile.Profile, key, text string, _ []string) error {
	return t.w.say(ctx, p, key, t.channel, t.ts, text)
}

func (t thread) Card(ctx context.Context, set *prompts.Set, p *profile.Profile, draftID, key string) error {
	return t.w.card(ctx, set, p, draftID, key)
}

// mention is how a person is addressed in Slack: their user id when the profile has it.
func mention(p *profile.Profile, handle string) string { return markup.Mention(p, handle) }

// say posts a message in a thread, once per key (postOnce).
func (w *Worker) say(ctx context.Context, p *profile.Profile, key, channel, threadTS, text string) error {
	_, err := w.postOnce(ctx, p.Workspace, key, channel, threadTS, func(opts ...goslack.MsgOption) (string, error) {
		_, ts, err := w.api(ctx).PostMessageContext(ctx, channel, append(opts, goslack.MsgOptionText(text, false), goslack.MsgOptionTS(threadTS))...)
		return ts, err
	})
	if err != nil {
		return fmt.Errorf("post in thread: %w", err)
	}
	return nil
}

// card posts the review card of a new draft in the workspace's review channel, once per key.
func (w *Worker) card(ctx context.Context, set *prompts.Set, p *profile.Profile, draftID, key string) error {
	review, err := reviewChannel(p, w.ReviewChannel)
	if err != nil {
		return err
	}
	c, err := w.loadCard(ctx, p, draftID)
	if err != nil {
		return err
	}
	_, err = w.postOnce(ctx, p.Workspace, key, review, "", func(opts ...goslack.MsgOption) (string, error) {
		_, ts, err := w.api(ctx).PostMessageContext(ctx, review, append(opts, goslack.MsgOptionText(set.Text("slack.card_title", nil)+": "+draftID, false), goslack.MsgOptionBlocks(c.blocks(set)...))...)
		return ts, err
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
