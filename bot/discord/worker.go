package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/whybot/whybot/bot/chat"
	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/bot/delivery"
	"github.com/whybot/whybot/bot/inbox"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/workspace"
	"github.com/whybot/whybot/prompts"
)

// Conversation ids: a thread in a server is "discord-THREAD", a direct-message channel is
// "discord-dm-CHANNEL"; the thread's stored channel is the Discord channel id either way.
const (
	threadPrefix = "discord-"
	dmPrefix     = "discord-dm-"
)

// Worker handles what the responder and the gateway recorded: /why and mentions start a
// conversation in a thread made from the question, a message in such a thread (or in a
// direct message) is an answer, and the review buttons and forms decide drafts. Questions
// go into the thread mentioning the people who hold the facts; a draft goes to the
// server's review channel as an embed with buttons, and the thread gets a holding note.
// Nothing is posted as an answer here: only approval does that, through the outbox.
type Worker struct {
	chat.Worker
	API     *discordgo.Session
	BotUser string // the bot's user id: its mentions start conversations
}

func (w *Worker) inbox() *inbox.Loop { return w.Deliveries(store.TransportDiscord, w.Handle) }

// Wake tells a running worker a delivery is waiting.
func (w *Worker) Wake() { w.inbox().Wake() }

// Run claims and handles deliveries until ctx ends.
func (w *Worker) Run(ctx context.Context, poll time.Duration) error { return w.inbox().Run(ctx, poll) }

// Drain handles every delivery waiting now; it reports how many it handled.
func (w *Worker) Drain(ctx context.Context) (int, error) { return w.inbox().Drain(ctx) }

// Handle handles one delivery: "interaction:ID" (its answer was already given) or
// "message:ID" from the gateway.
//
// It may be handling a delivery again (after a failed post, a crash, or on another replica
// once the lease ran out): the turn is not taken twice (the engine replays its reply by
// the message's key) and each message is posted once (postOnce).
func (w *Worker) Handle(ctx context.Context, in store.Inbound) error {
	ctx = delivery.WithHandling(ctx, in)
	kind, _, _ := strings.Cut(in.Key, ":")
	switch kind {
	case "interaction":
		var i discordgo.Interaction
		if err := json.Unmarshal(in.Payload, &i); err != nil {
			return fmt.Errorf("decode interaction: %w", err)
		}
		return w.interaction(ctx, &i)
	case "message":
		var m discordgo.Message
		if err := json.Unmarshal(in.Payload, &m); err != nil {
			return fmt.Errorf("decode message: %w", err)
		}
		return w.message(ctx, &m)
	}
	w.Logger().WarnContext(ctx, "discord delivery of an unknown kind; dropped", "key", in.Key)
	return nil
}

func (w *Worker) workspaceFor(ctx context.Context, guild, user string) (*workspace.Workspace, error) {
	if guild != "" {
		return w.Registry().Find(ctx, store.WorkspaceKey{DiscordGuild: guild})
	}
	// a direct message: the company of the person with that Discord id
	rec, _, ok, err := workspace.FindStored(ctx, w.Store, func(p *profile.Profile) bool { _, ok := p.ByDiscord(user); return ok })
	if err != nil || !ok {
		return nil, err
	}
	return w.Registry().Find(ctx, store.WorkspaceKey{ID: rec.ID})
}

func (w *Worker) interaction(ctx context.Context, i *discordgo.Interaction) error {
	switch i.Type {
	case discordgo.InteractionApplicationCommand:
		return w.slash(ctx, i)
	case discordgo.InteractionMessageComponent, discordgo.InteractionModalSubmit:
		return w.review(ctx, i)
	}
	return nil
}

func interactionUser(i *discordgo.Interaction) *discordgo.User {
	if i.Member != nil && i.Member.User != nil {
		return i.Member.User
	}
	return i.User
}

