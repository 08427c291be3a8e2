package discord

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/whybot/whybot/bot/chat"
	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/rules"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/prompts"
)

// A quick answer's custom id: whybot:pick:CHOICE:TOPIC:THREAD (CHOICE "type" opens the
// form with a number field, whose submission is whybot:pick:percent:TOPIC:THREAD).
const pickAction = "pick"

func pickID(choice string, o chat.Offer) string {
	return customID(pickAction, choice+":"+string(o.Topic)+":"+o.Thread)
}

func parsePick(rest string) (choice string, topic rules.Topic, thread string, ok bool) {
	parts := strings.SplitN(rest, ":", 3)
	if len(parts) != 3 || parts[2] == "" {
		return "", "", "", false
	}
	return parts[0], rules.Topic(parts[1]), parts[2], true
}

// SayWithPicks sends text in the thread with a row of quick answers for each number
// question, once per key; only the people in notify are pinged.
func (t thread) SayWithPicks(ctx context.Context, set *prompts.Set, p *profile.Profile, key, text string, notify []string, offers []chat.Offer) error {
	var rows []discordgo.MessageComponent
	for _, o := range offers {
		if len(rows) == 5 { // Discord's limit of rows in a message
			break
		}
		var buttons []discordgo.MessageComponent
		for _, c := range append(conversation.PickChoices, "type") {
			label := firstName(p, o.To) + ": " + set.Text("pick."+c, nil) // a label shows no mention
			buttons = append(buttons, discordgo.Button{CustomID: pickID(c, o), Label: clip(label, 80), Style: discordgo.SecondaryButton})
		}
		rows = append(rows, discordgo.ActionsRow{Components: buttons})
	}
	msg := &discordgo.MessageSend{Content: clip(text, maxContent), Components: rows, AllowedMentions: noMentions(pings(p, notify)...)}
	return t.w.postOnce(ctx, p.Workspace, key, t.channel, msg)
}

// pickAnswer is the responder's first answer to a quick answer: the form for a figure,
// or a deferred update while the worker takes the answer (or tells the clicker why not).
func pickAnswer(i *discordgo.Interaction, set *prompts.Set, rest string, deferred func(discordgo.InteractionResponseType) (*discordgo.InteractionResponse, error)) (*discordgo.InteractionResponse, error) {
	choice, topic, thread, ok := parsePick(rest)
	if !ok {
		return nil, fmt.Errorf("%w: quick answer %q", ErrMalformed, rest)
	}
	if i.Type == discordgo.InteractionMessageComponent && choice == "type" {
		return modal(set, pickID(conversation.PickPercent, chat.Offer{Topic: topic, Thread: thread}), "pick.modal_title", discordgo.TextInput{CustomID: "percent",
			Label: clip(set.Text("pick.modal_label", nil), 45), Style: discordgo.TextInputShort, Required: true, MinLength: 1, MaxLength: 6}), nil
	}
	return deferred(discordgo.InteractionResponseDeferredMessageUpdate)
}

// pick takes a quick answer from the person who clicked: their answer to the question, or,
// told to them alone, why not.
func (w *Worker) pick(ctx context.Context, i *discordgo.Interaction, rest string, values map[string]string) error {
	choice, topic, threadID, ok := parsePick(rest)
	if !ok {
		return nil
	}
	user := interactionUser(i)
	ws, err := w.workspaceFor(ctx, i.GuildID, user.ID)
	if text, _, ok := chat.SetAside(err); ok {
		return w.followup(ctx, i, text)
	}
	if err != nil || ws == nil {
		return err
	}
	note := func(ctx context.Context, text string) error { return w.followup(ctx, i, text) }
	person, known := ws.Profile.ByDiscord(user.ID)
	if !known {
		set, err := prompts.For(ws.Profile.Language)
		if err != nil {
			return err
		}
		return note(ctx, set.Text("discord.unknown_person", map[string]string{"User": user.ID}))
	}
	th, err := w.Store.Thread(ctx, ws.Profile.Workspace, threadID)
	if err != nil {
		return err
	}
	p := conversation.Pick{Topic: topic, Choice: choice}
	if choice == conversation.PickPercent {
		if f, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(values["percent"]), ",", "."), 64); err == nil {
			p.Percent = &f
		}
	}
	req := conversation.Request{ThreadID: th.ID, As: person.Handle, Pick: &p, Transport: store.TransportDiscord, Channel: th.Channel, Key: "discord-pick:" + i.ID}
	return chat.PickTurn(ctx, w.Engine, thread{AtMarkup: markup, w: w, channel: th.Channel}, note, ws, req)
}

// firstName is a person's first name, for a button's label; else their handle.
func firstName(p *profile.Profile, handle string) string {
	if x, ok := p.Person(handle); ok {
		return x.FirstName()
	}
	return handle
}
