// Package chat is what every chat platform needs from a conversation, written once: take
// a turn and say in the thread what comes of it (the clarifying questions with the people
// mentioned, the holding note and the review card, or the reason a message was refused),
// each message posted once whatever the retries. Slack and Discord implement Platform with
// their own markup, mentions and posting.
package chat

import (
	"context"
	"errors"
	"strings"

	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/bot/delivery"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/workspace"
	"github.com/whybot/whybot/prompts"
)

// Turn takes one turn of a conversation (req.Key is the message's key) and says in the
// thread what comes of it. A message the engine refuses gets the reason; a message another
// delivery already answered gets nothing more; a message in a thread the bot is not in
// returns conversation.ErrNoThread, and nothing is said. It returns the engine's reply.
func Turn(ctx context.Context, eng Engine, pf Platform, ws *workspace.Workspace, req conversation.Request) (conversation.Reply, error) {
	reply, err := eng.Ask(ctx, ws, req)
	return reply, say(ctx, pf, ws.Profile, req.Key, reply, err)
}

// say says in the thread what comes of a turn.
func say(ctx context.Context, pf Platform, p *profile.Profile, key string, reply conversation.Reply, err error) error {
	if errors.Is(err, conversation.ErrNoThread) {
		return err // a message in a thread the bot is not in: the platform decides
	}
	var ue *conversation.UserError
	if errors.As(err, &ue) {
		set, serr := prompts.For(p.Language)
		if serr != nil {
			return serr
		}
		return pf.Say(ctx, p, key+"/refused", pf.Escape(ue.Text(set)), nil) // in the company's language
	}
	if err != nil {
		return err
	}
	if reply.Replayed && reply.Delivery != delivery.HandlingOf(ctx).Key {
		return nil // the other delivery of this message took the turn, and posts
	}
	set, err := prompts.For(reply.Language)
	if err != nil {
		return err
	}
	lines := append([]string(nil), reply.Readback...) // what was read, to confirm or correct
	if reply.Draft == nil {
		var notify []string
		again := map[string]bool{}
		for _, q := range reply.AskedBack {
			lines = append(lines, pf.Mention(p, q.To)+" "+q.Text)
			notify = append(notify, q.To)
			again[string(q.Topic)+"\x00"+q.To] = true
		}
		if reply.Later != "" {
			lines = append(lines, reply.Later)
		}
		var open []string
		for _, q := range reply.Questions {
			if !again[string(q.Topic)+"\x00"+q.To] {
				open = append(open, "• "+pf.Mention(p, q.To)+" "+q.Text)
				notify = append(notify, q.To)
			}
		}
		if len(open) > 0 {
			lines = append(append(lines, set.UI("questions_intro")), open...)
		}
		if len(lines) == 0 {
			return nil
		}
		text := strings.Join(lines, "\n")
		if picker, ok := pf.(Picker); ok {
			if o := offers(reply.Thread, append(reply.AskedBack, reply.Questions...)); len(o) > 0 {
				return picker.SayWithPicks(ctx, set, p, key+"/questions", text, notify, o)
			}
		}
		return pf.Say(ctx, p, key+"/questions", text, notify)
	}
	if err := pf.Say(ctx, p, key+"/pending", strings.Join(append(lines, set.UI("pending")), "\n"), nil); err != nil {
		return err
	}
	return pf.Card(ctx, set, p, reply.Draft.ID, key+"/card")
}
