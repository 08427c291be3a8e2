// Package slackfake is a fake Slack for tests, on loopback: slacktest's server plus the
// Web API methods whybot calls, recorded (chat.postMessage with increasing ts,
// chat.update, chat.postEphemeral, views.open, users.info, and conversations.replies and
// conversations.history, which return the posted messages with their metadata when
// include_all_metadata is set), 429 on demand, HTTP 500 on demand, slow answers (a post
// is accepted at once and its answer held), and Socket Mode (apps.connections.open and a
// websocket). Every call must carry the bot token xoxb-test (Socket Mode: the app token
// xapp-test), or it is refused with invalid_auth.
package slackfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack/slacktest"
)

// Server is a fake Slack; New starts it and stops it when the test ends.
type Server struct {
	Srv      *slacktest.Server
	mu       sync.Mutex
	limited  int            // how many 429s to send before accepting
	failing  map[string]int // method → how many HTTP 500s to send before accepting
	slow     time.Duration  // how long a chat.postMessage answer is held after it was accepted
	slowIn   string         // only in this channel ("" any)
	posts    []map[string]string
	calls    []Call
	attempts int
	times    []time.Time
	bots     map[string]bool
	names    map[string]string // users.info real_name
	tokens   map[string]string // bot token → team ("" for xoxb-test, any team)
	grants   map[string]Grant  // oauth.v2.access: code → what it grants, used once
	uploads  map[string]*Upload
	upOrder  []string

	Envelopes chan string // Socket Mode: envelopes to send to the connected client
	Acks      chan string // Socket Mode: envelope ids the client acknowledged
}

// Call is one recorded Web API call.
type Call struct {
	Method string
	Form   map[string]string // form fields, or the JSON body under "json"
	Token  string            // the bot token it carried
	Team   string            // the team of that token ("" for xoxb-test)
}

// Upload is a file shared through files.getUploadURLExternal, the upload itself and
// files.completeUploadExternal.
type Upload struct {
	ID, Filename, Alt, Title string
	Token                    string // the bot token of getUploadURLExternal
	Length                   int    // the length announced
	Bytes                    []byte // what was uploaded
	Channel, ThreadTS        string // where it was shared ("" until completed)
}

// Grant is what an OAuth code is exchanged for at oauth.v2.access.
type Grant struct {
	ClientID, ClientSecret, RedirectURI string // what the exchange must carry
	Team, TeamName, Token, BotUser      string
	Installer                           string // the Slack user who installed
}

// The app's OAuth credentials the fake's grants expect unless told otherwise.
const (
	ClientID     = "1111.2222"
	ClientSecret = "fake-client-secret-0123456789"
)

// New starts a fake Slack.
func New(t testing.TB) *Server {
	t.Helper()
	f := &Server{bots: map[string]bool{}, names: map[string]string{}, failing: map[string]int{}, tokens: map[string]string{"xoxb-test": ""}, grants: map[string]Grant{}, uploads: map[string]*Upload{}, Envelopes: make(chan string, 10), Acks: make(chan string, 10)}
	f.Srv = slacktest.NewTestServer(func(c slacktest.Customize) {
		for _, m := range []string{"chat.postMessage", "chat.update", "chat.postEphemeral", "views.open", "users.info", "conversations.replies", "conversations.history"} {
			c.Handle("/"+m, f.handle(m))
		}
		c.Handle("/oauth.v2.access", f.oauthAccess)
		c.Handle("/files.getUploadURLExternal", f.handle("files.getUploadURLExternal"))
		c.Handle("/files.completeUploadExternal", f.handle("files.completeUploadExternal"))
		c.Handle("/upload/", f.upload)
		c.Handle("/apps.connections.open", func(w http.ResponseWriter, r *http.Request) {
			f.mu.Lock()
			f.calls = append(f.calls, Call{Method: "apps.connections.open", Form: map[string]string{}})
			f.mu.Unlock()
			if r.Header.Get("Authorization") != "Bearer xapp-test" {
				_, _ = w.Write([]byte(`{"ok":false,"error":"invalid_auth"}`))
				return
			}
			_, _ = w.Write([]byte(`{"ok":true,"url":"ws://` + r.Host + `/socket"}`))
		})
		c.Handle("/socket", slacktest.Websocket(f.socket))
	})
	f.Srv.Start()
	t.Cleanup(f.Srv.Stop)
	return f
}

