package chat

import (
	"strings"

	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/prompts"
)

// NotReviewer is the one refusal for a person who may not approve, edit or reject drafts,
// on every platform: who can, and the line that makes one a reviewer (setting links the
// person to the platform, e.g. `slack: U0ANNA` or `discord: "1000…"`).
func NotReviewer(set *prompts.Set, p *profile.Profile, mention func(*profile.Profile, string) string, escape func(string) string, setting string) string {
	var reviewers []string
	for _, x := range p.People {
		if x.Reviewer {
			reviewers = append(reviewers, mention(p, x.Handle))
		}
	}
	return set.Text("review.not_reviewer", map[string]string{"Company": escape(p.Company), "Reviewers": strings.Join(reviewers, ", "), "Setting": setting})
}
