package main_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/slack"
	"github.com/whybot/whybot/bot/slack/slackfake"
	"github.com/whybot/whybot/knowledge/sample"
)

const signingSecret = "8f742231b10e8888abcd99yyyzzz85a5"

// freeAddr is a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// slackServe starts `whybot serve` on the sample workspace with Slack settings.
func slackServe(t *testing.T, fake *slackfake.Server, env ...string) *lockedBuffer {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "rossi")
	_, _, err := sample.Write(dir)
	require.NoError(t, err)
	cmd := exec.Command(bin, "serve", "--db", filepath.Join(t.TempDir(), "w.db"), "--workspace", dir, "--poll", "100ms")
	cmd.Env = append(os.Environ(), append([]string{"DATABASE_URL=", "SLACK_BOT_TOKEN=xoxb-test", "SLACK_API_URL=" + fake.URL(), "WHYBOT_LOG_LEVEL=info"}, env...)...)
	var serr lockedBuffer
	cmd.Stderr = &serr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		require.NoError(t, cmd.Wait(), serr.String())
	})
	return &serr
}

// signed posts a body to a Slack endpoint of the server, signed as Slack signs.
func signed(t *testing.T, base, path, contentType string, body []byte) int {
	t.Helper()
	return signedWith(t, http.DefaultClient, base, path, contentType, body)
}

// signedWith is signed through a given client.
func signedWith(t *testing.T, client *http.Client, base, path, contentType string, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(body))
	require.NoError(t, err)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slack.Sign(signingSecret, ts, body))
	resp, err := client.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	return resp.StatusCode
}

func mentionEvent(id, user, ts, threadTS, text string) []byte {
	ev := map[string]any{"type": "message", "user": user, "text": text, "channel": "C1", "ts": ts, "channel_type": "channel"}
	if threadTS == "" {
		ev["type"] = "app_mention"
	} else {
		ev["thread_ts"] = threadTS
	}
	b, _ := json.Marshal(map[string]any{"type": "event_callback", "team_id": "T0ROSSI", "event_id": id, "event": ev})
	return b
}

const ctForm = "application/x-www-form-urlencoded"

// cardDraft is the workspace/draft value of a review card's buttons.
func cardDraft(t *testing.T, card map[string]string) string {
	t.Helper()
	var value string
	for _, part := range strings.Split(card["blocks"], `"value":"`)[1:] {
		value = part[:strings.Index(part, `"`)]
	}
	require.True(t, strings.HasPrefix(value, "meccanica_rossi/"), card["blocks"])
	return value
}

// approveForm is the interaction Slack sends when user presses Approve on a review card.
func approveForm(user string, card map[string]string, value string) []byte {
	payload, _ := json.Marshal(map[string]any{"type": "block_actions", "trigger_id": "tr-" + user + "-" + value, "team": map[string]any{"id": "T0ROSSI"}, "user": map[string]any{"id": user},
		"container": map[string]any{"type": "message", "channel_id": "C0REVIEW", "message_ts": card["_ts"]},
		"actions":   []map[string]any{{"type": "button", "block_id": "review", "action_id": "approve", "value": value}}})
	return []byte(url.Values{"payload": {string(payload)}}.Encode())
}

