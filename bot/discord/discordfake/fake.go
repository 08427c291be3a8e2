// Package discordfake is a fake Discord on loopback for tests: the REST routes whybot
// calls (checking the "Bot " authorization on each; GET /channels/{id}/messages lists a
// channel's latest messages, newest first, as the bot's), rate limits and HTTP 500s on
// demand, nonces that Discord forgets after its window (Forget), and a gateway websocket
// that says hello, takes the identify, sends READY and dispatches events.
package discordfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Fixed ids of the fake application.
const (
	AppID   = "7000000000000000001"
	BotUser = "7000000000000000002"
	Token   = "MTAwMDAwMDAwMDAwMDAwMDAwMQ.GfAkEt.fake-token-for-tests-only-0000000000"
)

// Message is a message as the fake stored it.
type Message struct {
	ID        string
	ChannelID string
	Body      map[string]any // the last JSON body sent for it (create or edit); payload_json of a multipart
	Files     []File         // the files attached (multipart files[n])
	Edits     int
	At        time.Time
}

// File is a file attached to a message.
type File struct {
	Name  string
	Bytes []byte
}

// Content is the message's text.
func (m Message) Content() string { s, _ := m.Body["content"].(string); return s }

// Call is one REST request the fake received.
type Call struct {
	Method, Path string
	Body         map[string]any // nil when the body is not a JSON object
	Raw          []byte
	At           time.Time
}

// Fake is a running fake Discord.
type Fake struct {
	srv   *httptest.Server
	Flags int // application flags returned by GET /applications/@me

	mu        sync.Mutex
	next      int64
	messages  map[string][]*Message // by channel
	threads   map[string]string     // thread id → parent channel
	calls     []Call
	limits    []limit
	failing   []limit
	losing    []limit
	nonces    map[string]*Message
	originals map[string]*Message // interaction token → its original response message
	channels  map[string]string   // interaction token → channel
	conns     []*gwConn
	identify  []map[string]any
	connected chan struct{}
}

type limit struct {
	method, path string
	left         int
	after        float64
}

type gwConn struct {
	mu  sync.Mutex
	c   *websocket.Conn
	seq int
}

// New starts a fake Discord; it stops when the test ends.
func New(t testing.TB) *Fake {
	f := &Fake{next: 9000000000000000000, messages: map[string][]*Message{}, threads: map[string]string{}, nonces: map[string]*Message{},
		originals: map[string]*Message{}, channels: map[string]string{}, connected: make(chan struct{}, 16)}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v10/", f.rest)
	mux.HandleFunc("/gateway-ws", f.gateway)
	mux.HandleFunc("/gateway-ws/", f.gateway)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		f.mu.Lock()
		for _, c := range f.conns {
			_ = c.c.Close()
		}
		f.mu.Unlock()
		f.srv.Close()
	})
	return f
}

// URL is the REST base to give as DISCORD_API_URL.
func (f *Fake) URL() string { return f.srv.URL + "/api/v10" }

// Interaction tells the fake which channel an interaction token belongs to, as Discord
// knows: the original response is a message there.
func (f *Fake) Interaction(token, channel string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.channels[token] = channel
}

// Limit makes the next n requests of method to paths starting with prefix (after
// /api/v10) answer 429 with retry_after seconds.
func (f *Fake) Limit(method, prefix string, n int, retryAfter float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limits = append(f.limits, limit{method: method, path: prefix, left: n, after: retryAfter})
}

// Messages returns the messages of a channel, oldest first.
func (f *Fake) Messages(channel string) []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Message
	for _, m := range f.messages[channel] {
		out = append(out, *m)
	}
	return out
}

// Fail makes the next n requests of method to paths starting with prefix (after /api/v10)
// answer HTTP 500.
func (f *Fake) Fail(method, prefix string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failing = append(f.failing, limit{method: method, path: prefix, left: n})
}

// Lose makes the next n messages posted to paths starting with prefix be made, but
// answered with HTTP 500, as when Discord's answer is lost on the way.
func (f *Fake) Lose(prefix string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.losing = append(f.losing, limit{method: "POST", path: prefix, left: n})
}

// Forget drops the nonces seen, as Discord does a few minutes after a message.
func (f *Fake) Forget() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nonces = map[string]*Message{}
}

func orEmpty(v any) any {
	switch x := v.(type) {
	case nil:
		return []any{}
	case []map[string]any:
		if x == nil {
			return []any{}
		}
	}
	return v
}

// Thread returns the parent channel of a thread, or "".
func (f *Fake) Thread(id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.threads[id]
}

// Calls returns the requests received whose "METHOD path" starts with prefix.
func (f *Fake) Calls(prefix string) []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Call
	for _, c := range f.calls {
		if strings.HasPrefix(c.Method+" "+c.Path, prefix) {
			out = append(out, c)
		}
	}
	return out
}

