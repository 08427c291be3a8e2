package discord

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/whybot/whybot/bot/chat"
	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/prompts"
)

// reviewer is who may act on drafts, from an interaction's signed user and member: a
// person marked reviewer with that Discord id, or a member of the profile's reviewer role
// (recorded as discord:ID). Bots and apps never are. by is "" when the user may not act.
func reviewer(p *profile.Profile, i *discordgo.Interaction) (by record.Actor, role string) {
	user := interactionUser(i)
	if user == nil || user.Bot || user.System {
		return "", ""
	}
	if x, ok := p.ByDiscord(user.ID); ok && x.Reviewer {
		return record.Person(x.Handle), ""
	}
	if r := p.Discord.ReviewerRole; r != "" && i.Member != nil && i.GuildID == p.Discord.Guild && slices.Contains(i.Member.Roles, r) {
		return record.RoleMember(user.ID), r
	}
	return "", ""
}

// review handles Approve and the Edit and Reject forms of a review card.
func (w *Worker) review(ctx context.Context, i *discordgo.Interaction) error {
	id := ""
	var values map[string]string
	if i.Type == discordgo.InteractionModalSubmit {
		data := i.ModalSubmitData()
		id, values = data.CustomID, inputValues(data.Components)
	} else {
		id = i.MessageComponentData().CustomID
	}
	action, draftID, ok := parseCustomID(id)
	if ok && action == pickAction {
		return w.pick(ctx, i, draftID, values)
	}
	if !ok || i.GuildID == "" {
		return nil // not ours, or not from a server's review channel
	}
	ws, err := w.workspaceFor(ctx, i.GuildID, "")
	if text, _, ok := chat.SetAside(err); ok {
		return w.followup(ctx, i, text)
	}
	if err != nil || ws == nil {
		return err
	}
	p := ws.Profile
	set, err := prompts.For(p.Language)
	if err != nil {
		return err
	}
	by, role := reviewer(p, i)
	if by == "" { // the responder refused already; a profile changed in between lands here
		return w.followup(ctx, i, refuse(set, p, interactionUser(i)))
	}
	var act conversation.Action
	switch {
	case action == "approve" && i.Type == discordgo.InteractionMessageComponent:
		act = conversation.Action{Approve: true}
	case action == "edit" && i.Type == discordgo.InteractionModalSubmit:
		d, err := w.Store.Draft(ctx, p.Workspace, draftID)
		if err != nil {
			return fmt.Errorf("load draft %s/%s: %w", p.Workspace, draftID, err)
		}
		act = conversation.Action{Approve: true, EditedText: values["text"]}
		if strings.TrimSpace(values["text"]) == strings.TrimSpace(d.Text) {
			act.EditedText = "" // submitted unchanged: a plain approval
		}
	case action == "reject" && i.Type == discordgo.InteractionModalSubmit:
		act = conversation.Action{Reason: values["reason"]}
	default:
		return nil
	}
	act.Role = role
	return chat.Decide(ctx, w.Engine, w.Store, card{AtMarkup: markup, w: w, i: i, set: set, p: p, draftID: draftID}, p, draftID, by, act)
}

// inputValues reads a form's text inputs by custom id.
func inputValues(components []discordgo.MessageComponent) map[string]string {
	out := map[string]string{}
	for _, c := range components {
		row, ok := c.(*discordgo.ActionsRow)
		if !ok {
			continue
		}
		for _, x := range row.Components {
			if in, ok := x.(*discordgo.TextInput); ok {
				out[in.CustomID] = in.Value
			}
		}
	}
	return out
}

// card is a review card as a reviewer acts on it through an interaction (chat.Review).
type card struct {
	chat.AtMarkup
	w       *Worker
	i       *discordgo.Interaction
	set     *prompts.Set
	p       *profile.Profile
	draftID string
}

// Note tells the reviewer something only they see.
func (c card) Note(ctx context.Context, text string) error { return c.w.followup(ctx, c.i, text) }

// Update renders the card again from the store.
func (c card) Update(ctx context.Context) error {
	return c.w.updateCard(ctx, c.i, c.set, c.p, c.draftID)
}

// InThread is the question's channel, where the asker is told the answer was declined.
func (c card) InThread(th store.Thread) (chat.Platform, error) {
	return thread{AtMarkup: markup, w: c.w, channel: th.Channel}, nil
}

// updateCard re-renders the review card from the store, without buttons once decided.
func (w *Worker) updateCard(ctx context.Context, i *discordgo.Interaction, set *prompts.Set, p *profile.Profile, draftID string) error {
	if i.Message == nil || i.Message.ID == "" {
		return nil
	}
	channel := i.Message.ChannelID
	if channel == "" {
		channel = i.ChannelID
	}
	c, err := w.loadCard(ctx, p, draftID)
	if err != nil {
		return err
	}
	embeds, components := c.message(set)
	err = call(ctx, w.Logger(), "edit review card", func(opts ...discordgo.RequestOption) error {
		_, err := w.API.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: i.Message.ID, Channel: channel, Embeds: &embeds, Components: &components, AllowedMentions: noMentions()}, opts...)
		return err
	})
	if err != nil {
		return fmt.Errorf("update review card of %s: %w", draftID, err)
	}
	return nil
}

// followup tells the reviewer something only they see (a follow-up on the interaction's
// token, which lives 15 minutes).
func (w *Worker) followup(ctx context.Context, i *discordgo.Interaction, text string) error {
	err := call(ctx, w.Logger(), "follow-up", func(opts ...discordgo.RequestOption) error {
		_, err := w.API.FollowupMessageCreate(i, false, &discordgo.WebhookParams{Content: text, Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: noMentions()}, opts...)
		return err
	})
	if err != nil {
		return fmt.Errorf("ephemeral follow-up to interaction %s: %w", i.ID, err)
	}
	return nil
}
