package chat

import (
	"context"
	"errors"

	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/rules"
	"github.com/whybot/whybot/knowledge/workspace"
	"github.com/whybot/whybot/prompts"
)

// Offer is a number question offered with quick answers: whose it is and in which thread.
type Offer struct {
	Topic  rules.Topic
	To     string // the handle of the person asked: only they may click
	Thread string // the conversation's thread id
}

// Picker is a platform that offers quick answers under a message («Quasi tutti», «Circa
// metà», «Pochi», «Nessuno», «Scrivo un numero…»).
type Picker interface {
	SayWithPicks(ctx context.Context, set *prompts.Set, p *profile.Profile, key, text string, notify []string, offers []Offer) error
}

// PickTurn takes a quick answer (req.Pick) and says in the thread what comes of it; a
// refusal (a click by someone the question was not put to, a question no longer open)
// goes to the clicker alone, through note.
func PickTurn(ctx context.Context, eng Engine, pf Platform, note func(ctx context.Context, text string) error, ws *workspace.Workspace, req conversation.Request) error {
	reply, err := eng.Ask(ctx, ws, req)
	var ue *conversation.UserError
	if errors.As(err, &ue) {
		set, serr := prompts.For(ws.Profile.Language)
		if serr != nil {
			return serr
		}
		return note(ctx, ue.Text(set))
	}
	return say(ctx, pf, ws.Profile, req.Key, reply, err)
}

// offers are the number questions among a turn's questions, for quick answers.
func offers(thread string, qs []rules.Question) []Offer {
	var out []Offer
	seen := map[Offer]bool{}
	for _, q := range qs {
		o := Offer{Topic: q.Topic, To: q.To, Thread: thread}
		if (q.Topic == rules.TopicLeadQuality || q.Topic == rules.TopicSalesFollowup) && !seen[o] {
			seen[o] = true
			out = append(out, o)
		}
	}
	return out
}
