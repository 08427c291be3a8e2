package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/bwmarrin/discordgo"
)

// MaxBody bounds a request body; Discord's payloads are far smaller.
const MaxBody = 1 << 20

// Answerer gives an interaction its immediate answer (Responder).
type Answerer interface {
	Respond(ctx context.Context, raw []byte) (*discordgo.InteractionResponse, error)
}

// Ingress serves Discord's HTTP interactions endpoint, POST /discord/interactions. Every
// request's signature and timestamp are checked before its body is parsed; a request that
// fails gets 401 and leaves no trace (Discord sends deliberately bad signatures to check).
type Ingress struct {
	Key       ed25519.PublicKey
	Responder Answerer
	Log       *slog.Logger
	Now       func() time.Time
}

// Handler returns the endpoint's mux.
func (g *Ingress) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /discord/interactions", g.interactions)
	return mux
}

func (g *Ingress) log() *slog.Logger {
	if g.Log != nil {
		return g.Log
	}
	return slog.Default()
}

func (g *Ingress) interactions(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		http.Error(w, "request body too large or unreadable", http.StatusRequestEntityTooLarge)
		return
	}
	now := time.Now()
	if g.Now != nil {
		now = g.Now()
	}
	if err := Verify(r.Header, body, g.Key, now); err != nil {
		g.log().WarnContext(r.Context(), "discord request refused", "reason", err.Error(), "remote", r.RemoteAddr)
		http.Error(w, "invalid request signature", http.StatusUnauthorized)
		return
	}
	resp, err := g.Responder.Respond(r.Context(), body)
	if errors.Is(err, ErrMalformed) {
		g.log().WarnContext(r.Context(), "discord interaction refused", "reason", err.Error())
		http.Error(w, "malformed interaction", http.StatusBadRequest)
		return
	}
	if err != nil {
		g.log().ErrorContext(r.Context(), "discord interaction not handled", "err", err)
		http.Error(w, "try again", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}
