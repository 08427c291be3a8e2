package slack

import (
	"context"
	"fmt"
	"strings"

	goslack "github.com/slack-go/slack"

	"github.com/whybot/whybot/bot/chat"
	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/rules"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/prompts"
)

// reviewCard is a draft's review, as a Slack card shows it.
type reviewCard struct {
	*conversation.Review
	Profile  *profile.Profile
	Channel  string // where the question was asked
	ThreadTS string
	Link     string // permalink of the question
}

// loadCard reads a draft, its thread and the question.
func (w *Worker) loadCard(ctx context.Context, p *profile.Profile, draftID string) (*reviewCard, error) {
	r, err := conversation.LoadReview(ctx, w.Store, p.Workspace, draftID)
	if err != nil {
		return nil, err
	}
	c := &reviewCard{Review: r, Profile: p}
	if ch, ts, err := SplitChannel(r.Thread.Channel); err == nil {
		c.Channel, c.ThreadTS = ch, ts
		c.Link = permalink(ch, ts)
	}
	return c, nil
}

// permalink is a link to a message that works for anyone in the Slack workspace.
func permalink(channel, ts string) string {
	return "https://slack.com/archives/" + channel + "/p" + strings.ReplaceAll(ts, ".", "")
}

// escape makes untrusted text inert in Slack's mrkdwn: no mentions, links or
// @channel broadcasts can be smuggled in through a question, a draft or a reason.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// quote renders untrusted text as a Slack block quote.
func quote(s string) string {
	const max = 2900 // a section's text is limited to 3,000 characters
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "…"
	}
	return "> " + strings.ReplaceAll(escape(s), "\n", "\n> ")
}

func md(s string) *goslack.TextBlockObject {
	return goslack.NewTextBlockObject(goslack.MarkdownType, s, false, false)
}

func plain(s string) *goslack.TextBlockObject {
	return goslack.NewTextBlockObject(goslack.PlainTextType, s, false, false)
}

// blocks renders the card: the question with a link to the thread, the draft (or the
// approved text), the rules that fired with their evidence, the open caveats, the
// knowledge quoted, and either the three buttons (pending) or who decided, when, and how.
func (c *reviewCard) blocks(set *prompts.Set) []goslack.Block {
	p, d := c.Profile, c.Draft
	blocks := []goslack.Block{
		goslack.NewHeaderBlock(plain(set.Text("slack.card_title", nil) + " · " + p.Company)),
		goslack.NewSectionBlock(md(set.Text("slack.card_question", map[string]string{"Asker": mention(p, c.Thread.Asker), "Channel": c.Channel, "Link": c.Link})+"\n"+quote(c.Question)), nil, nil),
	}
	text, label := d.Text, "slack.card_draft"
	if d.Edited && d.FinalText != "" {
		text, label = d.FinalText, "slack.card_edited"
	}
	blocks = append(blocks, goslack.NewSectionBlock(md(set.Text(label, nil)+"\n"+quote(text)), nil, nil))
	if len(c.Evidence.Findings) > 0 {
		var lines []string
		for _, f := range c.Evidence.Findings {
			lines = append(lines, fmt.Sprintf("• `%s` %s%s", f.Rule, escape(f.Message), evidence(f)))
		}
		blocks = append(blocks, goslack.NewSectionBlock(md(set.Text("slack.card_rules", nil)+"\n"+strings.Join(lines, "\n")), nil, nil))
	}
	if rs := c.Readings(set, p); len(rs) > 0 {
		lines := make([]string, len(rs))
		for i, r := range rs {
			lines[i] = "• " + escape(r)
		}
		blocks = append(blocks, goslack.NewSectionBlock(md("*"+set.Text("review.readings", nil)+"*\n"+strings.Join(lines, "\n")), nil, nil))
	}
	if len(c.Evidence.Caveats) > 0 {
		var lines []string
		for _, cv := range c.Evidence.Caveats {
			lines = append(lines, "• "+escape(cv))
		}
		blocks = append(blocks, goslack.NewSectionBlock(md(set.Text("slack.card_caveats", nil)+"\n"+strings.Join(lines, "\n")), nil, nil))
	}
	if len(c.Evidence.Knowledge) > 0 {
		var lines []string
		for _, k := range c.Evidence.Knowledge {
			lines = append(lines, fmt.Sprintf("• %s (`%s`)", escape(k.Title), escape(k.Source)))
		}
		blocks = append(blocks, goslack.NewSectionBlock(md(set.Text("slack.card_knowledge", nil)+"\n"+strings.Join(lines, "\n")), nil, nil))
	}
	blocks = append(blocks, goslack.NewContextBlock("source_"+d.ID, md(escape(c.SourceLine(set)))))
	if d.State == store.DraftPending {
		value := p.Workspace + "/" + d.ID
		return append(blocks, goslack.NewActionBlock("review_"+d.ID,
			goslack.NewButtonBlockElement("approve", value, plain(set.Text("review.approve", nil))).WithStyle(goslack.StylePrimary),
			goslack.NewButtonBlockElement("edit", value, plain(set.Text("review.edit", nil))),
			goslack.NewButtonBlockElement("reject", value, plain(set.Text("review.reject", nil))).WithStyle(goslack.StyleDanger)))
	}
	return append(blocks, goslack.NewContextBlock("decision_"+d.ID, md(c.decision(set))))
}

// decision says who decided, when (in each reader's own time zone), and how.
func (c *reviewCard) decision(set *prompts.Set) string {
	d := c.Draft
	when := ""
	if d.DecidedAt != nil {
		when = fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", d.DecidedAt.Unix(), d.DecidedAt.UTC().Format("2006-01-02 15:04 UTC"))
	}
	return chat.Decision(set, "slack", d, chat.Who(markup, c.Profile, d.DecidedBy), when, escape(d.Reason))
}

func evidence(f rules.Finding) string {
	t := f.EvidenceText()
	if t == "" {
		return ""
	}
	return " _(" + escape(t) + ")_"
}