// slash handles /why: the deferred answer becomes the question, a thread is made from it,
// and the conversation goes on there.
func (w *Worker) slash(ctx context.Context, i *discordgo.Interaction) error {
	user := interactionUser(i)
	var question string
	for _, o := range i.ApplicationCommandData().Options {
		if o.Name == "question" && o.Type == discordgo.ApplicationCommandOptionString {
			question = strings.TrimSpace(o.StringValue())
		}
	}
	ws, err := w.workspaceFor(ctx, i.GuildID, user.ID)
	if text, _, ok := chat.SetAside(err); ok {
		w.Logger().WarnContext(ctx, "discord /why for a workspace set aside; the person is told why", "guild", i.GuildID, "err", err)
		_, err := w.editOriginal(ctx, i, text)
		return err
	}
	if err != nil {
		return err
	}
	if ws == nil {
		set, _ := prompts.For("en")
		_, err := w.editOriginal(ctx, i, set.Text("discord.not_connected", map[string]string{"Guild": i.GuildID}))
		return err
	}
	p := ws.Profile
	set, err := prompts.For(p.Language)
	if err != nil {
		return err
	}
	person, known := p.ByDiscord(user.ID)
	if !known {
		_, err := w.editOriginal(ctx, i, set.Text("discord.unknown_person", map[string]string{"User": user.ID}))
		return err
	}
	if reply, ok, err := w.people(nil).Handle(ctx, p, person, question); err != nil || ok { // /why people
		if err == nil {
			_, err = w.editOriginal(ctx, i, reply)
		}
		return err
	}
	msg, err := w.editOriginal(ctx, i, set.Text("discord.asked", map[string]string{"Asker": "<@" + user.ID + ">", "Question": escape(question)}))
	if err != nil {
		return err
	}
	key := "discord-interaction:" + i.ID
	if i.GuildID == "" {
		return w.converse(ctx, ws, person, key, dmPrefix+i.ChannelID, i.ChannelID, question, true)
	}
	// /why inside a conversation's thread is its next turn; anywhere else it starts one
	err = w.converse(ctx, ws, person, key, threadPrefix+i.ChannelID, i.ChannelID, question, false)
	if !errors.Is(err, conversation.ErrNoThread) {
		return err
	}
	thread, err := w.startThread(ctx, set, i.ChannelID, msg.ID, question)
	if err != nil {
		return err
	}
	return w.converse(ctx, ws, person, key, threadPrefix+thread, thread, question, true)
}