// Identify returns the identify payloads received on the gateway.
func (f *Fake) Identify() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.identify...)
}

func (f *Fake) id() string {
	f.next++
	return strconv.FormatInt(f.next, 10)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *Fake) rest(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/api/v10")
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	var files []File
	if mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && mt == "multipart/form-data" {
		body, files = multipartOf(raw, params["boundary"])
	} else {
		_ = json.Unmarshal(raw, &body)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, Call{Method: r.Method, Path: path, Body: body, Raw: raw, At: time.Now()})
	// interaction callbacks and webhooks are authorized by their token, the rest by the bot's
	if !strings.HasPrefix(path, "/interactions/") && !strings.HasPrefix(path, "/webhooks/") && r.Header.Get("Authorization") != "Bot "+Token {
		writeJSON(w, 401, map[string]any{"message": "401: Unauthorized", "code": 0})
		return
	}
	for i := range f.failing {
		l := &f.failing[i]
		if l.left > 0 && l.method == r.Method && strings.HasPrefix(path, l.path) {
			l.left--
			writeJSON(w, 500, map[string]any{"message": "500: Internal Server Error", "code": 0})
			return
		}
	}
	for i := range f.limits {
		l := &f.limits[i]
		if l.left > 0 && l.method == r.Method && strings.HasPrefix(path, l.path) {
			l.left--
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset-After", strconv.FormatFloat(l.after, 'f', 3, 64))
			w.Header().Set("Retry-After", strconv.Itoa(int(l.after+0.999)))
			writeJSON(w, 429, map[string]any{"message": "You are being rate limited.", "retry_after": l.after, "global": false})
			return
		}
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case r.Method == "GET" && path == "/gateway":
		writeJSON(w, 200, map[string]any{"url": "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/gateway-ws"})
	case r.Method == "GET" && path == "/users/@me":
		writeJSON(w, 200, map[string]any{"id": BotUser, "username": "whybot", "bot": true})
	case r.Method == "GET" && path == "/applications/@me":
		writeJSON(w, 200, map[string]any{"id": AppID, "name": "whybot", "flags": f.Flags})
	case r.Method == "PUT" && len(parts) >= 3 && parts[0] == "applications" && parts[len(parts)-1] == "commands":
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(raw) // the commands as registered
	case r.Method == "POST" && len(parts) == 4 && parts[0] == "interactions" && parts[3] == "callback":
		w.WriteHeader(204)
	case r.Method == "PATCH" && len(parts) == 5 && parts[0] == "webhooks" && parts[4] == "@original":
		m := f.originals[parts[2]]
		if m == nil {
			m = &Message{ID: f.id(), ChannelID: f.channels[parts[2]], At: time.Now()}
			f.originals[parts[2]] = m
			f.messages[m.ChannelID] = append(f.messages[m.ChannelID], m)
		} else {
			m.Edits++
		}
		m.Body = body
		writeJSON(w, 200, map[string]any{"id": m.ID, "channel_id": m.ChannelID, "content": body["content"]})
	case r.Method == "POST" && len(parts) == 3 && parts[0] == "webhooks":
		m := &Message{ID: f.id(), ChannelID: "followup:" + parts[2], Body: body, At: time.Now()}
		f.messages[m.ChannelID] = append(f.messages[m.ChannelID], m)
		writeJSON(w, 200, map[string]any{"id": m.ID})
	case r.Method == "POST" && len(parts) == 5 && parts[0] == "channels" && parts[4] == "threads":
		if _, ok := f.threads[parts[3]]; ok {
			writeJSON(w, 400, map[string]any{"code": 160004, "message": "A thread has already been created for this message"})
			return
		}
		f.threads[parts[3]] = parts[1]
		writeJSON(w, 201, map[string]any{"id": parts[3], "type": 11, "parent_id": parts[1], "name": body["name"]})
	case r.Method == "GET" && len(parts) == 3 && parts[0] == "channels" && parts[2] == "messages":
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		if limit <= 0 || limit > 100 {
			limit = 50
		}
		var out []map[string]any
		msgs := f.messages[parts[1]]
		for i := len(msgs) - 1; i >= 0 && len(out) < limit; i-- {
			m := msgs[i]
			out = append(out, map[string]any{"id": m.ID, "channel_id": m.ChannelID, "content": m.Body["content"], "embeds": orEmpty(m.Body["embeds"]),
				"timestamp": m.At.UTC().Format(time.RFC3339Nano), "author": map[string]any{"id": BotUser, "username": "whybot", "bot": true}})
		}
		writeJSON(w, 200, orEmpty(out))
	case r.Method == "POST" && len(parts) == 3 && parts[0] == "channels" && parts[2] == "messages":
		if n, _ := body["nonce"].(string); n != "" && body["enforce_nonce"] == true {
			if m, ok := f.nonces[parts[1]+"/"+n]; ok { // Discord returns the message already created
				writeJSON(w, 200, map[string]any{"id": m.ID, "channel_id": m.ChannelID})
				return
			}
		}
		m := &Message{ID: f.id(), ChannelID: parts[1], Body: body, Files: files, At: time.Now()}
		f.messages[m.ChannelID] = append(f.messages[m.ChannelID], m)
		if n, _ := body["nonce"].(string); n != "" {
			f.nonces[parts[1]+"/"+n] = m
		}
		for i := range f.losing {
			if l := &f.losing[i]; l.left > 0 && strings.HasPrefix(path, l.path) {
				l.left--
				writeJSON(w, 500, map[string]any{"message": "500: Internal Server Error", "code": 0}) // made, but the answer is lost
				return
			}
		}
		writeJSON(w, 200, map[string]any{"id": m.ID, "channel_id": m.ChannelID, "content": body["content"]})
	case r.Method == "PATCH" && len(parts) == 4 && parts[0] == "channels" && parts[2] == "messages":
		for _, m := range f.messages[parts[1]] {
			if m.ID == parts[3] {
				m.Body, m.Edits = body, m.Edits+1
				writeJSON(w, 200, map[string]any{"id": m.ID, "channel_id": m.ChannelID})
				return
			}
		}
		writeJSON(w, 404, map[string]any{"code": 10008, "message": "Unknown Message"})
	default:
		writeJSON(w, 404, map[string]any{"code": 0, "message": fmt.Sprintf("fake discord: no route %s %s", r.Method, path)})
	}
}

