package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/whybot/whybot/knowledge/store"
)

// postWorker posts one approved draft. The store enqueues it in the approval's transaction;
// River retries it with backoff. The outbox claim makes a retry after a crash harmless: an
// answer already marked sent is not posted again.
type postWorker struct {
	river.WorkerDefaults[store.PostArgs]
	engine Deliverer
}

func (w *postWorker) Work(ctx context.Context, job *river.Job[store.PostArgs]) error {
	_, err := w.engine.Deliver(ctx, job.Args.Workspace, job.Args.DraftID)
	return err
}

func (w *postWorker) Timeout(*river.Job[store.PostArgs]) time.Duration { return time.Minute }

type sweepArgs struct{}

func (sweepArgs) Kind() string { return "sweep_outbox" }

type remindArgs struct{}

func (remindArgs) Kind() string { return "review_reminders" }

type pruneArgs struct{}

func (pruneArgs) Kind() string { return "inbox_prune" }

type pullArgs struct{}

func (pullArgs) Kind() string { return "source_pulls" }

// pullWorker pulls the sources due; a backfill may take minutes, past River's default
// timeout of one.
type pullWorker struct {
	river.WorkerDefaults[pullArgs]
	j *Jobs
}

func (w *pullWorker) Work(ctx context.Context, _ *river.Job[pullArgs]) error {
	_, err := w.j.PullSources(ctx)
	return err
}

func (w *pullWorker) Timeout(*river.Job[pullArgs]) time.Duration { return 30 * time.Minute }

type reloadArgs struct{}

func (reloadArgs) Kind() string { return "kpi_reload" }

// NewRiver returns a River client running the jobs on PostgreSQL. Periodic jobs run on the
// elected leader only, so several replicas do not duplicate them.
func NewRiver(j *Jobs, pool *pgxpool.Pool) (*river.Client[pgx.Tx], error) {
	cfg := j.cfg
	workers := river.NewWorkers()
	river.AddWorker(workers, &postWorker{engine: cfg.Engine})
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, _ *river.Job[sweepArgs]) error {
		_, err := cfg.Engine.DeliverPending(ctx)
		return err
	}))
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, _ *river.Job[remindArgs]) error {
		_, err := j.Remind(ctx)
		_, aerr := j.RemindAnswers(ctx)
		return errors.Join(err, aerr)
	}))
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, _ *river.Job[pruneArgs]) error {
		_, err := j.PruneInbox(ctx)
		return err
	}))
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, _ *river.Job[reloadArgs]) error {
		_, err := j.ReloadKPI(ctx)
		return err
	}))
	river.AddWorker(workers, &pullWorker{j: j})
	periodic := []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(cfg.SweepEvery), func() (river.JobArgs, *river.InsertOpts) { return sweepArgs{}, nil },
			&river.PeriodicJobOpts{ID: "sweep_outbox", RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(cfg.RemindEvery), func() (river.JobArgs, *river.InsertOpts) { return remindArgs{}, nil },
			&river.PeriodicJobOpts{ID: "review_reminders", RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(cfg.PruneEvery), func() (river.JobArgs, *river.InsertOpts) { return pruneArgs{}, nil },
			&river.PeriodicJobOpts{ID: "inbox_prune", RunOnStart: true}),
	}
	if cfg.Sources != nil {
		// the leader enqueues one job a minute; each source's slot is claimed in the
		// database (source_pulls), so jobs that overlap, or two leaders in a split second,
		// still pull a slot once
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(cfg.PullEvery), func() (river.JobArgs, *river.InsertOpts) {
			return pullArgs{}, nil
		}, &river.PeriodicJobOpts{ID: "source_pulls", RunOnStart: true}))
	}
	if cfg.ReloadKPIEvery > 0 {
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(cfg.ReloadKPIEvery), func() (river.JobArgs, *river.InsertOpts) { return reloadArgs{}, nil },
			&river.PeriodicJobOpts{ID: "kpi_reload", RunOnStart: true}))
	}
	c, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Logger:            cfg.Log,
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 10}},
		Workers:           workers,
		PeriodicJobs:      periodic,
		FetchPollInterval: max(min(cfg.Poll, time.Second), 100*time.Millisecond), // River's floor is its fetch cooldown
	})
	if err != nil {
		return nil, fmt.Errorf("create job client: %w", err)
	}
	return c, nil
}

// RunRiver starts River and works until ctx ends, then stops it, letting running jobs
// finish for up to grace.
func RunRiver(ctx context.Context, c *river.Client[pgx.Tx], grace time.Duration) error {
	if err := c.Start(context.WithoutCancel(ctx)); err != nil { // stopped softly below, not by ctx
		return fmt.Errorf("start jobs: %w", err)
	}
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	if err := c.Stop(stopCtx); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("stop jobs: %w", err)
	}
	return nil
}
