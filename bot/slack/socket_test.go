package slack_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/slack"
	"github.com/whybot/whybot/bot/slack/slackfake"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/storetest"
)

// envelope wraps a payload the way Slack sends it over Socket Mode.
func envelope(t *testing.T, id, typ string, retry int, payload any) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"envelope_id": id, "type": typ, "payload": payload, "retry_attempt": retry, "accepts_response_payload": false})
	require.NoError(t, err)
	return string(b)
}

func (f *flow) ack(t *testing.T, want string) {
	t.Helper()
	select {
	case got := <-f.fake.Acks:
		require.Equal(t, want, got)
	case <-time.After(10 * time.Second):
		t.Fatalf("envelope %s was not acknowledged", want)
	}
}

func TestSocketMode(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		f := newFlow(t, be)
		d, cardTS := f.toDraft(t, "500.000001")

		// the real socketmode client, against the fake's apps.connections.open and websocket;
		// the worker runs with a long poll, so only the socket's wake-ups drive it
		sock := slack.NewSocket(slack.Config{BotToken: "xoxb-test", AppToken: "xapp-test", APIURL: f.fake.URL()}, f.st, f.worker.Wake, slog.New(slog.DiscardHandler))
		sockDone := make(chan error, 1)
		go func() { sockDone <- sock.Run(ctx) }()
		workerDone := make(chan error, 1)
		go func() { workerDone <- f.worker.Run(ctx, time.Hour) }()

		// a mention: acknowledged, then answered in its thread with the questions
		mentionEv := map[string]any{"type": "event_callback", "team_id": "T0ROSSI", "event_id": "EvS1",
			"event": map[string]any{"type": "app_mention", "user": "U0ANNA", "text": "<@UBOT> why did leads rise 30%?", "channel": "C7", "ts": "600.000001"}}
		f.fake.Envelopes <- envelope(t, "env-1", "events_api", 0, mentionEv)
		f.ack(t, "env-1")
		require.Eventually(t, func() bool { return len(f.fake.Posts("C7", "600.000001")) == 1 }, 10*time.Second, 10*time.Millisecond)
		require.Contains(t, f.fake.Posts("C7", "600.000001")[0]["text"], "<@U0GIULIA>")

		// Slack resends it (no ack seen in time): acknowledged again, not handled again
		f.fake.Envelopes <- envelope(t, "env-1b", "events_api", 1, mentionEv)
		f.ack(t, "env-1b")

		// /why arrives as a slash command: the question is posted in the channel, the
		// clarifying questions in its thread
		f.fake.Envelopes <- envelope(t, "env-2", "slash_commands", 0, map[string]string{"command": "/why", "text": "why did leads rise 30%?",
			"user_id": "U0ANNA", "channel_id": "C8", "team_id": "T0ROSSI", "trigger_id": "tr-cmd"})
		f.ack(t, "env-2")
		require.Eventually(t, func() bool { return len(f.fake.Posts("C8", "")) == 2 }, 10*time.Second, 10*time.Millisecond)
		c8 := f.fake.Posts("C8", "")
		require.Equal(t, "<@U0ANNA>: why did leads rise 30%?", c8[0]["text"])
		require.Equal(t, c8[0]["_ts"], c8[1]["thread_ts"], "the conversation is in the question's thread")
		require.Len(t, f.fake.Posts("C7", "600.000001"), 1, "the resent event was handled once")

		// a reviewer's button, through the same handlers as HTTP mode
		f.fake.Envelopes <- envelope(t, "env-3", "interactive", 0, func() map[string]any {
			p := click("T0ROSSI", "U0LUCA", "approve", d.ID, cardTS)
			p["trigger_id"] = "tr-sock-approve"
			return p
		}())
		f.ack(t, "env-3")
		require.Eventually(t, func() bool {
			got, err := f.st.Draft(context.Background(), ws, d.ID)
			return err == nil && got.State == store.DraftApproved
		}, 10*time.Second, 10*time.Millisecond)
		require.Eventually(t, func() bool { return len(f.fake.Calls("chat.update")) == 1 }, 10*time.Second, 10*time.Millisecond)

		cancel()
		require.NoError(t, <-sockDone)
		require.NoError(t, <-workerDone)
	})
}

func TestSocketModeRefusedToken(t *testing.T) {
	t.Parallel()
	f := slackfake.New(t)
	sock := slack.NewSocket(slack.Config{BotToken: "xoxb-test", AppToken: "xapp-revoked", APIURL: f.URL()}, nil, nil, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sock.Run(ctx) }()
	// the refused token does not end the replica's work: the connection is tried again,
	// and readiness says why it is down and how to fix it
	require.Eventually(t, func() bool {
		err := sock.Ready(ctx)
		return err != nil && strings.Contains(err.Error(), "SLACK_APP_TOKEN must be an app-level token (xapp-…) with the connections:write scope")
	}, 10*time.Second, 20*time.Millisecond)
	require.Eventually(t, func() bool { return len(f.Calls("apps.connections.open")) >= 2 }, 10*time.Second, 50*time.Millisecond, "tried again")
	cancel()
	require.NoError(t, <-done)
}
