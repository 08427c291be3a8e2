package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/whybot/whybot/knowledge/limits"
	"github.com/whybot/whybot/knowledge/store"
)

// MaxBody bounds a request body; Slack's payloads are far smaller.
const MaxBody = 1 << 20

// Inbox records deliveries durably, once each.
type Inbox interface {
	Receive(ctx context.Context, in store.Inbound) (bool, error)
}

// Ingress serves Slack's HTTP endpoints:
//
//	POST /slack/events        Events API (url_verification answered; events queued once by event_id)
//	POST /slack/interactions  buttons and modals (queued by trigger id)
//	POST /slack/commands      the /why slash command (queued by trigger id)
//
// Every request is verified before its body is parsed; a request that fails gets 401 and
// leaves no trace. A verified delivery is written to the inbox before the 200 goes back, so
// an acknowledged delivery is never lost, and a retry of one already received is
// acknowledged without being queued again. If the inbox cannot be written the answer is
// 500 and Slack retries.
type Ingress struct {
	Secret string
	Inbox  Inbox
	Wake   func() // tells the worker a delivery is waiting (Worker.Wake); may be nil
	Log    *slog.Logger
	Now    func() time.Time
}

// Handler returns the endpoints' mux.
func (g *Ingress) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /slack/events", g.verified(g.events))
	mux.HandleFunc("POST /slack/interactions", g.verified(g.form("interaction")))
	mux.HandleFunc("POST /slack/commands", g.verified(g.form("command")))
	return mux
}

func (g *Ingress) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

func (g *Ingress) log() *slog.Logger {
	if g.Log != nil {
		return g.Log
	}
	return slog.Default()
}

// verified reads the body (bounded), checks the signature, and hands the raw body on.
func (g *Ingress) verified(next func(w http.ResponseWriter, r *http.Request, body []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
		if err != nil {
			http.Error(w, "request body too large or unreadable", http.StatusRequestEntityTooLarge)
			return
		}
		if err := Verify(r.Header, body, g.Secret, g.now()); err != nil {
			g.log().WarnContext(r.Context(), "slack request refused", "path", r.URL.Path, "reason", err.Error(), "remote", r.RemoteAddr)
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		next(w, r, body)
	}
}

type envelope struct {
	Type      string `json:"type"`
	Challenge string `json:"challenge"`
	EventID   string `json:"event_id"`
	TeamID    string `json:"team_id"`
}

func (g *Ingress) events(w http.ResponseWriter, r *http.Request, body []byte) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		http.Error(w, "not a JSON event", http.StatusBadRequest)
		return
	}
	switch env.Type {
	case "url_verification":
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, env.Challenge)
		return
	case "event_callback":
	default:
		w.WriteHeader(http.StatusOK) // app_rate_limited and future types: nothing to do
		return
	}
	key, err := deliveryKey("event", body)
	if err == nil {
		err = decodable("event", body)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	g.receive(w, r, key, body)
}

// form handles the form-encoded endpoints: interactions carry a JSON payload field, slash
// commands their fields; both are stored as JSON.
func (g *Ingress) form(kind string) func(w http.ResponseWriter, r *http.Request, body []byte) {
	return func(w http.ResponseWriter, r *http.Request, body []byte) {
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			http.Error(w, "not a form", http.StatusBadRequest)
			return
		}
		var payload []byte
		if kind == "interaction" {
			payload = []byte(vals.Get("payload"))
		} else {
			fields := map[string]string{}
			for k := range vals {
				fields[k] = vals.Get(k)
			}
			payload, _ = json.Marshal(fields)
		}
		key, err := deliveryKey(kind, payload)
		if err == nil {
			err = decodable(kind, payload)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		g.receive(w, r, key, payload)
	}
}

// deliveryKey is the inbox key of a delivery: events by event_id, interactions and slash
// commands by trigger_id. The same keys are used by both modes, so a delivery is one
// whichever way it came.
func deliveryKey(kind string, payload []byte) (string, error) {
	var p struct {
		EventID   string `json:"event_id"`
		TriggerID string `json:"trigger_id"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return "", fmt.Errorf("%s payload is not JSON", kind)
	}
	id := p.TriggerID
	if kind == "event" {
		id = p.EventID
	}
	if id == "" {
		return "", fmt.Errorf("%s without %s", kind, map[bool]string{true: "event_id", false: "trigger_id"}[kind == "event"])
	}
	return kind + ":" + id, nil
}

// decodable checks that the worker can decode a delivery, so a signed but malformed body
// gets 400 at once instead of being queued and failing every retry.
func decodable(kind string, payload []byte) error {
	var err error
	switch kind {
	case "event":
		var env struct {
			Event messageEvent `json:"event"`
		}
		err = json.Unmarshal(payload, &env)
	case "interaction":
		var cb goslack.InteractionCallback
		err = json.Unmarshal(payload, &cb)
	}
	if err != nil {
		return fmt.Errorf("%s payload is not what Slack sends: %s", kind, limits.Cut(err.Error()))
	}
	return nil
}

func (g *Ingress) receive(w http.ResponseWriter, r *http.Request, key string, payload []byte) {
	first, err := g.Inbox.Receive(r.Context(), store.Inbound{Source: "slack", Key: key, Payload: payload, ReceivedAt: g.now().UTC()})
	if err != nil {
		g.log().ErrorContext(r.Context(), "slack delivery not recorded; Slack will retry", "key", key, "err", err)
		http.Error(w, "try again", http.StatusInternalServerError)
		return
	}
	if !first {
		g.log().InfoContext(r.Context(), "slack delivery already received", "key", key, "retry", r.Header.Get("X-Slack-Retry-Num"))
	}
	if g.Wake != nil {
		g.Wake()
	}
	w.WriteHeader(http.StatusOK)
}
