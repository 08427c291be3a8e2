package slack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	goslack "github.com/slack-go/slack"
	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/ops"
	"github.com/whybot/whybot/bot/slack"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/storetest"
)

const secret = "8f742231b10e8888abcd99yyyzzz85a5"

// TestSlackSigningExample is the example of Slack's "Verifying requests from Slack" guide.
func TestSlackSigningExample(t *testing.T) {
	t.Parallel()
	body := []byte("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
	want := "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
	require.Equal(t, want, slack.Sign(secret, "1531420618", body))
	h := http.Header{}
	h.Set("X-Slack-Signature", want)
	h.Set("X-Slack-Request-Timestamp", "1531420618")
	sent := time.Unix(1531420618, 0)
	require.NoError(t, slack.Verify(h, body, secret, sent.Add(time.Minute)))
	require.ErrorIs(t, slack.Verify(h, body, secret, sent.Add(6*time.Minute)), slack.ErrStale)
	require.ErrorIs(t, slack.Verify(h, append(body, '!'), secret, sent), slack.ErrBadSignature)
	require.ErrorIs(t, slack.Verify(h, body, "another-secret-of-32-characters!", sent), slack.ErrBadSignature)
	require.ErrorIs(t, slack.Verify(http.Header{}, body, secret, sent), slack.ErrMissingHeaders)
}

// TestAgreesWithSlackGo: slack-go's verifier accepts what Sign produces now.
func TestAgreesWithSlackGo(t *testing.T) {
	t.Parallel()
	body := []byte(`{"type":"event_callback","event_id":"Ev1"}`)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	h := http.Header{}
	h.Set("X-Slack-Signature", slack.Sign(secret, ts, body))
	h.Set("X-Slack-Request-Timestamp", ts)
	sv, err := goslack.NewSecretsVerifier(h, secret)
	require.NoError(t, err)
	_, _ = sv.Write(body)
	require.NoError(t, sv.Ensure())
}

type bundle struct {
	st  store.Store
	srv *httptest.Server
	now time.Time
}

func setup(t testing.TB, be storetest.Backend) *bundle {
	t.Helper()
	b := &bundle{st: be.Open(t), now: time.Now()}
	g := &slack.Ingress{Secret: secret, Inbox: b.st, Now: func() time.Time { return b.now }, Log: slog.New(slog.DiscardHandler)}
	b.srv = httptest.NewServer(g.Handler())
	t.Cleanup(b.srv.Close)
	return b
}

// post sends a request signed at the bundle's clock, or with the given headers.
func (b *bundle) post(t testing.TB, path, contentType string, body []byte, edit func(http.Header)) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.srv.URL+path, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", contentType)
	ts := strconv.FormatInt(b.now.Unix(), 10)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slack.Sign(secret, ts, body))
	if edit != nil {
		edit(req.Header)
	}
	res, err := b.srv.Client().Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(out)
}

func (b *bundle) queued(t testing.TB) []store.Inbound {
	t.Helper()
	got, err := b.st.ClaimInbound(context.Background(), "slack", b.now.Add(time.Hour), time.Minute, 100)
	require.NoError(t, err)
	return got
}

func event(id string) []byte {
	return []byte(fmt.Sprintf(`{"type":"event_callback","team_id":"T1","event_id":%q,"event":{"type":"app_mention","user":"U1","text":"<@UBOT> why did leads rise 30%%?","channel":"C1","ts":"1.1"}}`, id))
}