func TestServeSlackHTTP(t *testing.T) {
	t.Parallel()
	fake := slackfake.New(t)
	addr, opsAddr := freeAddr(t), freeAddr(t)
	serr := slackServe(t, fake, "SLACK_SIGNING_SECRET="+signingSecret, "SLACK_LISTEN="+addr, "WHYBOT_OPS_LISTEN="+opsAddr,
		"WHYBOT_LOG_FORMAT=json", "WHYBOT_LOG_LEVEL=debug")
	require.Eventually(t, func() bool { return serr.Contains("Slack over HTTP on " + addr) }, 20*time.Second, 50*time.Millisecond, serr.String())
	base := "http://" + addr
	const q = "1700000100.000001"
	const ctJSON = "application/json"

	// a forged request is refused before anything is read
	req, _ := http.NewRequest(http.MethodPost, base+"/slack/events", strings.NewReader(string(mentionEvent("EvX", "U0ANNA", "1.1", "", "hi"))))
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(time.Now().Unix(), 10))
	req.Header.Set("X-Slack-Signature", "v0=00")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.NoError(t, resp.Body.Close())

	// the question, delivered twice (Slack's retry): one set of clarifying questions
	require.Equal(t, 200, signed(t, base, "/slack/events", ctJSON, mentionEvent("Ev1", "U0ANNA", q, "", "<@UBOT> perché i lead sono aumentati del 30%?")))
	require.Equal(t, 200, signed(t, base, "/slack/events", ctJSON, mentionEvent("Ev1", "U0ANNA", q, "", "<@UBOT> perché i lead sono aumentati del 30%?")))
	require.Eventually(t, func() bool { return len(fake.Posts("C1", q)) == 1 }, 10*time.Second, 20*time.Millisecond)
	require.Contains(t, fake.Posts("C1", q)[0]["text"], "<@U0GIULIA>")

	// answers in the thread, then a draft on the review card
	require.Equal(t, 200, signed(t, base, "/slack/events", ctJSON, mentionEvent("Ev2", "U0GIULIA", q+"1", q, "solo il 40% è in target")))
	require.Equal(t, 200, signed(t, base, "/slack/events", ctJSON, mentionEvent("Ev3", "U0ANNA", q+"2", q, "rispondi comunque")))
	require.Eventually(t, func() bool { return len(fake.Posts("C0REVIEW", "")) == 1 }, 10*time.Second, 20*time.Millisecond)
	card := fake.Posts("C0REVIEW", "")[0]
	value := cardDraft(t, card)
	before := len(fake.Posts("C1", q))

	// the reviewer approves: the answer is posted in the thread once, the card updated
	require.Equal(t, 200, signed(t, base, "/slack/interactions", ctForm, approveForm("U0LUCA", card, value)))
	require.Eventually(t, func() bool { return len(fake.Posts("C1", q)) == before+1 && len(fake.Calls("chat.update")) == 1 }, 10*time.Second, 20*time.Millisecond, serr.String())
	answer := fake.Posts("C1", q)[before]
	require.Contains(t, answer["metadata"], value, "the post carries the draft's idempotency key")
	require.Contains(t, fake.Calls("chat.update")[0].Form["blocks"], "Approvata da")

	// what happened is in the metrics; the post is counted once Slack's answer to it is
	// recorded, a moment after the fake has it: wait for that state
	metrics := func() string {
		resp, err := http.Get("http://" + opsAddr + "/metrics")
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}
	require.Eventually(t, func() bool { return strings.Contains(metrics(), `whybot_drafts{state="posted"} 1`+"\n") }, 10*time.Second, 20*time.Millisecond)
	body := metrics()
	for _, line := range []string{
		`whybot_events_received_total{transport="slack"} 4`, // question, two answers, approval
		`whybot_events_deduplicated_total{transport="slack"} 1`,
		`whybot_questions_total{transport="slack"} 1`,
		`whybot_turns_total{transport="slack"} 3`,
		`whybot_rule_evaluations_total 3`,
		`whybot_decisions_total{edited="false",state="approved"} 1`,
		`whybot_approval_latency_seconds_count 1`,
		`whybot_posts_total{transport="slack"} 1`,
		`whybot_approval_to_post_seconds_count{transport="slack"} 1`,
		`whybot_drafts{state="posted"} 1`,
		`whybot_drafts{state="pending_approval"} 0`,
	} {
		require.Contains(t, string(body), line+"\n")
	}

	// the logs are JSON, with request and delivery ids, and hold no secret, no message
	// text and no name
	logs := serr.String()
	var requestIDs, deliveries int
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		if strings.HasPrefix(line, "whybot: ") {
			continue // the start-up line for people
		}
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), line)
		require.Contains(t, rec, "level")
		if rec["request_id"] != nil {
			requestIDs++
		}
		if rec["delivery"] != nil {
			deliveries++
		}
	}
	require.Positive(t, requestIDs, logs)
	require.Positive(t, deliveries, logs)
	for _, secret := range []string{signingSecret, "xoxb-test", "lead sono aumentati", "solo il 40%", "rispondi comunque", "Giulia Bianchi", "Rossi,", "Luca Neri"} {
		require.NotContains(t, logs, secret)
	}
}

func TestServeSlackSocketMode(t *testing.T) {
	t.Parallel()
	fake := slackfake.New(t)
	opsAddr := freeAddr(t)
	serr := slackServe(t, fake, "SLACK_APP_TOKEN=xapp-test", "WHYBOT_OPS_LISTEN="+opsAddr)
	require.Eventually(t, func() bool { return serr.Contains("Slack in Socket Mode") && serr.Contains("socket mode connected") }, 20*time.Second, 50*time.Millisecond, serr.String())
	// ready once connected, with the connection named among the checks
	resp, err := http.Get("http://" + opsAddr + "/readyz")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, 200, resp.StatusCode, string(body))
	require.Contains(t, string(body), `"check":"slack","status":"ok"`)
	env, _ := json.Marshal(map[string]any{"envelope_id": "e1", "type": "events_api",
		"payload": json.RawMessage(mentionEvent("EvS", "U0ANNA", "1700000200.000001", "", "<@UBOT> why did leads rise 30%?"))})
	fake.Envelopes <- string(env)
	select {
	case id := <-fake.Acks:
		require.Equal(t, "e1", id)
	case <-time.After(10 * time.Second):
		t.Fatal("not acknowledged")
	}
	require.Eventually(t, func() bool { return len(fake.Posts("C1", "1700000200.000001")) == 1 }, 10*time.Second, 20*time.Millisecond)
}