// Seed stores a message as if someone had sent it (a review card the test did not post).
func (f *Fake) Seed(channel string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := &Message{ID: f.id(), ChannelID: channel, Body: map[string]any{}, At: time.Now()}
	f.messages[channel] = append(f.messages[channel], m)
	return m.ID
}

var upgrader = websocket.Upgrader{}

func (f *Fake) gateway(w http.ResponseWriter, r *http.Request) {
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	g := &gwConn{c: c}
	_ = g.write(map[string]any{"op": 10, "d": map[string]any{"heartbeat_interval": 45000}})
	var id struct {
		Op int            `json:"op"`
		D  map[string]any `json:"d"`
	}
	if err := c.ReadJSON(&id); err != nil || id.Op != 2 {
		_ = c.Close()
		return
	}
	f.mu.Lock()
	f.identify = append(f.identify, id.D)
	f.conns = append(f.conns, g)
	f.mu.Unlock()
	_ = g.dispatch("READY", map[string]any{"v": 10, "session_id": "fake-session", "user": map[string]any{"id": BotUser, "username": "whybot", "bot": true},
		"guilds": []any{}, "resume_gateway_url": "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/gateway-ws"})
	f.connected <- struct{}{}
	for {
		var msg struct {
			Op int `json:"op"`
		}
		if err := c.ReadJSON(&msg); err != nil {
			return
		}
		if msg.Op == 1 {
			_ = g.write(map[string]any{"op": 11})
		}
	}
}

func (g *gwConn) write(v any) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.c.WriteJSON(v)
}

func (g *gwConn) dispatch(event string, d any) error {
	g.mu.Lock()
	g.seq++
	s := g.seq
	g.mu.Unlock()
	return g.write(map[string]any{"op": 0, "t": event, "s": s, "d": d})
}

// Connected waits until a gateway client has identified.
func (f *Fake) Connected(t testing.TB) {
	t.Helper()
	select {
	case <-f.connected:
	case <-time.After(10 * time.Second):
		t.Fatal("no gateway client identified within 10 s")
	}
}

// Dispatch sends an event to every connected gateway client.
func (f *Fake) Dispatch(t testing.TB, event string, d any) {
	t.Helper()
	f.mu.Lock()
	conns := append([]*gwConn(nil), f.conns...)
	f.mu.Unlock()
	if len(conns) == 0 {
		t.Fatal("no gateway client connected")
	}
	for _, g := range conns {
		if err := g.dispatch(event, d); err != nil {
			t.Fatalf("dispatch %s: %v", event, err)
		}
	}
}

// multipartOf reads a message sent with files: the payload_json part and files[n].
func multipartOf(raw []byte, boundary string) (map[string]any, []File) {
	var body map[string]any
	var files []File
	mr := multipart.NewReader(bytes.NewReader(raw), boundary)
	for {
		part, err := mr.NextPart()
		if err != nil {
			return body, files
		}
		b, _ := io.ReadAll(part)
		switch name := part.FormName(); {
		case name == "payload_json":
			_ = json.Unmarshal(b, &body)
		case strings.HasPrefix(name, "files["):
			files = append(files, File{Name: part.FileName(), Bytes: b})
		}
	}
}