func TestIngress(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {

		t.Run("RefusedWithoutTrace", func(t *testing.T) {
			t.Parallel()
			b := setup(t, be)
			cases := map[string]func(http.Header){
				"wrong signature": func(h http.Header) { h.Set("X-Slack-Signature", "v0="+strings.Repeat("0", 64)) },
				"no signature":    func(h http.Header) { h.Del("X-Slack-Signature") },
				"no timestamp":    func(h http.Header) { h.Del("X-Slack-Request-Timestamp") },
				"stale": func(h http.Header) {
					ts := strconv.FormatInt(b.now.Add(-6*time.Minute).Unix(), 10)
					h.Set("X-Slack-Request-Timestamp", ts)
					h.Set("X-Slack-Signature", slack.Sign(secret, ts, event("Ev1")))
				},
				"other secret": func(h http.Header) {
					h.Set("X-Slack-Signature", slack.Sign("not-the-secret", h.Get("X-Slack-Request-Timestamp"), event("Ev1")))
				},
			}
			for name, edit := range cases {
				code, _ := b.post(t, "/slack/events", "application/json", event("Ev1"), edit)
				require.Equal(t, http.StatusUnauthorized, code, name)
				code, _ = b.post(t, "/slack/commands", "application/x-www-form-urlencoded", []byte("command=%2Fwhy&trigger_id=1.2.3"), edit)
				require.Equal(t, http.StatusUnauthorized, code, name)
			}
			require.Empty(t, b.queued(t), "refused requests leave nothing behind")
			// a valid signature over a different body is refused too
			code, _ := b.post(t, "/slack/events", "application/json", event("Ev1"), func(h http.Header) {
				h.Set("X-Slack-Signature", slack.Sign(secret, h.Get("X-Slack-Request-Timestamp"), event("Ev2")))
			})
			require.Equal(t, http.StatusUnauthorized, code)
		})

		t.Run("URLVerification", func(t *testing.T) {
			t.Parallel()
			b := setup(t, be)
			code, body := b.post(t, "/slack/events", "application/json", []byte(`{"type":"url_verification","token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}`), nil)
			require.Equal(t, http.StatusOK, code)
			require.Equal(t, "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", body)
			require.Empty(t, b.queued(t))
		})

		t.Run("RetriesQueuedOnce", func(t *testing.T) {
			t.Parallel()
			b := setup(t, be)
			for retry := range 3 {
				code, _ := b.post(t, "/slack/events", "application/json", event("Ev42"), func(h http.Header) {
					if retry > 0 {
						h.Set("X-Slack-Retry-Num", strconv.Itoa(retry))
						h.Set("X-Slack-Retry-Reason", "http_timeout")
					}
				})
				require.Equal(t, http.StatusOK, code)
			}
			got := b.queued(t)
			require.Len(t, got, 1)
			require.Equal(t, "event:Ev42", got[0].Key)
			require.Contains(t, string(got[0].Payload), "why did leads rise 30%")
		})

		t.Run("InteractionsAndCommands", func(t *testing.T) {
			t.Parallel()
			b := setup(t, be)
			payload := `{"type":"block_actions","trigger_id":"111.222.abc","team":{"id":"T1"},"user":{"id":"U9"},"actions":[{"action_id":"approve","value":"d_1"}]}`
			code, _ := b.post(t, "/slack/interactions", "application/x-www-form-urlencoded", []byte("payload="+url.QueryEscape(payload)), nil)
			require.Equal(t, http.StatusOK, code)
			cmd := url.Values{"command": {"/why"}, "text": {"why did leads rise 30%?"}, "team_id": {"T1"}, "user_id": {"U1"}, "channel_id": {"C1"}, "trigger_id": {"333.444.def"}}
			code, _ = b.post(t, "/slack/commands", "application/x-www-form-urlencoded", []byte(cmd.Encode()), nil)
			require.Equal(t, http.StatusOK, code)
			code, _ = b.post(t, "/slack/interactions", "application/x-www-form-urlencoded", []byte("payload=not-json"), nil)
			require.Equal(t, http.StatusBadRequest, code)
			// signed, with a key, but not what Slack sends: 400, never queued to fail five times
			for path, body := range map[string]string{
				"/slack/interactions": "payload=" + url.QueryEscape(`{"type":"block_actions","trigger_id":"555.1","user":"U9","actions":7}`),
				"/slack/events":       `{"type":"event_callback","event_id":"Ev66","event":"not an object"}`,
			} {
				ct := "application/x-www-form-urlencoded"
				if path == "/slack/events" {
					ct = "application/json"
				}
				code, _ = b.post(t, path, ct, []byte(body), nil)
				require.Equal(t, http.StatusBadRequest, code, path)
			}
			got := b.queued(t)
			require.Len(t, got, 2)
			require.Equal(t, "interaction:111.222.abc", got[0].Key)
			require.JSONEq(t, payload, string(got[0].Payload))
			require.Equal(t, "command:333.444.def", got[1].Key)
			var fields map[string]string
			require.NoError(t, json.Unmarshal(got[1].Payload, &fields))
			require.Equal(t, "why did leads rise 30%?", fields["text"])
		})

		t.Run("UnrecordedMeansRetry", func(t *testing.T) {
			t.Parallel()
			b := setup(t, be)
			require.NoError(t, b.st.Close()) // the database is gone
			code, _ := b.post(t, "/slack/events", "application/json", event("Ev7"), nil)
			require.Equal(t, http.StatusInternalServerError, code, "not acknowledged, so Slack retries it")
		})
	})
}

