package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/whybot/whybot/knowledge/store"
)

// Application flags that say the Message Content intent is on (Developer Portal → Bot →
// Privileged Gateway Intents).
const (
	flagMessageContent        = 1 << 18
	flagMessageContentLimited = 1 << 19
)

// Identity is what start-up learns about the bot from Discord.
type Identity struct {
	BotUser        string // the bot's user id
	BotName        string
	MessageContent bool // the privileged Message Content intent is on
}

// ErrUnreachable is wrapped by Check's errors when Discord could not be asked (network,
// 5xx): unlike a refused token, trying again later may work.
var ErrUnreachable = errors.New("Discord did not answer")

// Check asks Discord who the token belongs to and whether the Message Content intent is
// on, so a wrong token or application id stops start-up with a reason, not a silent bot.
func Check(ctx context.Context, s *discordgo.Session, appID string) (Identity, error) {
	var me *discordgo.User
	err := call(ctx, nil, "who am I", func(opts ...discordgo.RequestOption) error {
		var err error
		me, err = s.User("@me", opts...)
		return err
	})
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == 401 {
		return Identity{}, errors.New("DISCORD_BOT_TOKEN was refused by Discord (401): Developer Portal → your application → Bot → Reset Token, and copy the new token")
	}
	if err != nil {
		return Identity{}, fmt.Errorf("%w: reach Discord to check the bot token: %v", ErrUnreachable, err)
	}
	var app *discordgo.Application
	err = call(ctx, nil, "application", func(opts ...discordgo.RequestOption) error {
		raw, err := s.RequestWithBucketID("GET", discordgo.EndpointApplication("@me"), nil, discordgo.EndpointApplication(""), opts...)
		if err == nil {
			err = json.Unmarshal(raw, &app)
		}
		return err
	})
	if err != nil {
		return Identity{}, fmt.Errorf("%w: read the bot's application: %v", ErrUnreachable, err)
	}
	if app.ID != appID {
		return Identity{}, fmt.Errorf("DISCORD_APP_ID %s is not the application of this bot token (%s): copy the Application ID from Developer Portal → General Information of the same application", appID, app.ID)
	}
	return Identity{BotUser: me.ID, BotName: me.Username, MessageContent: app.Flags&(flagMessageContent|flagMessageContentLimited) != 0}, nil
}

// Receiver records a delivery once (the store's inbox).
type Receiver interface {
	Receive(ctx context.Context, in store.Inbound) (bool, error)
}

// Gateway receives interactions and messages over Discord's gateway websocket. Interactions
// go through the same Responder as the HTTP endpoint, answered with the interaction
// callback; messages are recorded in the inbox for the worker.
type Gateway struct {
	Session        *discordgo.Session
	Responder      Answerer
	Inbox          Receiver
	Wake           func()
	MessageContent bool // request the privileged intent (only when the application has it)
	Log            *slog.Logger

	mu      sync.Mutex
	lastErr error // why the last connection attempt failed
}

// Intents are the gateway intents whybot asks for: server messages (mentions, answers in
// threads) and direct messages, plus Message Content when the application has it.
func Intents(messageContent bool) discordgo.Intent {
	i := discordgo.IntentsGuilds | discordgo.IntentsGuildMessages | discordgo.IntentsDirectMessages
	if messageContent {
		i |= discordgo.IntentsMessageContent
	}
	return i
}

func (g *Gateway) log() *slog.Logger {
	if g.Log != nil {
		return g.Log
	}
	return slog.Default()
}

// Ready is the readiness check: the gateway session is connected and has its READY.
func (g *Gateway) Ready(context.Context) error {
	g.Session.RLock()
	defer g.Session.RUnlock()
	if !g.Session.DataReady {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.lastErr != nil {
			return fmt.Errorf("not connected to the Discord gateway, retrying: %w", g.lastErr)
		}
		return errors.New("not connected to the Discord gateway")
	}
	return nil
}

// Run connects and handles events until ctx ends; discordgo reconnects and resumes on
// its own.
func (g *Gateway) Run(ctx context.Context) error {
	s := g.Session
	s.Identify.Intents = Intents(g.MessageContent)
	remove := s.AddHandler(func(s *discordgo.Session, e *discordgo.Event) {
		switch e.Type {
		case "INTERACTION_CREATE":
			g.interaction(ctx, s, e)
		case "MESSAGE_CREATE":
			g.message(ctx, s, e)
		}
	})
	defer remove()
	if !g.connect(ctx) {
		return nil
	}
	g.log().InfoContext(ctx, "discord gateway connected", "intents", int(s.Identify.Intents))
	<-ctx.Done()
	if err := s.Close(); err != nil {
		return fmt.Errorf("close the Discord gateway: %w", err)
	}
	return nil
}

