package jobs

import (
	"context"
	"time"

	"github.com/whybot/whybot/bot/ops"
)

// Local runs the jobs in-process for the embedded store: it posts approved answers as soon
// as it is woken (and every Poll), sweeps the outbox, sends due reminders and reloads KPI
// data on their intervals. The outbox, reminders and snapshots live in the database, so a
// restarted process picks up where the last one stopped.
type Local struct {
	j    *Jobs
	wake chan struct{}
}

// NewLocal returns a local runner.
func NewLocal(j *Jobs) *Local { return &Local{j: j, wake: make(chan struct{}, 1)} }

// Wake asks the runner to look for approved answers now (after an approval).
func (l *Local) Wake() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Run works until ctx ends. The first pass runs at once: a restart posts what was
// approved before the crash without waiting.
func (l *Local) Run(ctx context.Context) error {
	cfg := l.j.cfg
	var last lasts
	t := time.NewTicker(cfg.Poll)
	defer t.Stop()
	for {
		l.pass(ctx, &last)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-l.wake:
		}
	}
}

// pass does the work due now. It is finished even when ctx ends half-way (for up to
// Grace): an answer being posted is not cut off between the post and its record.
// lasts are when the periodic jobs last ran.
type lasts struct{ remind, reload, prune, pull time.Time }

func (l *Local) pass(run context.Context, last *lasts) {
	cfg := l.j.cfg
	ctx, done := ops.InFlight(run, cfg.Grace)
	defer done()
	if n, err := cfg.Engine.DeliverPending(ctx); err != nil {
		cfg.Log.WarnContext(ctx, "posting approved answers", "err", err)
	} else if n > 0 {
		cfg.Log.InfoContext(ctx, "posted approved answers", "count", n)
	}
	now := cfg.Now()
	if now.Sub(last.remind) >= cfg.RemindEvery {
		last.remind = now
		if _, err := l.j.Remind(ctx); err != nil {
			cfg.Log.WarnContext(ctx, "review reminders", "err", err)
		}
		if _, err := l.j.RemindAnswers(ctx); err != nil {
			cfg.Log.WarnContext(ctx, "answer reminders", "err", err)
		}
	}
	if cfg.ReloadKPIEvery > 0 && now.Sub(last.reload) >= cfg.ReloadKPIEvery {
		last.reload = now
		if _, err := l.j.ReloadKPI(ctx); err != nil {
			cfg.Log.WarnContext(ctx, "KPI reload", "err", err)
		}
	}
	if cfg.Sources != nil && now.Sub(last.pull) >= cfg.PullEvery {
		last.pull = now
		if _, err := l.j.PullSources(ctx); err != nil {
			cfg.Log.WarnContext(ctx, "source pulls", "err", err)
		}
	}
	if now.Sub(last.prune) >= cfg.PruneEvery {
		last.prune = now
		if _, err := l.j.PruneInbox(ctx); err != nil {
			cfg.Log.WarnContext(ctx, "inbox prune", "err", err)
		}
	}
}
