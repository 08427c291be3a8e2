package discord

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"

	"github.com/bwmarrin/discordgo"

	"github.com/whybot/whybot/bot/chat"
	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/knowledge/profile"
)

// Poster posts approved answers in the question's thread (or direct message). Each
// message carries a nonce derived from the draft's idempotency key with enforce_nonce, so
// Discord itself drops a repeat of the same post for a few minutes, for example when a
// replica died after Discord accepted the post and before the outbox recorded it. Answers
// longer than a message are sent in parts, each with its own nonce. Nobody is pinged.
type Poster struct {
	API     *discordgo.Session
	Log     *slog.Logger
	BotUser string // the bot's user id: a retry looks for the bot's own message
	Self    *Self  // or where it will be once Discord said it (serve)
}

// Self is the bot's user id, set once Discord answered who the bot is.
type Self struct{ id atomic.Pointer[string] }

// Set records the id.
func (s *Self) Set(id string) { s.id.Store(&id) }

// ID is the id, or "" while unknown.
func (s *Self) ID() string {
	if s == nil {
		return ""
	}
	if p := s.id.Load(); p != nil {
		return *p
	}
	return ""
}

func (p *Poster) bot() string {
	if p.BotUser != "" {
		return p.BotUser
	}
	return p.Self.ID()
}

var _ conversation.Poster = (*Poster)(nil)

// messageWithNonce is a message as Discord's REST API takes it, with the nonce fields
// discordgo's MessageSend lacks.
type messageWithNonce struct {
	*discordgo.MessageSend
	Nonce        string `json:"nonce"`
	EnforceNonce bool   `json:"enforce_nonce"`
}

// nonce is at most 25 characters, as Discord requires.
func nonce(key string, part int) string {
	sum := sha256.Sum256([]byte(key + "#" + strconv.Itoa(part)))
	return hex.EncodeToString(sum[:])[:25]
}

// Post sends one answer; the reference is CHANNEL/MESSAGE of its first part.
func (p *Poster) Post(ctx context.Context, post conversation.Post) (string, error) {
	if post.Channel == "" {
		return "", fmt.Errorf("draft of thread %s has no Discord channel to post in", post.ThreadID)
	}
	// escaped exactly as the review card showed it: a masked [label](url), a heading or an
	// @everyone in the text is shown as typed; and allowed_mentions pings nobody
	parts := split(escape(post.Text), maxContent)
	ref := ""
	for n, part := range parts {
		// a retry looks for each part: an earlier attempt may have reached Discord with some
		// parts and not others, and the nonces may have expired since
		if bot := p.bot(); post.Retry && bot != "" {
			found, ok, err := findMessage(ctx, p.API, p.Log, post.Channel, bot, post.Since, part, false)
			if err != nil {
				return "", fmt.Errorf("look for answer %s in channel %s before posting it again: %w", post.IdempotencyKey, post.Channel, err)
			}
			if ok {
				if ref == "" {
					ref = found
				}
				continue
			}
		}
		id, err := sendWithNonce(ctx, p.API, p.Log, post.Channel, &discordgo.MessageSend{Content: part, AllowedMentions: noMentions()}, nonce(post.IdempotencyKey, n))
		if err != nil {
			return "", fmt.Errorf("post answer in channel %s: %w", post.Channel, err)
		}
		if ref == "" {
			ref = post.Channel + "/" + id
		}
	}
	p.picture(ctx, post, len(parts))
	return ref, nil
}

// picture attaches an answer's chart after its text, with its alt text as the
// attachment's description, once (its own nonce); a failure leaves the answer posted.
func (p *Poster) picture(ctx context.Context, post conversation.Post, part int) {
	pic := post.Picture
	if pic == nil || len(pic.PNG) == 0 {
		return
	}
	payload := map[string]any{"content": "", "nonce": nonce(post.IdempotencyKey, part), "enforce_nonce": true, "allowed_mentions": noMentions(),
		"attachments": []map[string]any{{"id": 0, "filename": pic.Name, "description": clipRunes(pic.Alt, 1024)}}}
	ctype, body, err := discordgo.MultipartBodyWithJSON(payload, []*discordgo.File{{Name: pic.Name, ContentType: "image/png", Reader: bytes.NewReader(pic.PNG)}})
	if err == nil {
		endpoint := discordgo.EndpointChannelMessages(post.Channel)
		err = call(ctx, p.Log, "send chart", func(opts ...discordgo.RequestOption) error {
			_, err := p.API.RequestWithLockedBucket("POST", endpoint, ctype, body, p.API.Ratelimiter.LockBucket(endpoint), 0, opts...)
			return err
		})
	}
	if err != nil && p.Log != nil {
		p.Log.WarnContext(ctx, "the answer's chart was not sent", "channel", post.Channel, "err", err)
	}
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// Reviews is a workspace's Discord review channel, where reminders go (chat.Notifier);
// only the people reminded are pinged.
type Reviews struct {
	chat.AtMarkup
	api      *discordgo.Session
	fallback string
	log      *slog.Logger
}

// ReviewChannels are the workspaces' review channels; fallback is the channel when a
// profile names none.
func ReviewChannels(api *discordgo.Session, fallback string, log *slog.Logger) Reviews {
	return Reviews{AtMarkup: markup, api: api, fallback: fallback, log: log}
}

// PostReview posts text in the workspace's review channel.
func (r Reviews) PostReview(ctx context.Context, p *profile.Profile, text string, notify []string) error {
	channel, err := reviewChannel(p, r.fallback)
	if err != nil {
		return err
	}
	return send(ctx, r.api, r.log, channel, text, pings(p, notify)...)
}

// PostInThread posts text in a conversation's thread (a Discord thread channel).
func (r Reviews) PostInThread(ctx context.Context, p *profile.Profile, channel, text string, notify []string) error {
	return send(ctx, r.api, r.log, channel, text, pings(p, notify)...)
}
