package chat

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/bot/delivery"
	"github.com/whybot/whybot/bot/inbox"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/workspace"
)

// Store is what a chat platform's worker reads and writes.
type Store interface {
	workspace.SnapshotStore
	workspace.RegistryStore
	conversation.ReviewStore
	delivery.Marks
	inbox.Claimer
	store.PeopleStore
}

// Worker is what every chat platform's worker has: the store, the engine, the review
// channel to fall back on, and the inbox loop that hands it the deliveries its ingress
// recorded. A platform's worker embeds it and gives it its handler (Deliveries).
type Worker struct {
	Store         Store
	Engine        Engine
	ReviewChannel string // used when the profile names none
	Log           *slog.Logger
	Now           func() time.Time
	Timing        inbox.Timing // lease and shutdown grace of claimed deliveries
	// Workspaces are the workspaces built from the store, shared by the platforms of a
	// process; made on first use when nil.
	Workspaces *workspace.Registry

	once    sync.Once
	loop    *inbox.Loop
	regOnce sync.Once
}

// Registry is the worker's workspace registry.
func (w *Worker) Registry() *workspace.Registry {
	w.regOnce.Do(func() {
		if w.Workspaces == nil {
			w.Workspaces = workspace.NewRegistry(w.Store)
		}
	})
	return w.Workspaces
}

// Deliveries is the worker's inbox loop over the platform's deliveries, each handed to
// handle; made on first use.
func (w *Worker) Deliveries(source store.Transport, handle func(ctx context.Context, in store.Inbound) error) *inbox.Loop {
	w.once.Do(func() {
		w.loop = &inbox.Loop{Store: w.Store, Source: string(source), Handle: handle, Log: w.Log, Now: w.Now, Timing: w.Timing}
	})
	return w.loop
}

// Logger is the worker's log.
func (w *Worker) Logger() *slog.Logger {
	if w.Log != nil {
		return w.Log
	}
	return slog.Default()
}

// Clock is the worker's time now.
func (w *Worker) Clock() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}
