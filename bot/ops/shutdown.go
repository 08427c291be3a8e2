package ops

import (
	"context"
	"time"
)

// Shutdown is how a replica stops on SIGTERM: it reports not ready at once, keeps serving
// for Drain (so the load balancer stops sending it work), then stops taking new work and
// gives in-flight work up to Grace to finish.
type Shutdown struct {
	Drain time.Duration
	Grace time.Duration
}

// Run returns the context loops and listeners run under: it ends Drain after signal
// ends, once health has been marked stopping. The returned cancel releases it early.
func (s Shutdown) Run(signal context.Context, health *Health) (context.Context, context.CancelFunc) {
	run, cancel := context.WithCancel(context.WithoutCancel(signal))
	stop := context.AfterFunc(signal, func() {
		if health != nil {
			health.Stopping()
		}
		if s.Drain <= 0 {
			cancel()
			return
		}
		t := time.AfterFunc(s.Drain, cancel)
		context.AfterFunc(run, func() { t.Stop() })
	})
	return run, func() { stop(); cancel() }
}

// InFlight returns the context for one piece of work started under run (a delivery, a
// job): it is not ended by run ending, only grace later, so work that has begun finishes
// instead of being cut in half. Call cancel when the work is done.
func InFlight(run context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	work, cancel := context.WithCancel(context.WithoutCancel(run))
	stop := context.AfterFunc(run, func() {
		t := time.AfterFunc(grace, cancel)
		context.AfterFunc(work, func() { t.Stop() })
	})
	return work, func() { stop(); cancel() }
}
