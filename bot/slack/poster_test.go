package slack_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/bot/slack"
	"github.com/whybot/whybot/bot/slack/slackfake"
)

func TestPosterPostsInThreadAndHonours429(t *testing.T) {
	t.Parallel()
	f := slackfake.New(t)
	f.Limit(1)
	api := slack.NewAPI(slack.Config{BotToken: "xoxb-test", APIURL: f.URL()}, nil)
	p := &slack.Poster{API: api}
	ref, err := p.Post(context.Background(), conversation.Post{Workspace: "w", ThreadID: "t", Channel: slack.ThreadChannel("C1", "1700000000.000100"),
		Text: "Leads rose 30% in October.", ApprovedBy: "luca", IdempotencyKey: "w/d_1"})
	require.NoError(t, err)
	require.Regexp(t, `^C1/[0-9]{10}\.000200$`, ref)
	attempts, times := f.PostAttempts()
	require.Equal(t, 2, attempts, "one 429, then the post")
	require.GreaterOrEqual(t, times[1].Sub(times[0]), 900*time.Millisecond, "waited the Retry-After")
	posts := f.Posts("", "")
	require.Len(t, posts, 1)
	require.Equal(t, "C1", posts[0]["channel"])
	require.Equal(t, "1700000000.000100", posts[0]["thread_ts"], "in the question's thread")
	require.Equal(t, "Leads rose 30% in October.", posts[0]["text"])
	require.Equal(t, "false", posts[0]["unfurl_links"], "no link previews: Slack would fetch any URL in the answer")
	require.Equal(t, "false", posts[0]["unfurl_media"])
	var meta struct {
		EventType    string            `json:"event_type"`
		EventPayload map[string]string `json:"event_payload"`
	}
	require.NoError(t, json.Unmarshal([]byte(posts[0]["metadata"]), &meta))
	require.Equal(t, "w/d_1", meta.EventPayload["idempotency_key"])
}

// What a reviewer approved is posted as the card showed it: a model-written broadcast,
// mention or masked link stays text.
func TestPosterPostsInertText(t *testing.T) {
	t.Parallel()
	f := slackfake.New(t)
	p := &slack.Poster{API: slack.NewAPI(slack.Config{BotToken: "xoxb-test", APIURL: f.URL()}, nil)}
	text := "<!channel> read <https://evil.example/login|the updated playbook> & ask <@U0LUCA> <!here>"
	_, err := p.Post(context.Background(), conversation.Post{Channel: "C1/1.1", Text: text, IdempotencyKey: "w/d_2"})
	require.NoError(t, err)
	got := f.Posts("C1", "1.1")[0]["text"]
	require.Equal(t, "&lt;!channel&gt; read &lt;https://evil.example/login|the updated playbook&gt; &amp; ask &lt;@U0LUCA&gt; &lt;!here&gt;", got)
	require.NotContains(t, got, "<")
}

func TestPosterGivesUpToTheOutbox(t *testing.T) {
	t.Parallel()
	f := slackfake.New(t)
	f.Limit(10)
	api := slack.NewAPI(slack.Config{BotToken: "xoxb-test", APIURL: f.URL()}, nil)
	p := &slack.Poster{API: api, MaxAttempts: 1}
	_, err := p.Post(context.Background(), conversation.Post{Channel: "C1/1.1", Text: "x"})
	require.ErrorContains(t, err, "rate limit")
	_, err = p.Post(context.Background(), conversation.Post{Channel: "C1", Text: "x"})
	require.ErrorContains(t, err, "is not a Slack thread")
	bad := &slack.Poster{API: slack.NewAPI(slack.Config{BotToken: "xoxb-wrong", APIURL: f.URL()}, nil)}
	_, err = bad.Post(context.Background(), conversation.Post{Channel: "C1/1.1", Text: "x"})
	require.ErrorContains(t, err, "invalid_auth")
}
