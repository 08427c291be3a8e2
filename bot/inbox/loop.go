// Package inbox runs a platform's worker over the durable inbox: it claims the deliveries
// the platform's ingress recorded, hands each to the transport, and records the outcome
// (done, or queued again for a retry after store.InboxBackoff, up to store.InboxAttempts).
// A handler is told it may be handling a delivery again by in.Attempts > 1: whatever it
// posted the first time may have reached the platform, so it looks before posting.
package inbox

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/whybot/whybot/bot/ops"
	"github.com/whybot/whybot/knowledge/store"
)

// Claimer is the part of the store the loop uses.
type Claimer interface {
	ClaimInbound(ctx context.Context, source string, now time.Time, lease time.Duration, limit int) ([]store.Inbound, error)
	FinishInbound(ctx context.Context, id int64, errMsg string, retryAt time.Time) error
}

// Timing is how long deliveries are held and finished.
type Timing struct {
	Lease time.Duration // how long a claimed delivery is held before another worker may take it; default 2 minutes
	Grace time.Duration // after the loop is told to stop, how long the deliveries already claimed may take to finish; default 25 s
}

// Loop handles one platform's deliveries (Source: slack, discord).
type Loop struct {
	Store  Claimer
	Source string
	Handle func(ctx context.Context, in store.Inbound) error
	Log    *slog.Logger
	Now    func() time.Time
	Timing

	wake chan struct{}
	once sync.Once
}

func (l *Loop) wakeCh() chan struct{} {
	l.once.Do(func() { l.wake = make(chan struct{}, 1) })
	return l.wake
}

// Wake tells a running loop a delivery is waiting, so it does not wait for the next poll
// (a Slack modal must open within the 3 s a trigger id lives).
func (l *Loop) Wake() {
	select {
	case l.wakeCh() <- struct{}{}:
	default:
	}
}

func (l *Loop) log() *slog.Logger {
	if l.Log != nil {
		return l.Log
	}
	return slog.Default()
}

// Run claims and handles deliveries until ctx ends, looking every poll or when woken.
func (l *Loop) Run(ctx context.Context, poll time.Duration) error {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if _, err := l.Drain(ctx); err != nil && ctx.Err() == nil {
			l.log().WarnContext(ctx, "inbox", "source", l.Source, "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-l.wakeCh():
		}
	}
}

// Drain handles every delivery waiting now; it reports how many it handled. Once ctx
// ends it claims nothing more, but the deliveries it has claimed are finished (for up to
// Grace): a replica told to stop does not drop work half done. Whatever it could not
// finish is taken by another replica when its lease runs out.
func (l *Loop) Drain(ctx context.Context) (int, error) {
	lease := l.Lease
	if lease <= 0 {
		lease = 2 * time.Minute
	}
	grace := l.Grace
	if grace <= 0 {
		grace = 25 * time.Second
	}
	work, done := ops.InFlight(ctx, grace)
	defer done()
	n := 0
	for ctx.Err() == nil {
		now := time.Now()
		if l.Now != nil {
			now = l.Now()
		}
		batch, err := l.Store.ClaimInbound(ctx, l.Source, now.UTC(), lease, 20)
		if err != nil || len(batch) == 0 {
			return n, err
		}
		for _, in := range batch {
			if work.Err() != nil {
				return n, work.Err()
			}
			msg, retryAt := "", time.Time{}
			hctx := ops.WithLogAttrs(work, "delivery", in.Source+"/"+in.Key)
			if err := l.Handle(hctx, in); err != nil {
				retryAt = now.UTC().Add(store.InboxBackoff(in.Attempts))
				l.log().WarnContext(hctx, "delivery failed; it will be retried", "attempt", in.Attempts, "retry_at", retryAt, "err", err)
				msg = err.Error()
			}
			if err := l.Store.FinishInbound(work, in.ID, msg, retryAt); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}
