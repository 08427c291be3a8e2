package ops_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/ops"
)

func TestShutdownDrainsThenStops(t *testing.T) {
	t.Parallel()
	signal, stop := context.WithCancel(context.Background())
	health := ops.NewHealth()
	run, release := ops.Shutdown{Drain: 300 * time.Millisecond, Grace: time.Second}.Run(signal, health)
	defer release()
	code, _ := get(t, health.Handler(), "/readyz")
	require.Equal(t, 200, code)

	start := time.Now()
	stop()
	// not ready at once, but still running through the drain period
	require.Eventually(t, func() bool { c, _ := get(t, health.Handler(), "/readyz"); return c == 503 }, time.Second, 5*time.Millisecond)
	require.NoError(t, run.Err(), "work goes on while the load balancer notices")
	<-run.Done()
	require.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond)
	code, _ = get(t, health.Handler(), "/healthz")
	require.Equal(t, 200, code, "alive while it finishes")
}

func TestShutdownWithoutDrainStopsAtOnce(t *testing.T) {
	t.Parallel()
	signal, stop := context.WithCancel(context.Background())
	run, release := ops.Shutdown{}.Run(signal, nil)
	defer release()
	stop()
	select {
	case <-run.Done():
	case <-time.After(time.Second):
		t.Fatal("no drain: the run should end with the signal")
	}
}

func TestInFlightOutlivesTheRunForTheGraceOnly(t *testing.T) {
	t.Parallel()
	run, stop := context.WithCancel(context.Background())
	work, done := ops.InFlight(run, 200*time.Millisecond)
	defer done()
	stop()
	require.NoError(t, work.Err(), "work begun is not cut off when the replica is told to stop")
	start := time.Now()
	<-work.Done()
	require.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond)

	// finished work releases its timer; a context value still flows through
	type key struct{}
	run2, stop2 := context.WithCancel(context.WithValue(context.Background(), key{}, "request-1"))
	defer stop2()
	w2, done2 := ops.InFlight(run2, time.Hour)
	require.Equal(t, "request-1", w2.Value(key{}))
	done2()
	require.Error(t, w2.Err())
}
