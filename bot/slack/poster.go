package slack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/whybot/whybot/bot/conversation"
)

// NewAPI is a Web API client for the bot token; apiURL overrides Slack's (tests, proxies)
// and reaches every call the bot makes.
func NewAPI(cfg Config, log *slog.Logger) *goslack.Client {
	timeout := cfg.CallTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	opts := []goslack.Option{goslack.OptionHTTPClient(&http.Client{Timeout: timeout})}
	if cfg.APIURL != "" {
		u := cfg.APIURL
		if !strings.HasSuffix(u, "/") {
			u += "/" // slack-go appends method names to it
		}
		opts = append(opts, goslack.OptionAPIURL(u))
	}
	if cfg.AppToken != "" {
		opts = append(opts, goslack.OptionAppLevelToken(cfg.AppToken))
	}
	if log != nil {
		opts = append(opts, goslack.OptionLog(slog.NewLogLogger(log.Handler(), slog.LevelDebug)))
	}
	return goslack.New(cfg.BotToken, opts...)
}

// ThreadChannel is how a Slack thread is stored as a conversation's channel:
// "CHANNEL/THREAD_TS".
func ThreadChannel(channel, threadTS string) string { return channel + "/" + threadTS }

// SplitChannel reverses ThreadChannel.
func SplitChannel(s string) (channel, threadTS string, err error) {
	channel, threadTS, ok := strings.Cut(s, "/")
	if !ok || channel == "" || threadTS == "" {
		return "", "", fmt.Errorf("%q is not a Slack thread (CHANNEL/THREAD_TS)", s)
	}
	return channel, threadTS, nil
}

// Poster posts approved answers in the thread of the question (chat.postMessage), as
// inert text: what the reviewer saw on the card is what the channel reads. On HTTP
// 429 it waits the Retry-After Slack sent and tries again, up to MaxAttempts; other errors
// go back to the outbox, which retries later with backoff. Each message carries the draft's
// idempotency key as message metadata; before posting again an answer whose earlier
// attempt may have reached Slack, the thread is searched for it (conversations.replies).
type Poster struct {
	API         *goslack.Client // the single token's client; nil with Teams alone
	Teams       *Teams          // each workspace's team's own client; nil: API for all
	Log         *slog.Logger
	MaxAttempts int // default 5
}

var _ conversation.Poster = (*Poster)(nil)

// Post sends one answer.
func (p *Poster) Post(ctx context.Context, post conversation.Post) (string, error) {
	channel, threadTS, err := SplitChannel(post.Channel)
	if err != nil {
		return "", err
	}
	api, err := clientFor(ctx, p.API, p.Teams, post.Workspace)
	if err != nil {
		return "", fmt.Errorf("post answer of %s: %w", post.Workspace, err)
	}
	opts := []goslack.MsgOption{
		// escaped exactly as the review card showed it: a <!channel>, a <@U…> or a masked
		// <url|label> in the text is shown as typed, never acted on
		goslack.MsgOptionText(escape(post.Text), false),
		goslack.MsgOptionTS(threadTS),
		noUnfurl(),
		goslack.MsgOptionMetadata(goslack.SlackMetadata{EventType: "whybot_answer", EventPayload: map[string]any{"idempotency_key": post.IdempotencyKey, "approved_by": post.ApprovedBy}}),
	}
	if post.Retry {
		ts, found, err := findMessage(ctx, api, channel, threadTS, post.Since, func(m goslack.SlackMetadata) bool {
			return m.EventType == "whybot_answer" && fmt.Sprint(m.EventPayload["idempotency_key"]) == post.IdempotencyKey
		})
		if err != nil {
			return "", fmt.Errorf("look for answer %s in thread %s before posting it again: %w", post.IdempotencyKey, post.Channel, err)
		}
		if found {
			return ThreadChannel(channel, ts), nil // an earlier attempt reached Slack
		}
	}
	var ts string
	err = retryRateLimited(ctx, p.Log, p.MaxAttempts, "chat.postMessage", func() error {
		var err error
		_, ts, err = api.PostMessageContext(ctx, channel, opts...)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("chat.postMessage to %s: %w", channel, err)
	}
	p.picture(ctx, api, channel, threadTS, post)
	return ThreadChannel(channel, ts), nil
}

// picture shares an answer's chart in its thread, with its alt text, after the answer: a
// failure leaves the answer posted and is logged. An answer found already posted on a
// retry gets no second picture.
func (p *Poster) picture(ctx context.Context, api *goslack.Client, channel, threadTS string, post conversation.Post) {
	pic := post.Picture
	if pic == nil || len(pic.PNG) == 0 {
		return
	}
	err := retryRateLimited(ctx, p.Log, p.MaxAttempts, "files.uploadV2", func() error {
		_, err := api.UploadFileContext(ctx, goslack.UploadFileParameters{Reader: bytes.NewReader(pic.PNG), FileSize: len(pic.PNG), Filename: pic.Name,
			Title: pic.Alt, AltTxt: clipRunes(pic.Alt, 1000), Channel: channel, ThreadTimestamp: threadTS})
		return err
	})
	if err != nil && p.Log != nil {
		p.Log.WarnContext(ctx, "the answer's chart was not shared", "channel", channel, "err", err)
	}
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// clientFor is the client of a workspace's team: its installation's with Teams, else the
// single token's.
func clientFor(ctx context.Context, single *goslack.Client, teams *Teams, workspace string) (*goslack.Client, error) {
	if teams == nil {
		return single, nil
	}
	return teams.ForWorkspace(ctx, workspace)
}

// noUnfurl turns off link and media previews: Slack would otherwise fetch any URL in a
// message by itself, which can leak data through a crafted link.
func noUnfurl() goslack.MsgOption {
	return goslack.MsgOptionCompose(goslack.MsgOptionDisableLinkUnfurl(), goslack.MsgOptionDisableMediaUnfurl())
}

// retryRateLimited calls fn until it succeeds, fails with anything but a rate limit, or
// has been tried attempts times (default 5). On HTTP 429 it waits the Retry-After Slack
// sent (slack-go's RateLimitedError) before the next try. Callers call it one request at a
// time per thread, so waiting keeps the thread's messages in order.
func retryRateLimited(ctx context.Context, log *slog.Logger, attempts int, method string, fn func() error) error {
	if attempts <= 0 {
		attempts = 5
	}
	for i := 1; ; i++ {
		err := fn()
		var rl *goslack.RateLimitedError
		if err == nil || !errors.As(err, &rl) || i >= attempts {
			return err
		}
		if log != nil {
			log.WarnContext(ctx, "slack rate limit: waiting as told", "method", method, "retry_after", rl.RetryAfter, "attempt", i)
		}
		t := time.NewTimer(rl.RetryAfter)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