func (f *Server) handle(method string) http.HandlerFunc {
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
		for k, v := range r.URL.Query() {
			if _, ok := form[k]; !ok {
				form[k] = v[0]
			}
		}
		f.mu.Lock()
		slow := f.slow
		if f.slowIn != "" && f.slowIn != form["channel"] {
			slow = 0
		}
		locked := true
		defer func() {
			if locked {
				f.mu.Unlock()
			}
		}()
		token := firstNonEmpty(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), form["token"])
		team, known := f.tokens[token]
		if !known {
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
		for _, k := range []string{method + ":" + form["channel"], method} {
			if f.failing[k] > 0 {
				f.failing[k]--
				w.WriteHeader(http.StatusInternalServerError)
				_, _ = w.Write([]byte("internal error"))
				return
			}
		}
		f.calls = append(f.calls, Call{Method: method, Form: form, Token: token, Team: team})
		switch method {
		case "chat.postMessage":
			ts := fmt.Sprintf("%d.%06d", time.Now().Unix(), 200+len(f.posts)) // as Slack's: the time, then a sequence
			form["_ts"] = ts
			f.posts = append(f.posts, form)
			if slow > 0 { // accepted, and visible to conversations.replies, but answered late
				f.mu.Unlock()
				locked = false
				select {
				case <-time.After(slow):
				case <-r.Context().Done():
					return
				}
			}
			_, _ = w.Write([]byte(`{"ok":true,"channel":"` + form["channel"] + `","ts":"` + ts + `"}`))
		case "conversations.replies", "conversations.history":
			_, _ = w.Write(f.history(method, form))
		case "chat.update":
			_, _ = w.Write([]byte(`{"ok":true,"channel":"` + form["channel"] + `","ts":"` + form["ts"] + `"}`))
		case "chat.postEphemeral":
			_, _ = w.Write([]byte(`{"ok":true,"message_ts":"1700000001.000001"}`))
		case "files.getUploadURLExternal":
			id := fmt.Sprintf("F%04d", len(f.upOrder)+1)
			n, _ := strconv.Atoi(form["length"])
			f.uploads[id] = &Upload{ID: id, Filename: form["filename"], Alt: form["alt_txt"], Token: token, Length: n}
			f.upOrder = append(f.upOrder, id)
			_, _ = fmt.Fprintf(w, `{"ok":true,"upload_url":"http://%s/upload/%s","file_id":%q}`, r.Host, id, id)
		case "files.completeUploadExternal":
			var files []struct {
				ID    string `json:"id"`
				Title string `json:"title"`
			}
			_ = json.Unmarshal([]byte(form["files"]), &files)
			if len(files) != 1 || f.uploads[files[0].ID] == nil || f.uploads[files[0].ID].Bytes == nil {
				_, _ = w.Write([]byte(`{"ok":false,"error":"file_not_found"}`))
				return
			}
			u := f.uploads[files[0].ID]
			u.Title, u.Channel, u.ThreadTS = files[0].Title, form["channel_id"], form["thread_ts"]
			_, _ = fmt.Fprintf(w, `{"ok":true,"files":[{"id":%q,"title":%q}]}`, u.ID, u.Title)
		case "views.open":
			_, _ = w.Write([]byte(`{"ok":true,"view":{"id":"V1"}}`))
		case "users.info":
			id := form["user"]
			_, _ = fmt.Fprintf(w, `{"ok":true,"user":{"id":%q,"name":%q,"real_name":%q,"is_bot":%t}}`, id, strings.ToLower(id), f.names[id], f.bots[id])
		}
	}
}

// history answers conversations.replies (the thread's parent, then its replies) and
// conversations.history (the channel's top-level messages since oldest, newest first),
// with each message's metadata when include_all_metadata is 1. f.mu is held.
func (f *Server) history(method string, form map[string]string) []byte {
	type msg struct {
		Type     string          `json:"type"`
		User     string          `json:"user"`
		BotID    string          `json:"bot_id"`
		Text     string          `json:"text"`
		TS       string          `json:"ts"`
		ThreadTS string          `json:"thread_ts,omitempty"`
		Metadata json.RawMessage `json:"metadata,omitempty"`
	}
	var out []msg
	for _, p := range f.posts {
		if p["channel"] != form["channel"] {
			continue
		}
		if method == "conversations.replies" && p["thread_ts"] != form["ts"] && p["_ts"] != form["ts"] {
			continue
		}
		if method == "conversations.history" && (p["thread_ts"] != "" || (form["oldest"] != "" && p["_ts"] < form["oldest"])) {
			continue
		}
		m := msg{Type: "message", User: "UBOT", BotID: "BBOT", Text: p["text"], TS: p["_ts"], ThreadTS: p["thread_ts"]}
		if form["include_all_metadata"] == "1" && p["metadata"] != "" {
			m.Metadata = json.RawMessage(p["metadata"])
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TS < out[j].TS })
	if method == "conversations.history" {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	b, _ := json.Marshal(map[string]any{"ok": true, "messages": out, "has_more": false})
	return b
}

// Fail makes the next n calls of a method answer HTTP 500; "chat.postMessage:C1" fails
// only the posts in channel C1.
func (f *Server) Fail(method string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failing[method] = n
}

// Slow makes chat.postMessage accept each post in channel ("" any) at once (it is in the
// channel) and send its answer only after d, as a Slack under load does; 0 answers at
// once again.
func (f *Server) Slow(channel string, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.slow, f.slowIn = d, channel
}

// socket is Slack's side of a Socket Mode connection: hello, then the queued envelopes;
// acknowledgements are passed on.
func (f *Server) socket(c *websocket.Conn) {
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
			f.Acks <- ack.EnvelopeID
		}
	}()
	for {
		select {
		case <-closed:
			return
		case env := <-f.Envelopes:
			if err := c.WriteMessage(websocket.TextMessage, []byte(env)); err != nil {
				return
			}
		}
	}
}

