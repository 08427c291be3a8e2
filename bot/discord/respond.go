package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/whybot/whybot/bot/chat"
	"github.com/whybot/whybot/knowledge/limits"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/workspace"
	"github.com/whybot/whybot/prompts"
)

// Store is what the responder reads and writes.
type Store interface {
	Workspaces(ctx context.Context) ([]store.Workspace, error)
	Workspace(ctx context.Context, id string) (store.Workspace, error)
	WorkspaceStamp(ctx context.Context, key store.WorkspaceKey) (store.WorkspaceStamp, error)
	Draft(ctx context.Context, workspace, id string) (store.Draft, error)
	Receive(ctx context.Context, in store.Inbound) (bool, error)
}

// Responder gives every interaction its immediate answer, which Discord needs within 3 s:
// PONG to a PING; a deferred response to /why and to Approve and modal submissions, whose
// work is recorded in the inbox for the worker; the Edit and Reject modals (a modal can
// only be the first answer to an interaction); and ephemeral refusals for anyone who may
// not act. The HTTP endpoint writes the answer as its response body; the gateway sends it
// with the interaction callback. Both use this one responder.
type Responder struct {
	Store Store
	Wake  func() // tells the worker a delivery is waiting; may be nil
	Log   *slog.Logger
	Now   func() time.Time
}

// ErrMalformed is wrapped by Respond's errors about the interaction itself (not JSON, no
// user, not one of whybot's): the endpoint answers 400 and nothing is recorded.
var ErrMalformed = errors.New("malformed interaction")

// Custom ids of the review buttons and modals: whybot:ACTION:DRAFT.
const customPrefix = "whybot:"

func customID(action, draftID string) string { return customPrefix + action + ":" + draftID }

func parseCustomID(s string) (action, draftID string, ok bool) {
	rest, found := strings.CutPrefix(s, customPrefix)
	if !found {
		return "", "", false
	}
	action, draftID, ok = strings.Cut(rest, ":")
	return action, draftID, ok && draftID != ""
}

func (r *Responder) log() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.Default()
}

func (r *Responder) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Respond answers one interaction, given as Discord sent it.
func (r *Responder) Respond(ctx context.Context, raw []byte) (*discordgo.InteractionResponse, error) {
	var i discordgo.Interaction
	if err := json.Unmarshal(raw, &i); err != nil {
		return nil, fmt.Errorf("%w: decode interaction: %v", ErrMalformed, err)
	}
	if i.Type == discordgo.InteractionPing {
		return &discordgo.InteractionResponse{Type: discordgo.InteractionResponsePong}, nil
	}
	user := i.User
	if i.Member != nil && i.Member.User != nil {
		user = i.Member.User
	}
	if user == nil || i.ID == "" {
		return nil, fmt.Errorf("%w: interaction without an id or a user", ErrMalformed)
	}
	p, err := r.profileFor(ctx, i.GuildID, user.ID)
	if err != nil {
		return nil, err
	}
	if p == nil {
		set, _ := prompts.For("en")
		return ephemeral(set.Text("discord.not_connected", map[string]string{"Guild": i.GuildID})), nil
	}
	set, err := prompts.For(p.Language)
	if err != nil {
		return nil, err
	}
	deferred := func(t discordgo.InteractionResponseType) (*discordgo.InteractionResponse, error) {
		if err := r.record(ctx, i.ID, raw); err != nil {
			return nil, err
		}
		return &discordgo.InteractionResponse{Type: t}, nil
	}
	switch i.Type {
	case discordgo.InteractionApplicationCommand:
		if i.ApplicationCommandData().Name != "why" {
			return ephemeral(set.Text("discord.unknown_command", nil)), nil
		}
		if user.Bot {
			return ephemeral(set.Text("review.bot_refused", nil)), nil
		}
		return deferred(discordgo.InteractionResponseDeferredChannelMessageWithSource)
	case discordgo.InteractionMessageComponent, discordgo.InteractionModalSubmit:
		return r.reviewAnswer(ctx, &i, p, set, user, deferred)
	}
	return nil, fmt.Errorf("%w: interaction type %d is not handled", ErrMalformed, i.Type)
}

