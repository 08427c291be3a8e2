package chat

import (
	"strings"

	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/prompts"
)

// NotReviewer is the one refusal for a person who may not approve, edit or reject drafts,
// on every platform: who can, and the line that makes one a reviewer (setting links the
// person to the platform, e.g. `slack: U0ANNA` or `discord: "1000…"`).
func NotReviewer(set *prompts.Set, m Markup, p *profile.Profile, setting string) string {
	var reviewers []string
	for _, x := range p.People {
		if x.Reviewer {
			reviewers = append(reviewers, m.Mention(p, x.Handle))
		}
	}
	return set.Text("review.not_reviewer", map[string]string{"Company": m.Escape(p.Company), "Reviewers": strings.Join(reviewers, ", "), "Setting": setting})
}

// Decision is a decided draft's line on its review card, on any platform: who decided
// (by, in the platform's mention), when (in its date markup), and how; templates
// PLATFORM.card_rejected and PLATFORM.card_approved, and one text for a superseded draft.
func Decision(set *prompts.Set, platform string, d store.Draft, by, when, reason string) string {
	data := map[string]any{"By": by, "When": when, "Edited": d.Edited, "Reason": reason, "Posted": d.State == store.DraftPosted}
	switch d.State {
	case store.DraftRejected:
		return set.Text(platform+".card_rejected", data)
	case store.DraftApproved, store.DraftPosted:
		return set.Text(platform+".card_approved", data)
	case store.DraftSuperseded:
		return set.Text("review.card_superseded", nil)
	}
	return string(d.State)
}
