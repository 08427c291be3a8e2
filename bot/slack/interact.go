package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/whybot/whybot/bot/chat"
	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/workspace"
	"github.com/whybot/whybot/prompts"
)

// The modals' callback ids.
const (
	callbackEdit   = "whybot_edit"
	callbackReject = "whybot_reject"
	maxModalText   = 3000 // Slack's limit for a plain-text input
)

// modalMeta travels in a modal's private_metadata: which draft, and where its card is.
type modalMeta struct {
	Workspace string `json:"w"`
	Draft     string `json:"d"`
	Channel   string `json:"c"`
	TS        string `json:"t"`
}

// actor is a reviewer acting on a draft of a workspace, from an interaction; it is the
// review card as the chat core acts on it (chat.Review).
type actor struct {
	chat.AtMarkup
	w       *Worker
	profile *profile.Profile
	set     *prompts.Set
	person  profile.Person
	user    string // Slack user id
	channel string // where the review card is (ephemeral replies go there)
	cardTS  string
	draftID string
}

func (w *Worker) interaction(ctx context.Context, payload []byte) error {
	var cb goslack.InteractionCallback
	if err := json.Unmarshal(payload, &cb); err != nil {
		return fmt.Errorf("decode interaction: %w", err)
	}
	switch cb.Type {
	case goslack.InteractionTypeBlockActions:
		for _, a := range cb.ActionCallback.BlockActions {
			switch {
			case a.ActionID == "approve" || a.ActionID == "edit" || a.ActionID == "reject":
				return w.button(ctx, cb, a.ActionID, a.Value)
			case strings.HasPrefix(a.ActionID, pickPrefix):
				return w.pick(ctx, cb, a)
			}
		}
	case goslack.InteractionTypeViewSubmission:
		switch cb.View.CallbackID {
		case callbackEdit, callbackReject:
			return w.submission(ctx, cb)
		case callbackPick:
			return w.pickSubmission(ctx, cb)
		}
	}
	return nil // other interactions (modal closed, links) need nothing
}

// who resolves the clicker of an interaction on a draft: the workspace named by the
// button must belong to the team the click came from, the clicker must be a person (not a
// bot or an app) marked reviewer in the profile. Anyone else gets an ephemeral refusal and
// ok is false.
func (w *Worker) who(ctx context.Context, cb goslack.InteractionCallback, wsID, draftID, channel, cardTS string) (a actor, ok bool, err error) {
	rec, err := w.Store.Workspace(ctx, wsID)
	if errors.Is(err, store.ErrNotFound) {
		w.Logger().WarnContext(ctx, "slack interaction names an unknown workspace; ignored", "workspace", wsID)
		return a, false, nil
	}
	if err != nil {
		return a, false, err
	}
	p, err := workspace.StoredProfile(rec)
	if err != nil {
		return a, false, err
	}
	if p.Slack.Team == "" || p.Slack.Team != cb.Team.ID {
		w.Logger().WarnContext(ctx, "slack interaction from another team than the workspace's; ignored", "workspace", wsID, "team", cb.Team.ID)
		return a, false, nil
	}
	set, err := prompts.For(p.Language)
	if err != nil {
		return a, false, err
	}
	a = actor{AtMarkup: markup, w: w, profile: p, set: set, user: cb.User.ID, channel: channel, cardTS: cardTS, draftID: draftID}
	bot, err := w.isBot(ctx, cb.User.ID)
	if err != nil {
		return a, false, err
	}
	if bot {
		w.Logger().WarnContext(ctx, "a bot tried to act on a draft; refused", "workspace", wsID, "draft", draftID, "user", cb.User.ID)
		return a, false, a.Note(ctx, set.Text("review.bot_refused", nil))
	}
	person, known := p.BySlack(cb.User.ID)
	if !known || !person.Reviewer {
		w.Logger().InfoContext(ctx, "a non-reviewer tried to act on a draft; refused", "workspace", wsID, "draft", draftID, "user", cb.User.ID)
		return a, false, a.Note(ctx, chat.NotReviewer(set, markup, p, "slack: "+cb.User.ID))
	}
	a.person = person
	return a, true, nil
}

// button handles Approve, Edit and Reject on a review card.
func (w *Worker) button(ctx context.Context, cb goslack.InteractionCallback, action, value string) error {
	wsID, draftID, found := strings.Cut(value, "/")
	if !found {
		return fmt.Errorf("button value %q is not WORKSPACE/DRAFT", value)
	}
	channel := firstNonEmpty(cb.Container.ChannelID, cb.Channel.ID)
	cardTS := firstNonEmpty(cb.Container.MessageTs, cb.Message.Timestamp)
	a, ok, err := w.who(ctx, cb, wsID, draftID, channel, cardTS)
	if err != nil || !ok {
		return err
	}
	if action == "approve" {
		return a.decide(ctx, conversation.Action{Approve: true})
	}
	d, err := w.Store.Draft(ctx, wsID, draftID)
	if err != nil {
		return fmt.Errorf("load draft %s/%s: %w", wsID, draftID, err)
	}
	if d.State != store.DraftPending {
		if err := a.Note(ctx, chat.AlreadyDecided(a.set, a, a.profile, d)); err != nil {
			return err
		}
		return a.Update(ctx) // in case the earlier update did not land
	}
	meta, _ := json.Marshal(modalMeta{Workspace: wsID, Draft: draftID, Channel: channel, TS: cardTS})
	set := a.set
	var view goslack.ModalViewRequest
	if action == "edit" {
		if len([]rune(d.Text)) > maxModalText {
			return a.Note(ctx, set.Text("review.too_long", map[string]any{"Draft": d.ID, "Max": maxModalText}))
		}
		input := goslack.NewPlainTextInputBlockElement(nil, "text").WithInitialValue(d.Text).WithMinLength(1)
		input.Multiline, input.MaxLength = true, maxModalText
		view = modal(set, callbackEdit, "review.edit_title", "review.edit_submit", string(meta),
			goslack.NewInputBlock("text", plain(set.Text("review.edit_label", nil)), nil, input))
	} else {
		input := goslack.NewPlainTextInputBlockElement(nil, "reason").WithMinLength(3)
		input.Multiline, input.MaxLength = true, 1000
		view = modal(set, callbackReject, "review.reject_title", "review.reject_submit", string(meta),
			goslack.NewInputBlock("reason", plain(set.Text("review.reject_label", nil)), nil, input))
	}
	if _, err := w.api(ctx).OpenViewContext(ctx, cb.TriggerID, view); err != nil {
		return fmt.Errorf("views.open for %s of %s: %w", action, draftID, err)
	}
	return nil
}

