package discord

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/whybot/whybot/bot/delivery"
)

// postOnce sends a bot message of the delivery being handled at most once
// (delivery.Once). Each part carries a nonce made from the key with enforce_nonce, so
// Discord itself returns the message already made when the same part is sent again within
// minutes; after that, a retry looks through the channel's recent messages for the bot's
// message with the same text. The reference is CHANNEL/MESSAGE of the last part.
func (w *Worker) postOnce(ctx context.Context, workspace, key, channel string, msg *discordgo.MessageSend) error {
	h := delivery.HandlingOf(ctx)
	parts := []string{msg.Content}
	if msg.Content != "" {
		parts = split(msg.Content, maxContent)
	}
	_, err := delivery.Once(ctx, w.Store, delivery.Message{
		Workspace: workspace, Key: key, Retry: h.Retry,
		Find: func(ctx context.Context) (string, bool, error) {
			return findMessage(ctx, w.API, w.Logger(), channel, w.BotUser, h.Since, parts[len(parts)-1], len(msg.Embeds) > 0)
		},
		Post: func(ctx context.Context) (string, error) {
			ref := ""
			for n, part := range parts {
				m := *msg
				m.Content = part
				if n < len(parts)-1 {
					m.Embeds, m.Components = nil, nil // embeds and buttons go with the last part
				}
				id, err := sendWithNonce(ctx, w.API, w.Logger(), channel, &m, nonce(key, n))
				if err != nil {
					return "", err
				}
				ref = channel + "/" + id
			}
			return ref, nil
		},
	}, w.Clock)
	if err != nil {
		return fmt.Errorf("post in channel %s: %w", channel, err)
	}
	return nil
}

// sendWithNonce sends one message with a nonce Discord enforces; it returns its id.
func sendWithNonce(ctx context.Context, api *discordgo.Session, log *slog.Logger, channel string, msg *discordgo.MessageSend, n string) (string, error) {
	body := messageWithNonce{MessageSend: msg, Nonce: n, EnforceNonce: true}
	endpoint := discordgo.EndpointChannelMessages(channel)
	var m discordgo.Message
	err := call(ctx, log, "send message", func(opts ...discordgo.RequestOption) error {
		raw, err := api.RequestWithBucketID("POST", endpoint, body, endpoint, opts...)
		if err != nil {
			return err
		}
		return discordgo.Unmarshal(raw, &m)
	})
	return m.ID, err
}

// findMessage looks through a channel's latest 100 messages for one the bot sent after
// since whose text is text (or, for a card, that has an embed and the same text).
func findMessage(ctx context.Context, api *discordgo.Session, log *slog.Logger, channel, bot string, since time.Time, text string, embed bool) (string, bool, error) {
	var msgs []*discordgo.Message
	err := call(ctx, log, "read messages", func(opts ...discordgo.RequestOption) error {
		var err error
		msgs, err = api.ChannelMessages(channel, 100, "", "", "", opts...)
		return err
	})
	if err != nil {
		return "", false, err
	}
	after := since.Add(-15 * time.Minute) // Discord's clock and ours may differ
	for _, m := range msgs {
		if m.Author == nil || m.Author.ID != bot || (!since.IsZero() && m.Timestamp.Before(after)) {
			continue
		}
		if strings.TrimSpace(m.Content) == strings.TrimSpace(text) && (!embed || len(m.Embeds) > 0) {
			return channel + "/" + m.ID, true, nil
		}
	}
	return "", false, nil
}
