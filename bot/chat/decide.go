package chat

import (
	"context"
	"errors"
	"fmt"

	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/bot/delivery"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/prompts"
)

// Review is a review card on a platform, as a reviewer acts on it.
type Review interface {
	Markup
	// Note tells the reviewer something only they see.
	Note(ctx context.Context, text string) error
	// Update renders the card again from the store.
	Update(ctx context.Context) error
	// InThread is the platform's side of a conversation's thread.
	InThread(th store.Thread) (Platform, error)
}

// Decide applies a reviewer's decision on a draft through the engine and says what comes
// of it: a refusal is a note to the reviewer in the company's language; a draft someone
// decided before is noted with who decided (not when it is this delivery's own decision,
// handled again); a rejection is told to the asker in the question's thread, once per
// draft and without the draft or the reason; and the card is rendered again.
func Decide(ctx context.Context, eng Engine, st conversation.ReviewStore, rv Review, p *profile.Profile, draftID string, by record.Actor, act conversation.Action) error {
	set, err := prompts.For(p.Language)
	if err != nil {
		return err
	}
	out, err := eng.Decide(ctx, p.Workspace, draftID, by, act)
	var ue *conversation.UserError
	if errors.As(err, &ue) {
		if !errors.Is(err, store.ErrInvalidTransition) && !errors.Is(err, store.ErrConflict) {
			return rv.Note(ctx, rv.Escape(ue.Text(set)))
		}
		out.AlreadyDecided = true // decided before: by someone else, or by this very delivery's first attempt
	} else if err != nil {
		return err
	}
	if out.Draft.State == store.DraftRejected {
		// once per draft, also when this delivery is handled again after a failed post
		if err := Declined(ctx, st, rv, p, out.Draft); err != nil {
			return err
		}
	}
	ownRetry := delivery.HandlingOf(ctx).Retry && out.Draft.DecidedBy == by
	if out.AlreadyDecided && !ownRetry {
		if err := rv.Note(ctx, AlreadyDecided(set, rv, p, out.Draft)); err != nil {
			return err
		}
	}
	return rv.Update(ctx)
}

// AlreadyDecided is the note for a reviewer acting on a draft that was decided before.
func AlreadyDecided(set *prompts.Set, m Markup, p *profile.Profile, d store.Draft) string {
	return set.Text("review.already_decided", map[string]string{"State": string(d.State), "By": Who(m, p, d.DecidedBy)})
}

// Declined tells the asker, in the question's thread and its language, that the answer
// was declined; the draft and the reason stay in the review channel.
func Declined(ctx context.Context, st conversation.ReviewStore, rv Review, p *profile.Profile, d store.Draft) error {
	th, err := st.Thread(ctx, p.Workspace, d.ThreadID)
	if err != nil {
		return fmt.Errorf("load thread %s: %w", d.ThreadID, err)
	}
	lang := th.Language
	if lang == "" {
		lang = p.Language
	}
	set, err := prompts.For(lang)
	if err != nil {
		return err
	}
	pf, err := rv.InThread(th)
	if err != nil {
		return err
	}
	text := set.Text("review.declined", map[string]string{"Asker": pf.Mention(p, th.Asker)})
	return pf.Say(ctx, p, "declined/"+d.ID, text, []string{th.Asker})
}