func TestServeSlackSettingsRefused(t *testing.T) {
	t.Parallel()
	_, stderr, code := runWith(t, []string{"SLACK_BOT_TOKEN=xoxp-user-secret", "SLACK_APP_TOKEN=xapp-1"}, "serve")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "the Slack settings are not usable")
	require.Contains(t, stderr, `SLACK_BOT_TOKEN starts with "xoxp-", not xoxb-`)
	require.NotContains(t, stderr, "user-secret")

	// a workspace without a review channel is named at start-up
	dir := filepath.Join(t.TempDir(), "ws")
	prof, _, err := sample.Write(dir)
	require.NoError(t, err)
	y, err := os.ReadFile(prof)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(prof, []byte(strings.Replace(string(y), "  review_channel: C0REVIEW\n", "", 1)), 0o644))
	_, stderr, code = runWith(t, []string{"DATABASE_URL=", "SLACK_BOT_TOKEN=xoxb-1", "SLACK_APP_TOKEN=xapp-1"}, "serve", "--db", filepath.Join(t.TempDir(), "w.db"), "--workspace", dir)
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "workspace meccanica_rossi (Slack team T0ROSSI) has no review channel")
}

// SIGKILL while Slack is still processing an approved answer's post, on the embedded
// SQLite store: after a restart and the lease, whybot finds the post in the thread by its
// key and records it; Slack has the answer once.
func TestServeSlackKilledMidPost(t *testing.T) {
	t.Parallel()
	fake := slackfake.New(t)
	dir := filepath.Join(t.TempDir(), "rossi")
	_, _, err := sample.Write(dir)
	require.NoError(t, err)
	db := filepath.Join(t.TempDir(), "w.db")
	addr := freeAddr(t)
	env := append(os.Environ(), "DATABASE_URL=", "SLACK_BOT_TOKEN=xoxb-test", "SLACK_API_URL="+fake.URL(), "SLACK_SIGNING_SECRET="+signingSecret,
		"SLACK_LISTEN="+addr, "WHYBOT_LEASE=3s", "WHYBOT_SWEEP_EVERY=1s", "WHYBOT_LOG_LEVEL=info")
	start := func() (*exec.Cmd, *lockedBuffer) {
		cmd := exec.Command(bin, "serve", "--db", db, "--workspace", dir, "--poll", "100ms")
		cmd.Env = env
		var serr lockedBuffer
		cmd.Stderr = &serr
		require.NoError(t, cmd.Start())
		require.Eventually(t, func() bool { return serr.Contains("Slack over HTTP on " + addr) }, 20*time.Second, 50*time.Millisecond, serr.String())
		return cmd, &serr
	}
	cmd, serr := start()
	base := "http://" + addr
	const q = "1700000900.000001"
	require.Equal(t, 200, signed(t, base, "/slack/events", "application/json", mentionEvent("Ek1", "U0ANNA", q, "", "<@UBOT> perché i lead sono aumentati del 30%?")))
	require.Eventually(t, func() bool { return len(fake.Posts("C1", q)) == 1 }, 10*time.Second, 20*time.Millisecond, serr.String())
	require.Equal(t, 200, signed(t, base, "/slack/events", "application/json", mentionEvent("Ek2", "U0GIULIA", q+"1", q, "solo il 40% è in target")))
	require.Equal(t, 200, signed(t, base, "/slack/events", "application/json", mentionEvent("Ek3", "U0ANNA", q+"2", q, "rispondi comunque")))
	require.Eventually(t, func() bool { return len(fake.Posts("C0REVIEW", "")) == 1 }, 10*time.Second, 20*time.Millisecond, serr.String())
	card := fake.Posts("C0REVIEW", "")[0]

	fake.Slow("C1", 20*time.Second) // Slack takes the post and is slow to answer
	require.Equal(t, 200, signed(t, base, "/slack/interactions", ctForm, approveForm("U0LUCA", card, cardDraft(t, card))))
	require.Eventually(t, func() bool { return answers(fake, q) == 1 }, 10*time.Second, 5*time.Millisecond, serr.String())
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	fake.Slow("", 0)

	cmd, serr = start()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		require.NoError(t, cmd.Wait(), serr.String())
	})
	require.Eventually(t, func() bool {
		out, _, code := run(t, "", "audit", "slack-C1-"+q, "--db", db, "--json")
		return code == 0 && strings.Contains(out, `"kind": "posted"`)
	}, 30*time.Second, 200*time.Millisecond, serr.String())
	stays(t, 2*time.Second, func() bool { return answers(fake, q) == 1 }, "the answer was posted twice")
	require.NotEmpty(t, fake.Calls("conversations.replies"), "the thread was searched before posting again")
}