// reviewAnswer is the first answer to a click or a form on a review card: a refusal for
// someone who may not review, a deferred update for Approve and the forms (the worker
// decides), the Edit or Reject form, or the note that the draft was decided already.
func (r *Responder) reviewAnswer(ctx context.Context, i *discordgo.Interaction, p *profile.Profile, set *prompts.Set, user *discordgo.User,
	deferred func(discordgo.InteractionResponseType) (*discordgo.InteractionResponse, error)) (*discordgo.InteractionResponse, error) {
	var id string
	if i.Type == discordgo.InteractionModalSubmit {
		id = i.ModalSubmitData().CustomID
	} else {
		id = i.MessageComponentData().CustomID
	}
	action, draftID, ok := parseCustomID(id)
	if !ok {
		return nil, fmt.Errorf("%w: custom id %q is not whybot's", ErrMalformed, limits.Cut(id))
	}
	if action == pickAction { // a quick answer, not a review: anyone may click, the worker checks who
		return pickAnswer(i, set, draftID, deferred)
	}
	if by, _ := reviewer(p, i); by == "" {
		refusal := refuse(set, p, user)
		r.log().InfoContext(ctx, "discord: someone who may not review tried to act on a draft; refused", "workspace", p.Workspace, "draft", draftID, "user", user.ID, "bot", user.Bot)
		return ephemeral(refusal), nil
	}
	if i.Type == discordgo.InteractionModalSubmit || action == "approve" {
		return deferred(discordgo.InteractionResponseDeferredMessageUpdate)
	}
	d, err := r.Store.Draft(ctx, p.Workspace, draftID)
	if errors.Is(err, store.ErrNotFound) { // not this server's company's draft
		r.log().WarnContext(ctx, "discord: a click on a draft of another company; refused", "workspace", p.Workspace, "draft", draftID, "user", user.ID)
		return ephemeral(set.Text("discord.unknown_draft", map[string]string{"Company": p.Company})), nil
	}
	if err != nil {
		return nil, fmt.Errorf("load draft %s/%s: %w", p.Workspace, draftID, err)
	}
	if d.State != store.DraftPending {
		return ephemeral(chat.AlreadyDecided(set, markup, p, d)), nil
	}
	switch action {
	case "edit":
		if len([]rune(d.Text)) > maxModalText {
			return ephemeral(set.Text("review.too_long", map[string]any{"Draft": d.ID, "Max": maxModalText})), nil
		}
		return modal(set, customID("edit", d.ID), "review.edit_title", discordgo.TextInput{CustomID: "text", Label: clip(set.Text("review.edit_label", nil), 45),
			Style: discordgo.TextInputParagraph, Value: d.Text, Required: true, MinLength: 1, MaxLength: maxModalText}), nil
	case "reject":
		return modal(set, customID("reject", d.ID), "review.reject_title", discordgo.TextInput{CustomID: "reason", Label: clip(set.Text("review.reject_label", nil), 45),
			Style: discordgo.TextInputParagraph, Required: true, MinLength: 3, MaxLength: 1000}), nil
	}
	return nil, fmt.Errorf("%w: unknown review action %q", ErrMalformed, limits.Cut(action))
}

// maxModalText is Discord's limit for a text input.
const maxModalText = 4000

func (r *Responder) record(ctx context.Context, id string, raw []byte) error {
	first, err := r.Store.Receive(ctx, store.Inbound{Source: "discord", Key: "interaction:" + id, Payload: raw, ReceivedAt: r.now().UTC()})
	if err != nil {
		return fmt.Errorf("record interaction %s: %w", id, err)
	}
	if !first {
		r.log().InfoContext(ctx, "discord interaction already received", "id", id)
	}
	if r.Wake != nil {
		r.Wake()
	}
	return nil
}

// profileFor finds the company of an interaction: by server, or in a direct message by the
// person's Discord id.
func (r *Responder) profileFor(ctx context.Context, guild, user string) (*profile.Profile, error) {
	if guild == "" {
		_, p, _, err := workspace.FindStored(ctx, r.Store, func(p *profile.Profile) bool { _, ok := p.ByDiscord(user); return ok })
		return p, err
	}
	st, err := r.Store.WorkspaceStamp(ctx, store.WorkspaceKey{DiscordGuild: guild}) // indexed: within Discord's 3 s at any number of companies
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return workspace.ProfileByID(ctx, r.Store, st.ID)
}

// refuse says why a user may not act on drafts (see reviewer for who may).
func refuse(set *prompts.Set, p *profile.Profile, user *discordgo.User) string {
	if user == nil || user.Bot || user.System {
		return set.Text("review.bot_refused", nil)
	}
	return chat.NotReviewer(set, markup, p, `discord: "`+user.ID+`"`)
}

// mention addresses a person by Discord id when the profile has it.
func mention(p *profile.Profile, handle string) string { return markup.Mention(p, handle) }

func ephemeral(text string) *discordgo.InteractionResponse {
	return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: text, Flags: discordgo.MessageFlagsEphemeral,
			AllowedMentions: &discordgo.MessageAllowedMentions{}}}
}

func modal(set *prompts.Set, id, title string, input discordgo.TextInput) *discordgo.InteractionResponse {
	return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseModal, Data: &discordgo.InteractionResponseData{
		CustomID: id, Title: clip(set.Text(title, nil), 45),
		Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{input}}}}}
}

// clip bounds a label to Discord's limit, in characters.
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
