package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	goslack "github.com/slack-go/slack"

	"github.com/whybot/whybot/bot/chat"
	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/rules"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/workspace"
	"github.com/whybot/whybot/prompts"
)

const (
	pickPrefix   = "pick_"       // action ids: pick_almost_all, pick_half, pick_few, pick_none, pick_type
	pickType     = "pick_type"   // opens the modal with a number field
	callbackPick = "whybot_pick" // the modal's callback id
)

// pickValue is what a quick-answer button carries: the workspace, the thread, the topic.
type pickValue struct {
	Workspace string      `json:"w"`
	Thread    string      `json:"t"`
	Topic     rules.Topic `json:"q"`
}

// SayWithPicks posts text in the thread with, under it, the quick answers of each number
// question, once per key.
func (t thread) SayWithPicks(ctx context.Context, set *prompts.Set, p *profile.Profile, key, text string, _ []string, offers []chat.Offer) error {
	blocks := []goslack.Block{goslack.NewSectionBlock(md(clipText(text, 3000)), nil, nil)}
	for _, o := range offers {
		v, _ := json.Marshal(pickValue{Workspace: p.Workspace, Thread: o.Thread, Topic: o.Topic})
		var buttons []goslack.BlockElement
		for _, c := range append(conversation.PickChoices, "type") {
			buttons = append(buttons, goslack.NewButtonBlockElement(pickPrefix+c, string(v), plain(set.Text("pick."+c, nil))))
		}
		blocks = append(blocks,
			goslack.NewContextBlock("", md(set.Text("pick.for", map[string]any{"Who": mention(p, o.To), "Topic": string(o.Topic)}))),
			goslack.NewActionBlock("picks_"+string(o.Topic), buttons...))
	}
	_, err := t.w.postOnce(ctx, p.Workspace, key, t.channel, t.ts, func(opts ...goslack.MsgOption) (string, error) {
		_, ts, err := t.w.api(ctx).PostMessageContext(ctx, t.channel, append(opts, goslack.MsgOptionText(text, false), goslack.MsgOptionBlocks(blocks...), goslack.MsgOptionTS(t.ts))...)
		return ts, err
	})
	if err != nil {
		return fmt.Errorf("post in thread: %w", err)
	}
	return nil
}