func modal(set *prompts.Set, callback, title, submit, meta string, blocks ...goslack.Block) goslack.ModalViewRequest {
	return goslack.ModalViewRequest{Type: goslack.VTModal, CallbackID: callback, PrivateMetadata: meta,
		Title: plain(set.Text(title, nil)), Submit: plain(set.Text(submit, nil)), Close: plain(set.Text("review.cancel", nil)),
		Blocks: goslack.Blocks{BlockSet: blocks}}
}

// submission handles the Edit and Reject modals.
func (w *Worker) submission(ctx context.Context, cb goslack.InteractionCallback) error {
	var m modalMeta
	if err := json.Unmarshal([]byte(cb.View.PrivateMetadata), &m); err != nil {
		return fmt.Errorf("decode modal metadata: %w", err)
	}
	a, ok, err := w.who(ctx, cb, m.Workspace, m.Draft, m.Channel, m.TS)
	if err != nil || !ok {
		return err
	}
	values := cb.View.State.Values
	if cb.View.CallbackID == callbackReject {
		return a.decide(ctx, conversation.Action{Reason: values["reason"]["reason"].Value})
	}
	text := values["text"]["text"].Value
	d, err := w.Store.Draft(ctx, m.Workspace, m.Draft)
	if err != nil {
		return fmt.Errorf("load draft %s/%s: %w", m.Workspace, m.Draft, err)
	}
	act := conversation.Action{Approve: true, EditedText: text}
	if strings.TrimSpace(text) == strings.TrimSpace(d.Text) {
		act.EditedText = "" // submitted unchanged: a plain approval
	}
	return a.decide(ctx, act)
}

// decide applies the reviewer's decision (chat.Decide).
func (a actor) decide(ctx context.Context, act conversation.Action) error {
	return chat.Decide(ctx, a.w.Engine, a.w.Store, a, a.profile, a.draftID, record.Person(a.person.Handle), act)
}

// InThread is the question's thread, where the asker is told the answer was declined.
func (a actor) InThread(th store.Thread) (chat.Platform, error) {
	channel, ts, err := SplitChannel(th.Channel)
	if err != nil {
		return nil, err
	}
	return thread{AtMarkup: markup, w: a.w, channel: channel, ts: ts}, nil
}

// Update renders the review card again from the store (chat.update).
func (a actor) Update(ctx context.Context) error {
	if a.channel == "" || a.cardTS == "" {
		return nil
	}
	w := a.w
	c, err := w.loadCard(ctx, a.profile, a.draftID)
	if err != nil {
		return err
	}
	err = w.call(ctx, "chat.update", func() error {
		_, _, _, err := w.api(ctx).UpdateMessageContext(ctx, a.channel, a.cardTS,
			goslack.MsgOptionText(a.set.Text("slack.card_title", nil)+": "+a.draftID, false), goslack.MsgOptionBlocks(c.blocks(a.set)...))
		return err
	})
	if err != nil {
		return fmt.Errorf("update review card of %s: %w", a.draftID, err)
	}
	return nil
}

// Note tells the reviewer something only they see (chat.postEphemeral).
func (a actor) Note(ctx context.Context, text string) error {
	if a.channel == "" {
		return nil
	}
	err := a.w.call(ctx, "chat.postEphemeral", func() error {
		_, err := a.w.api(ctx).PostEphemeralContext(ctx, a.channel, a.user, goslack.MsgOptionText(text, false))
		return err
	})
	if err != nil {
		return fmt.Errorf("ephemeral reply to %s: %w", a.user, err)
	}
	return nil
}

// botCache remembers for ten minutes whether a Slack user is a bot.
type botCache struct {
	mu   sync.Mutex
	seen map[string]botEntry
}

type botEntry struct {
	bot bool
	at  time.Time
}

// isBot reports whether a Slack user is a bot or an app (users.info); bot ids (B…) and
// Slackbot are bots without asking.
func (w *Worker) isBot(ctx context.Context, user string) (bool, error) {
	if user == "" || user == "USLACKBOT" || strings.HasPrefix(user, "B") {
		return true, nil
	}
	w.bots.mu.Lock()
	e, ok := w.bots.seen[user]
	w.bots.mu.Unlock()
	if ok && w.Clock().Sub(e.at) < 10*time.Minute {
		return e.bot, nil
	}
	var u *goslack.User
	err := w.call(ctx, "users.info", func() error {
		var err error
		u, err = w.api(ctx).GetUserInfoContext(ctx, user)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("users.info %s: %w", user, err)
	}
	bot := u.IsBot || u.ID == "USLACKBOT"
	w.bots.mu.Lock()
	if w.bots.seen == nil {
		w.bots.seen = map[string]botEntry{}
	}
	w.bots.seen[user] = botEntry{bot: bot, at: w.Clock()}
	w.bots.mu.Unlock()
	return bot, nil
}
