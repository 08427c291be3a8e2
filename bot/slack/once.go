package slack

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/whybot/whybot/bot/delivery"
)

// messageEventType is the metadata event type of every bot message but answers
// (whybot_answer), carrying the message's key.
const messageEventType = "whybot_message"

func keyMetadata(key string) goslack.MsgOption {
	return goslack.MsgOptionMetadata(goslack.SlackMetadata{EventType: messageEventType, EventPayload: map[string]any{"key": key}})
}

// postOnce posts a bot message of the delivery being handled at most once (delivery.Once):
// in a thread (threadTS) or at the top of a channel. post gets the options that carry
// the key and returns the message's ts.
func (w *Worker) postOnce(ctx context.Context, workspace, key, channel, threadTS string, post func(opts ...goslack.MsgOption) (string, error)) (string, error) {
	h := delivery.HandlingOf(ctx)
	ref, err := delivery.Once(ctx, w.Store, delivery.Message{
		Workspace: workspace, Key: key, Retry: h.Retry,
		Find: func(ctx context.Context) (string, bool, error) {
			ts, found, err := findMessage(ctx, w.api(ctx), channel, threadTS, h.Since, func(m goslack.SlackMetadata) bool {
				return m.EventType == messageEventType && fmt.Sprint(m.EventPayload["key"]) == key
			})
			return ThreadChannel(channel, ts), found, err
		},
		Post: func(ctx context.Context) (string, error) {
			var ts string
			err := w.call(ctx, "chat.postMessage", func() error {
				var err error
				ts, err = post(keyMetadata(key), noUnfurl())
				return err
			})
			return ThreadChannel(channel, ts), err
		},
	}, w.Clock)
	if err != nil {
		return "", err
	}
	_, ts, err := SplitChannel(ref)
	return ts, err
}

// lookBack is how long before a delivery was received a message it posted may be dated:
// the platform's clock and ours may differ.
const lookBack = 15 * time.Minute

// findMessage looks for a message the bot posted whose metadata matches: in a thread's
// replies, or (threadTS empty) in the channel's history since a moment. It reads at most
// a few pages: an earlier attempt of the same delivery posted within minutes.
func findMessage(ctx context.Context, api *goslack.Client, channel, threadTS string, since time.Time, match func(goslack.SlackMetadata) bool) (string, bool, error) {
	cursor := ""
	for page := 0; page < 5; page++ {
		var msgs []goslack.Message
		var more bool
		err := retryRateLimited(ctx, nil, 0, "conversations.history", func() error {
			var err error
			if threadTS != "" {
				msgs, more, cursor, err = api.GetConversationRepliesContext(ctx, &goslack.GetConversationRepliesParameters{
					ChannelID: channel, Timestamp: threadTS, Cursor: cursor, Limit: 200, IncludeAllMetadata: true})
				return err
			}
			oldest := ""
			if !since.IsZero() {
				oldest = strconv.FormatInt(since.Add(-lookBack).Unix(), 10) + ".000000"
			}
			var resp *goslack.GetConversationHistoryResponse
			resp, err = api.GetConversationHistoryContext(ctx, &goslack.GetConversationHistoryParameters{
				ChannelID: channel, Cursor: cursor, Limit: 200, Oldest: oldest, IncludeAllMetadata: true})
			if resp != nil {
				msgs, more, cursor = resp.Messages, resp.HasMore, resp.ResponseMetaData.NextCursor
			}
			return err
		})
		if err != nil {
			return "", false, err
		}
		for _, m := range msgs {
			if match(m.Metadata) {
				return m.Timestamp, true, nil
			}
		}
		if !more || cursor == "" {
			return "", false, nil
		}
	}
	return "", false, errors.New("too many messages to look through")
}