func clipText(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// picker is the person clicking a quick answer, with the thread it answers in.
type picker struct {
	w      *Worker
	ws     *workspace.Workspace
	thread thread
	th     store.Thread
	user   string
	person profile.Person
}

// note tells the clicker alone something, in the thread's channel.
func (k picker) note(ctx context.Context, text string) error {
	_, err := k.w.api(ctx).PostEphemeralContext(ctx, k.thread.channel, k.user, goslack.MsgOptionText(text, false), goslack.MsgOptionTS(k.thread.ts))
	return err
}

// resolve finds the workspace (of the clicking team), the thread and the person; ok is
// false, with the clicker told why when it is about them, when the click is not taken.
func (w *Worker) resolvePick(ctx context.Context, cb goslack.InteractionCallback, v pickValue) (k picker, ok bool, err error) {
	ws, err := w.Registry().Find(ctx, store.WorkspaceKey{ID: v.Workspace})
	if errors.Is(err, store.ErrNotFound) {
		return k, false, nil
	}
	if err != nil {
		return k, false, err
	}
	if ws.Profile.Slack.Team == "" || ws.Profile.Slack.Team != cb.Team.ID {
		w.Logger().WarnContext(ctx, "slack quick answer from another team than the workspace's; ignored", "workspace", v.Workspace, "team", cb.Team.ID)
		return k, false, nil
	}
	th, err := w.Store.Thread(ctx, v.Workspace, v.Thread)
	if err != nil {
		return k, false, err
	}
	channel, ts, err := SplitChannel(th.Channel)
	if err != nil {
		return k, false, err
	}
	k = picker{w: w, ws: ws, th: th, thread: thread{AtMarkup: markup, w: w, channel: channel, ts: ts}, user: cb.User.ID}
	person, known := ws.Profile.BySlack(cb.User.ID)
	if !known {
		set, err := prompts.For(ws.Profile.Language)
		if err != nil {
			return k, false, err
		}
		return k, false, k.note(ctx, set.Text("slack.unknown_person", map[string]string{"User": cb.User.ID}))
	}
	k.person = person
	return k, true, nil
}

// pick handles a quick-answer button: a choice is taken as the clicker's answer; "type a
// number" opens a modal with a number field.
func (w *Worker) pick(ctx context.Context, cb goslack.InteractionCallback, a *goslack.BlockAction) error {
	var v pickValue
	if err := json.Unmarshal([]byte(a.Value), &v); err != nil {
		return fmt.Errorf("quick answer value %q: %w", a.Value, err)
	}
	k, ok, err := w.resolvePick(ctx, cb, v)
	if err != nil || !ok {
		return err
	}
	if a.ActionID == pickType {
		return w.openPickModal(ctx, cb, k, v)
	}
	choice := strings.TrimPrefix(a.ActionID, pickPrefix)
	key := "slack-pick:" + cb.Container.MessageTs + ":" + a.ActionTs + ":" + cb.User.ID
	return k.take(ctx, key, conversation.Pick{Topic: v.Topic, Choice: choice})
}

// take gives the engine the clicker's quick answer and says in the thread what comes of it.
func (k picker) take(ctx context.Context, key string, p conversation.Pick) error {
	req := conversation.Request{ThreadID: k.th.ID, As: k.person.Handle, Pick: &p, Transport: store.TransportSlack, Channel: k.th.Channel, Key: key}
	return chat.PickTurn(ctx, k.w.Engine, k.thread, k.note, k.ws, req)
}

// openPickModal opens the modal where the clicker types a share.
func (w *Worker) openPickModal(ctx context.Context, cb goslack.InteractionCallback, k picker, v pickValue) error {
	set, err := prompts.For(k.th.Language)
	if err != nil {
		return err
	}
	meta, _ := json.Marshal(v)
	input := goslack.NewNumberInputBlockElement(nil, "percent", true)
	input.MinValue, input.MaxValue = "0", "100"
	view := goslack.ModalViewRequest{Type: goslack.VTModal, CallbackID: callbackPick, PrivateMetadata: string(meta),
		Title: plain(set.Text("pick.modal_title", nil)), Submit: plain(set.Text("pick.modal_submit", nil)), Close: plain(set.Text("review.cancel", nil)),
		Blocks: goslack.Blocks{BlockSet: []goslack.Block{goslack.NewInputBlock("percent", plain(set.Text("pick.modal_label", nil)), nil, input)}}}
	if _, err := w.api(ctx).OpenViewContext(ctx, cb.TriggerID, view); err != nil {
		return fmt.Errorf("views.open for a quick answer: %w", err)
	}
	return nil
}

// pickSubmission takes the share typed in the quick-answer modal.
func (w *Worker) pickSubmission(ctx context.Context, cb goslack.InteractionCallback) error {
	var v pickValue
	if err := json.Unmarshal([]byte(cb.View.PrivateMetadata), &v); err != nil {
		return fmt.Errorf("decode quick answer metadata: %w", err)
	}
	k, ok, err := w.resolvePick(ctx, cb, v)
	if err != nil || !ok {
		return err
	}
	p := conversation.Pick{Topic: v.Topic, Choice: conversation.PickPercent}
	raw := strings.ReplaceAll(strings.TrimSpace(cb.View.State.Values["percent"]["percent"].Value), ",", ".")
	if f, err := strconv.ParseFloat(raw, 64); err == nil {
		p.Percent = &f
	}
	return k.take(ctx, "slack-pick-view:"+cb.View.ID+":"+cb.View.Hash, p)
}
