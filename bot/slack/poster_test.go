package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack/slacktest"
	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/bot/slack"
)

// fakeSlack is slacktest's server with the Web API methods whybot calls recorded: every
// chat.postMessage (with increasing ts), chat.update, chat.postEphemeral, views.open and
// users.info (bots are the ids in bots). limited makes the next calls answer 429.
type fakeSlack struct {
	srv      *slacktest.Server
	mu       sync.Mutex
	limited  int // how many 429s to send before accepting
	posts    []map[string]string
	calls    []apiCall
	attempts int
	times    []time.Time
	bots     map[string]bool

	envelopes chan string // Socket Mode: envelopes to send to the connected client
	acks      chan string // Socket Mode: envelope ids the client acknowledged
}

type apiCall struct {
	Method string
	Form   map[string]string // form fields, or the JSON body under "json"
}

func newFakeSlack(t *testing.T) *fakeSlack {
	t.Helper()
	f := &fakeSlack{bots: map[string]bool{}, envelopes: make(chan string, 10), acks: make(chan string, 10)}
	f.srv = slacktest.NewTestServer(func(c slacktest.Customize) {
		for _, m := range []string{"chat.postMessage", "chat.update", "chat.postEphemeral", "views.open", "users.info"} {
			c.Handle("/"+m, f.handle(m))
		}
		c.Handle("/apps.connections.open", func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer xapp-test" {
				_, _ = w.Write([]byte(`{"ok":false,"error":"invalid_auth"}`))
				return
			}
			_, _ = w.Write([]byte(`{"ok":true,"url":"ws://` + r.Host + `/socket"}`))
		})
		c.Handle("/socket", slacktest.Websocket(f.socket))
	})
	f.srv.Start()
	t.Cleanup(f.srv.Stop)
	return f
}

func (f *fakeSlack) handle(method string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form := map[string]string{}
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			form["json"] = string(body)
		} else {
			vals, _ := url.ParseQuery(string(body))
			for k := range vals {
				form[k] = vals.Get(k)
			}
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer xoxb-test" && form["token"] != "xoxb-test" {
			_, _ = w.Write([]byte(`{"ok":false,"error":"invalid_auth"}`))
			return
		}
		if method == "chat.postMessage" {
			f.attempts++
			f.times = append(f.times, time.Now())
		}
		if f.limited > 0 {
			f.limited--
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		f.calls = append(f.calls, apiCall{Method: method, Form: form})
		switch method {
		case "chat.postMessage":
			ts := fmt.Sprintf("1700000000.%06d", 200+len(f.posts))
			form["_ts"] = ts
			f.posts = append(f.posts, form)
			_, _ = w.Write([]byte(`{"ok":true,"channel":"` + form["channel"] + `","ts":"` + ts + `"}`))
		case "chat.update":
			_, _ = w.Write([]byte(`{"ok":true,"channel":"` + form["channel"] + `","ts":"` + form["ts"] + `"}`))
		case "chat.postEphemeral":
			_, _ = w.Write([]byte(`{"ok":true,"message_ts":"1700000001.000001"}`))
		case "views.open":
			_, _ = w.Write([]byte(`{"ok":true,"view":{"id":"V1"}}`))
		case "users.info":
			id := form["user"]
			_, _ = fmt.Fprintf(w, `{"ok":true,"user":{"id":%q,"name":%q,"is_bot":%t}}`, id, strings.ToLower(id), f.bots[id])
		}
	}
}

// socket is Slack's side of a Socket Mode connection: hello, then the queued envelopes;
// acknowledgements are passed on.
func (f *fakeSlack) socket(c *websocket.Conn) {
	if err := c.WriteJSON(map[string]any{"type": "hello", "num_connections": 1}); err != nil {
		return
	}
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		for {
			var ack struct {
				EnvelopeID string `json:"envelope_id"`
			}
			if err := c.ReadJSON(&ack); err != nil {
				return
			}
			f.acks <- ack.EnvelopeID
		}
	}()
	for {
		select {
		case <-closed:
			return
		case env := <-f.envelopes:
			if err := c.WriteMessage(websocket.TextMessage, []byte(env)); err != nil {
				return
			}
		}
	}
}

// callsTo returns the recorded calls of a method.
func (f *fakeSlack) callsTo(method string) []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

func TestPosterPostsInThreadAndHonours429(t *testing.T) {
	t.Parallel()
	f := newFakeSlack(t)
	f.limited = 1
	api := slack.NewAPI(slack.Config{BotToken: "xoxb-test", APIURL: f.srv.GetAPIURL()}, nil)
	p := &slack.Poster{API: api}
	ref, err := p.Post(context.Background(), conversation.Post{Workspace: "w", ThreadID: "t", Channel: slack.ThreadChannel("C1", "1700000000.000100"),
		Text: "Leads rose 30% in October.", ApprovedBy: "luca", IdempotencyKey: "w/d_1"})
	require.NoError(t, err)
	require.Equal(t, "C1/1700000000.000200", ref)
	f.mu.Lock()
	defer f.mu.Unlock()
	require.Equal(t, 2, f.attempts, "one 429, then the post")
	require.GreaterOrEqual(t, f.times[1].Sub(f.times[0]), 900*time.Millisecond, "waited the Retry-After")
	require.Len(t, f.posts, 1)
	require.Equal(t, "C1", f.posts[0]["channel"])
	require.Equal(t, "1700000000.000100", f.posts[0]["thread_ts"], "in the question's thread")
	require.Equal(t, "Leads rose 30% in October.", f.posts[0]["text"])
	var meta struct {
		EventType    string            `json:"event_type"`
		EventPayload map[string]string `json:"event_payload"`
	}
	require.NoError(t, json.Unmarshal([]byte(f.posts[0]["metadata"]), &meta))
	require.Equal(t, "w/d_1", meta.EventPayload["idempotency_key"])
}

func TestPosterGivesUpToTheOutbox(t *testing.T) {
	t.Parallel()
	f := newFakeSlack(t)
	f.limited = 10
	api := slack.NewAPI(slack.Config{BotToken: "xoxb-test", APIURL: f.srv.GetAPIURL()}, nil)
	p := &slack.Poster{API: api, MaxAttempts: 1}
	_, err := p.Post(context.Background(), conversation.Post{Channel: "C1/1.1", Text: "x"})
	require.ErrorContains(t, err, "rate limit")
	_, err = p.Post(context.Background(), conversation.Post{Channel: "C1", Text: "x"})
	require.ErrorContains(t, err, "is not a Slack thread")
	bad := &slack.Poster{API: slack.NewAPI(slack.Config{BotToken: "xoxb-wrong", APIURL: f.srv.GetAPIURL()}, nil)}
	_, err = bad.Post(context.Background(), conversation.Post{Channel: "C1/1.1", Text: "x"})
	require.ErrorContains(t, err, "invalid_auth")
}

// postsTo returns the posts in a channel (and thread, when given).
func (f *fakeSlack) postsTo(channel, threadTS string) []map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []map[string]string
	for _, p := range f.posts {
		if p["channel"] == channel && (threadTS == "" || p["thread_ts"] == threadTS) {
			out = append(out, p)
		}
	}
	return out
}