func TestConfig(t *testing.T) {
	t.Parallel()
	env := ops.Pairs
	ok := slack.FromEnv(env("SLACK_BOT_TOKEN", "xoxb-1-2-3", "SLACK_APP_TOKEN", "xapp-1-A-2", "SLACK_REVIEW_CHANNEL", "C0REVIEW"))
	require.NoError(t, ok.Validate())
	require.False(t, ok.HTTPMode())
	httpMode := slack.FromEnv(env("SLACK_BOT_TOKEN", "xoxb-1", "SLACK_SIGNING_SECRET", secret, "SLACK_LISTEN", ":8080", "SLACK_REVIEW_CHANNEL", "C0REVIEW"))
	require.NoError(t, httpMode.Validate())
	require.True(t, httpMode.HTTPMode())

	err := slack.FromEnv(env("SLACK_BOT_TOKEN", "xoxp-user-token", "SLACK_APP_TOKEN", "xoxb-wrong", "SLACK_REVIEW_CHANNEL", "C1")).Validate()
	require.ErrorContains(t, err, `SLACK_BOT_TOKEN starts with "xoxp-", not xoxb-`)
	require.ErrorContains(t, err, `SLACK_APP_TOKEN starts with "xoxb-", not xapp-`)
	require.NotContains(t, err.Error(), "user-token", "secrets are not echoed")
	err = slack.FromEnv(env("SLACK_BOT_TOKEN", "xoxb-1", "SLACK_SIGNING_SECRET", secret)).Validate()
	require.ErrorContains(t, err, "SLACK_LISTEN is empty")
	require.NotContains(t, err.Error(), "SLACK_REVIEW_CHANNEL", "a review channel may come from each profile instead")
	err = slack.FromEnv(env("SLACK_BOT_TOKEN", "xoxb-1", "SLACK_APP_TOKEN", "xapp-1", "SLACK_REVIEW_CHANNEL", "#review")).Validate()
	require.ErrorContains(t, err, `SLACK_REVIEW_CHANNEL "#review" is not a channel id`)
}

// BenchmarkEvents posts signed events over HTTP to the events endpoint (verify, de-duplicate,
// record in the inbox) from parallel clients and reports events per second:
//
//	go test -run x -bench Events -benchtime 5000x ./bot/slack/
func BenchmarkEvents(b *testing.B) {
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			bb := setup(b, be)
			var n atomic.Int64
			b.SetParallelism(4)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					code, _ := bb.post(b, "/slack/events", "application/json", event(fmt.Sprintf("Ev%d", n.Add(1))), nil)
					if code != http.StatusOK {
						b.Fatalf("status %d", code)
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