// Calls returns the recorded calls of a method.
func (f *Server) Calls(method string) []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Call
	for _, c := range f.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Posts returns the chat.postMessage calls in a channel and thread (empty: any); each
// post's form fields, plus "_ts", the ts it was given.
func (f *Server) Posts(channel, threadTS string) []map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []map[string]string
	for _, p := range f.posts {
		if (channel == "" || p["channel"] == channel) && (threadTS == "" || p["thread_ts"] == threadTS) {
			out = append(out, p)
		}
	}
	return out
}

// URL is the Web API base URL (SLACK_API_URL).
func (f *Server) URL() string { return f.Srv.GetAPIURL() }

// Limit makes the next n calls answer 429 with Retry-After: 1.
func (f *Server) Limit(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limited = n
}

// Pending429 is how many 429s are still to be sent.
func (f *Server) Pending429() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.limited
}

// SetBot marks a user id as a bot for users.info.
func (f *Server) SetBot(user string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bots[user] = true
}

// PostAttempts is how many chat.postMessage requests arrived (429s included), and when.
func (f *Server) PostAttempts() (int, []time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.attempts, append([]time.Time(nil), f.times...)
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Team makes token a bot token of a Slack team, as an installation gives one.
func (f *Server) Team(team, token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens[token] = team
}

// Revoke makes a token invalid, as Slack does when a team uninstalls the app.
func (f *Server) Revoke(token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.tokens, token)
}

// Grant makes code exchangeable once at oauth.v2.access for g (its token then works).
func (f *Server) Grant(code string, g Grant) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if g.ClientID == "" {
		g.ClientID, g.ClientSecret = ClientID, ClientSecret
	}
	f.grants[code] = g
}

// oauthAccess is oauth.v2.access for an authorization code: the client's id and secret
// and the redirect URI of the authorization must match; a code works once.
func (f *Server) oauthAccess(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, Call{Method: "oauth.v2.access", Form: map[string]string{"client_id": id, "code": r.PostForm.Get("code"), "redirect_uri": r.PostForm.Get("redirect_uri")}})
	g, ok := f.grants[r.PostForm.Get("code")]
	switch {
	case !ok:
		_, _ = w.Write([]byte(`{"ok":false,"error":"invalid_code"}`))
		return
	case id != g.ClientID:
		_, _ = w.Write([]byte(`{"ok":false,"error":"invalid_client_id"}`))
		return
	case secret != g.ClientSecret:
		_, _ = w.Write([]byte(`{"ok":false,"error":"bad_client_secret"}`))
		return
	case g.RedirectURI != "" && r.PostForm.Get("redirect_uri") != g.RedirectURI:
		_, _ = w.Write([]byte(`{"ok":false,"error":"bad_redirect_uri"}`))
		return
	}
	delete(f.grants, r.PostForm.Get("code"))
	f.tokens[g.Token] = g.Team
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "access_token": g.Token, "token_type": "bot", "scope": "app_mentions:read,chat:write",
		"bot_user_id": g.BotUser, "app_id": "A0WHYBOT", "team": map[string]string{"id": g.Team, "name": g.TeamName},
		"authed_user": map[string]string{"id": g.Installer}, "is_enterprise_install": false})
}

// upload takes a file's bytes at the URL getUploadURLExternal gave (multipart, field
// "file"); the length must be the one announced.
func (f *Server) upload(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/upload/")
	file, _, err := r.FormFile("file")
	if err != nil {
		http.Error(w, "no file", http.StatusBadRequest)
		return
	}
	b, _ := io.ReadAll(file)
	f.mu.Lock()
	defer f.mu.Unlock()
	u := f.uploads[id]
	if u == nil || len(b) != u.Length {
		http.Error(w, "unknown upload or wrong length", http.StatusBadRequest)
		return
	}
	u.Bytes = b
	_, _ = w.Write([]byte("OK - " + strconv.Itoa(len(b))))
}

// Uploads are the files shared, in the order they were announced.
func (f *Server) Uploads() []Upload {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Upload
	for _, id := range f.upOrder {
		out = append(out, *f.uploads[id])
	}
	return out
}

// SetName gives a user id a real name for users.info.
func (f *Server) SetName(user, realName string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.names[user] = realName
}