// connect opens the gateway, trying again with backoff (1 s doubling, at most a minute)
// while Discord cannot be reached: a replica whose gateway is down keeps serving
// everything else, and /readyz says why Discord is not ready. It reports false when ctx
// ended first.
func (g *Gateway) connect(ctx context.Context) bool {
	wait := time.Second
	for {
		err := g.Session.Open()
		g.mu.Lock()
		g.lastErr = err
		g.mu.Unlock()
		if err == nil {
			return true
		}
		g.log().WarnContext(ctx, "discord gateway not connected; trying again", "in", wait, "err", err)
		if !Sleep(ctx, wait) {
			return false
		}
		wait = min(2*wait, time.Minute)
	}
}

// Sleep waits d unless ctx ends first; it reports whether it waited.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (g *Gateway) interaction(ctx context.Context, s *discordgo.Session, e *discordgo.Event) {
	ic, ok := e.Struct.(*discordgo.InteractionCreate)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second) // Discord's deadline for the first answer
	defer cancel()
	resp, err := g.Responder.Respond(ctx, e.RawData)
	if err != nil {
		g.log().ErrorContext(ctx, "discord interaction not handled", "id", ic.ID, "err", err)
		return
	}
	if err := s.InteractionRespond(ic.Interaction, resp, discordgo.WithContext(ctx)); err != nil {
		g.log().WarnContext(ctx, "discord interaction answer failed", "id", ic.ID, "err", err)
	}
}

func (g *Gateway) message(ctx context.Context, s *discordgo.Session, e *discordgo.Event) {
	m, ok := e.Struct.(*discordgo.MessageCreate)
	if !ok || m.Author == nil || m.Author.Bot {
		return
	}
	if s.State != nil && s.State.User != nil && m.Author.ID == s.State.User.ID {
		return
	}
	_, err := g.Inbox.Receive(ctx, store.Inbound{Source: "discord", Key: "message:" + m.ID, Payload: e.RawData, ReceivedAt: time.Now().UTC()})
	if err != nil {
		// the gateway does not resend; the message is lost to whybot, and the log says so
		g.log().ErrorContext(ctx, "discord message not recorded", "id", m.ID, "channel", m.ChannelID, "err", err)
		return
	}
	if g.Wake != nil {
		g.Wake()
	}
}

// WhyCommand is the /why slash command.
func WhyCommand() *discordgo.ApplicationCommand {
	minLen := 3
	return &discordgo.ApplicationCommand{
		Name: "why", Type: discordgo.ChatApplicationCommand,
		Description:              "Ask whybot why a number moved, e.g. why did leads rise 30%?",
		DescriptionLocalizations: &map[discordgo.Locale]string{discordgo.Italian: "Chiedi a whybot perché un numero è cambiato"},
		Contexts:                 &[]discordgo.InteractionContextType{discordgo.InteractionContextGuild, discordgo.InteractionContextBotDM},
		Options: []*discordgo.ApplicationCommandOption{{
			Type: discordgo.ApplicationCommandOptionString, Name: "question", Required: true, MinLength: &minLen, MaxLength: 500,
			Description:              "Your question, in your words",
			DescriptionLocalizations: map[discordgo.Locale]string{discordgo.Italian: "La tua domanda, con parole tue"},
		}},
	}
}

// Register replaces the application's commands with /why: globally (guild "") and in each
// server given, where changes show at once.
func Register(ctx context.Context, s *discordgo.Session, appID string, guilds []string) error {
	for _, g := range append([]string{""}, guilds...) {
		err := call(ctx, nil, "register commands", func(opts ...discordgo.RequestOption) error {
			_, err := s.ApplicationCommandBulkOverwrite(appID, g, []*discordgo.ApplicationCommand{WhyCommand()}, opts...)
			return err
		})
		if err != nil {
			where := "globally"
			if g != "" {
				where = "in server " + g
			}
			return fmt.Errorf("register /why %s: %w", where, err)
		}
	}
	return nil
}

// BotPermissions are the permissions the bot is invited with (the integer in the README's
// invite link): see channels, send messages and embeds, make threads from questions and post
// in them, read the history of threads it answers in.
const BotPermissions = discordgo.PermissionViewChannel | discordgo.PermissionSendMessages | discordgo.PermissionSendMessagesInThreads |
	discordgo.PermissionCreatePublicThreads | discordgo.PermissionReadMessageHistory | discordgo.PermissionEmbedLinks