// editOriginal replaces the deferred "thinking…" answer of an interaction (its token lives
// 15 minutes; the worker gets to it within seconds).
func (w *Worker) editOriginal(ctx context.Context, i *discordgo.Interaction, text string) (*discordgo.Message, error) {
	var msg *discordgo.Message
	err := call(ctx, w.Logger(), "edit original response", func(opts ...discordgo.RequestOption) error {
		var err error
		msg, err = w.API.InteractionResponseEdit(i, &discordgo.WebhookEdit{Content: &text, AllowedMentions: noMentions()}, opts...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("edit the answer of interaction %s: %w", i.ID, err)
	}
	return msg, nil
}

// threadAlreadyCreated is Discord's error code when a message already has a thread: a
// retried delivery finds the thread it made the first time.
const threadAlreadyCreated = 160004

// startThread makes a public thread from a message; its id is the message's.
func (w *Worker) startThread(ctx context.Context, set *prompts.Set, channel, messageID, question string) (string, error) {
	name := clip(strings.Join(strings.Fields(set.Text("discord.thread_name", map[string]string{"Question": question})), " "), 100)
	err := call(ctx, w.Logger(), "start thread", func(opts ...discordgo.RequestOption) error {
		_, err := w.API.MessageThreadStartComplex(channel, messageID, &discordgo.ThreadStart{Name: name, AutoArchiveDuration: 1440}, opts...)
		return err
	})
	if err != nil && apiCode(err) != threadAlreadyCreated {
		return "", fmt.Errorf("start a thread from message %s: %w", messageID, err)
	}
	return messageID, nil
}

var mentionRe = regexp.MustCompile(`<@!?[0-9]+>`)

// message handles a message from the gateway: a mention of the bot starts a conversation
// in a thread made from it; a message in a conversation's thread, or in a direct message,
// is the next turn.
func (w *Worker) message(ctx context.Context, m *discordgo.Message) error {
	if m.Author == nil || m.Author.Bot || m.Author.System || m.WebhookID != "" ||
		(m.Type != discordgo.MessageTypeDefault && m.Type != discordgo.MessageTypeReply) {
		return nil // bots never speak for people; joins, pins and the like are not messages
	}
	mentioned := m.GuildID == "" || slices.ContainsFunc(m.Mentions, func(u *discordgo.User) bool { return u.ID == w.BotUser })
	ws, err := w.workspaceFor(ctx, m.GuildID, m.Author.ID)
	if text, p, ok := chat.SetAside(err); ok {
		w.Logger().WarnContext(ctx, "discord message for a workspace set aside; the person is told why", "guild", m.GuildID, "err", err)
		if !mentioned {
			return nil
		}
		return w.say(ctx, p.Workspace, "discord-message:"+m.ID+"/set-aside", m.ChannelID, text)
	}
	if err != nil || ws == nil {
		return err
	}
	p := ws.Profile
	id, channel := threadPrefix+m.ChannelID, m.ChannelID
	if m.GuildID == "" {
		id = dmPrefix + m.ChannelID
	}
	set, err := prompts.For(p.Language)
	if err != nil {
		return err
	}
	text := strings.TrimSpace(mentionRe.ReplaceAllStringFunc(m.Content, func(s string) string {
		if strings.Trim(s, "<@!>") == w.BotUser {
			return ""
		}
		return s
	}))
	key := "discord-message:" + m.ID
	person, known := p.ByDiscord(m.Author.ID)
	if text == "" || !known {
		return w.notForTheEngine(ctx, p, set, m, key, id, channel, text, mentioned, known)
	}
	if mentioned {
		reply, ok, err := w.people(m.Mentions).Handle(ctx, p, person, text)
		if err != nil {
			return err
		}
		if ok {
			w.Logger().InfoContext(ctx, "discord people command", "workspace", p.Workspace, "by", person.Handle)
			return w.say(ctx, p.Workspace, key+"/people", m.ChannelID, reply)
		}
	}
	if m.GuildID == "" {
		return w.converse(ctx, ws, person, key, id, channel, text, true) // a direct-message conversation
	}
	// an answer in a conversation's thread; a mention elsewhere starts a conversation in a
	// thread made from it; other chatter is not for the bot
	err = w.converse(ctx, ws, person, key, id, channel, text, false)
	if !errors.Is(err, conversation.ErrNoThread) {
		return err
	}
	if !mentioned {
		return nil
	}
	thread, err := w.startThread(ctx, set, m.ChannelID, m.ID, text)
	if err != nil {
		return err
	}
	return w.converse(ctx, ws, person, key, threadPrefix+thread, thread, text, true)
}

// notForTheEngine answers what the engine does not take, in a conversation or to the bot:
// an empty message (without the Message Content intent, messages that do not mention the
// bot arrive empty: say so once per thread) and someone the profile does not name (told
// how to be added).
func (w *Worker) notForTheEngine(ctx context.Context, p *profile.Profile, set *prompts.Set, m *discordgo.Message, key, id, channel, text string, mentioned, known bool) error {
	_, err := w.Store.Thread(ctx, p.Workspace, id)
	exists := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	switch {
	case !exists && !mentioned:
		return nil // chatter that is not for the bot
	case text == "":
		if exists && m.Content == "" && len(m.Attachments) == 0 {
			return w.say(ctx, p.Workspace, "discord-need-mention:"+channel, channel, set.Text("discord.need_mention", map[string]string{"Bot": "<@" + w.BotUser + ">"}))
		}
		return nil
	case !known:
		unknown := set.Text("discord.unknown_person", map[string]string{"User": m.Author.ID})
		err := w.postOnce(ctx, p.Workspace, key+"/unknown", channel, &discordgo.MessageSend{Content: unknown, AllowedMentions: noMentions(),
			Reference: &discordgo.MessageReference{MessageID: m.ID, ChannelID: m.ChannelID, GuildID: m.GuildID}})
		if err != nil {
			return fmt.Errorf("tell %s how to be added: %w", m.Author.ID, err)
		}
	}
	return nil
}

// converse takes one turn of a conversation and says in the channel what comes of it.
func (w *Worker) converse(ctx context.Context, ws *workspace.Workspace, person profile.Person, key, id, channel, text string, start bool) error {
	req := conversation.Request{As: person.Handle, Text: text, Transport: store.TransportDiscord, Channel: channel, Key: key, Delivery: delivery.HandlingOf(ctx).Key,
		Thread: id, Start: start}
	_, err := chat.Turn(ctx, w.Engine, thread{AtMarkup: markup, w: w, channel: channel}, ws, req)
	return err
}

// markup is how whybot writes in Discord: people by their Discord user id, markdown
// escaped.
var markup = chat.AtMarkup{ID: func(x profile.Person) string { return x.Discord }, Escaper: escape}

// thread is a conversation's Discord channel (a thread, or a direct message), as the chat
// core speaks in it.
type thread struct {
	chat.AtMarkup
	w       *Worker
	channel string
}

// Say posts in the channel, pinging exactly the people to notify.
func (t thread) Say(ctx context.Context, p *profile.Profile, key, text string, notify []string) error {
	return t.w.say(ctx, p.Workspace, key, t.channel, text, pings(p, notify)...)
}

func (t thread) Card(ctx context.Context, set *prompts.Set, p *profile.Profile, draftID, key string) error {
	return t.w.card(ctx, set, p, draftID, key)
}

// pings are the Discord ids of the people to notify.
func pings(p *profile.Profile, notify []string) []string {
	var ping []string
	for _, h := range notify {
		if x, ok := p.Person(h); ok && x.Discord != "" && !slices.Contains(ping, x.Discord) {
			ping = append(ping, x.Discord)
		}
	}
	return ping
}

// say sends a message in a channel once per key; only the users given are pinged.
func (w *Worker) say(ctx context.Context, workspace, key, channel, text string, ping ...string) error {
	return w.postOnce(ctx, workspace, key, channel, &discordgo.MessageSend{Content: text, AllowedMentions: noMentions(ping...)})
}

// send sends a message (split when longer than Discord allows); only the users given are
// pinged.
func send(ctx context.Context, api *discordgo.Session, log *slog.Logger, channel, text string, ping ...string) error {
	for _, part := range split(text, maxContent) {
		err := call(ctx, log, "send message", func(opts ...discordgo.RequestOption) error {
			_, err := api.ChannelMessageSendComplex(channel, &discordgo.MessageSend{Content: part, AllowedMentions: noMentions(ping...)}, opts...)
			return err
		})
		if err != nil {
			return fmt.Errorf("post in channel %s: %w", channel, err)
		}
	}
	return nil
}

// reviewChannel is where a workspace's review cards and reminders go: the profile's
// channel, else the deployment's fallback.
func reviewChannel(p *profile.Profile, fallback string) (string, error) {
	if p.Discord.ReviewChannel != "" {
		return p.Discord.ReviewChannel, nil
	}
	if fallback != "" {
		return fallback, nil
	}
	return "", fmt.Errorf("workspace %s has no Discord review channel: set discord.review_channel in company.yaml or DISCORD_REVIEW_CHANNEL", p.Workspace)
}

func (w *Worker) loadCard(ctx context.Context, p *profile.Profile, draftID string) (*reviewCard, error) {
	r, err := conversation.LoadReview(ctx, w.Store, p.Workspace, draftID)
	if err != nil {
		return nil, err
	}
	return &reviewCard{Review: r, Profile: p}, nil
}

// card posts the review card of a new draft in the workspace's review channel, once per key.
func (w *Worker) card(ctx context.Context, set *prompts.Set, p *profile.Profile, draftID, key string) error {
	review, err := reviewChannel(p, w.ReviewChannel)
	if err != nil {
		return err
	}
	c, err := w.loadCard(ctx, p, draftID)
	if err != nil {
		return err
	}
	embeds, components := c.message(set)
	err = w.postOnce(ctx, p.Workspace, key, review, &discordgo.MessageSend{Embeds: embeds, Components: components, AllowedMentions: noMentions()})
	if err != nil {
		return fmt.Errorf("post review card of %s: %w", draftID, err)
	}
	return nil
}

// people are the people commands; a user's name is the one the message's mentions carry
// (none for /why, whose option is plain text: the handle is then «persona»).
func (w *Worker) people(mentions []*discordgo.User) chat.People {
	return chat.People{Store: w.Store, Platform: "discord", Now: w.Clock, NameOf: func(_ context.Context, id string) (string, error) {
		for _, u := range mentions {
			if u.ID == id {
				return firstNonEmpty(u.GlobalName, u.Username), nil
			}
		}
		return "", nil
	}}
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
