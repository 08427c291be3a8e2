package discord

import (
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/whybot/whybot/bot/chat"
	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/rules"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/prompts"
)

// Discord's limits for an embed, in characters.
const (
	maxDescription = 4096
	maxFieldValue  = 1024
	maxEmbedTotal  = 6000
)

// reviewCard is a draft's review as a Discord message: an embed and, while the draft is
// pending, the Approve / Edit / Reject buttons.
type reviewCard struct {
	*conversation.Review
	Profile *profile.Profile
}

// threadLink is a link to the conversation for anyone in the server; a direct message
// cannot be opened by reviewers, so it has none.
func (c *reviewCard) threadLink() string {
	if strings.HasPrefix(c.Thread.ID, dmPrefix) || c.Profile.Discord.Guild == "" {
		return ""
	}
	return "https://discord.com/channels/" + c.Profile.Discord.Guild + "/" + c.Thread.Channel
}

// message renders the card.
func (c *reviewCard) message(set *prompts.Set) (embeds []*discordgo.MessageEmbed, components []discordgo.MessageComponent) {
	p, d := c.Profile, c.Draft
	text, label := d.Text, "discord.card_draft"
	if d.Edited && d.FinalText != "" {
		text, label = d.FinalText, "discord.card_edited"
	}
	question := quote(c.Question, maxFieldValue-100)
	if link := c.threadLink(); link != "" {
		question += "\n[" + set.Text("discord.card_open", nil) + "](" + link + ")"
	}
	e := &discordgo.MessageEmbed{
		Title:       clip(set.Text("discord.card_title", map[string]string{"Company": p.Company}), 256),
		Description: "**" + set.Text(label, nil) + "**\n" + quote(text, 3000),
		Fields: []*discordgo.MessageEmbedField{{
			Name: clip(set.Text("discord.card_question", map[string]string{"Asker": personName(p, c.Thread.Asker)}), 256), Value: question}},
		Footer: &discordgo.MessageEmbedFooter{Text: clip(d.ID+" · "+c.SourceLine(set), 2048)},
		Color:  0x5865F2,
	}
	var lines []string
	for _, f := range c.Evidence.Findings {
		lines = append(lines, fmt.Sprintf("• `%s` %s%s", f.Rule, escape(f.Message), evidence(f)))
	}
	e.Fields = appendField(e.Fields, set.Text("discord.card_rules", nil), lines)
	lines = nil
	for _, r := range c.Readings(set, p) {
		lines = append(lines, "• "+escape(r))
	}
	e.Fields = appendField(e.Fields, set.Text("review.readings", nil), lines)
	lines = nil
	for _, cv := range c.Evidence.Caveats {
		lines = append(lines, "• "+escape(cv))
	}
	e.Fields = appendField(e.Fields, set.Text("discord.card_caveats", nil), lines)
	lines = nil
	for _, k := range c.Evidence.Knowledge {
		lines = append(lines, fmt.Sprintf("• %s (`%s`)", escape(k.Title), strings.ReplaceAll(k.Source, "`", "'")))
	}
	e.Fields = appendField(e.Fields, set.Text("discord.card_knowledge", nil), lines)
	if d.State != store.DraftPending {
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: set.Text("discord.card_decision", nil), Value: clip(c.decision(set), maxFieldValue)})
		e.Color = 0x57F287
		if d.State == store.DraftRejected || d.State == store.DraftSuperseded {
			e.Color = 0xED4245
		}
	}
	fitEmbed(e)
	if d.State != store.DraftPending {
		return []*discordgo.MessageEmbed{e}, []discordgo.MessageComponent{}
	}
	return []*discordgo.MessageEmbed{e}, []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		discordgo.Button{Label: set.Text("review.approve", nil), Style: discordgo.SuccessButton, CustomID: customID("approve", d.ID)},
		discordgo.Button{Label: set.Text("review.edit", nil), Style: discordgo.SecondaryButton, CustomID: customID("edit", d.ID)},
		discordgo.Button{Label: set.Text("review.reject", nil), Style: discordgo.DangerButton, CustomID: customID("reject", d.ID)},
	}}}
}

// decision says who decided, when (Discord shows the time in each reader's own zone),
// and how.
func (c *reviewCard) decision(set *prompts.Set) string {
	d := c.Draft
	when := ""
	if d.DecidedAt != nil {
		when = fmt.Sprintf("<t:%d:f>", d.DecidedAt.Unix())
	}
	return chat.Decision(set, "discord", d, chat.Who(markup, c.Profile, d.DecidedBy), when, escape(d.Reason))
}

func appendField(fields []*discordgo.MessageEmbedField, name string, lines []string) []*discordgo.MessageEmbedField {
	if len(lines) == 0 {
		return fields
	}
	return append(fields, &discordgo.MessageEmbedField{Name: clip(name, 256), Value: clip(strings.Join(lines, "\n"), maxFieldValue)})
}

// fitEmbed keeps an embed within Discord's 6,000 characters by shortening the draft shown
// (the full text is in the store and in `whybot review show`).
func fitEmbed(e *discordgo.MessageEmbed) {
	n := len([]rune(e.Title)) + len([]rune(e.Footer.Text))
	for _, f := range e.Fields {
		n += len([]rune(f.Name)) + len([]rune(f.Value))
	}
	if room := maxEmbedTotal - n; len([]rune(e.Description)) > room {
		e.Description = clip(e.Description, max(room, 100))
	}
	e.Description = clip(e.Description, maxDescription)
}

// quote renders untrusted text as a Discord block quote, at most n characters.
func quote(s string, n int) string {
	return "> " + strings.ReplaceAll(clip(escape(s), n), "\n", "\n> ")
}

// personName is how the card names a person: their Discord mention (embeds never ping)
// or their handle.
func personName(p *profile.Profile, handle string) string { return mention(p, handle) }

func evidence(f rules.Finding) string {
	t := f.EvidenceText()
	if t == "" {
		return ""
	}
	return " *(" + escape(t) + ")*"
}
