package main_test

import (
	"flag"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var loadEvents = flag.Int("load-events", 600, "questions TestLoadTwoReplicas sends (the README's figures: 10000)")

// TestLoadTwoReplicas sends signed Slack questions across two replicas on one PostgreSQL
// (every tenth also to the other replica, as a Slack retry would) and checks that each
// question is handled exactly once: one thread, one set of clarifying questions. It
// reports throughput and acknowledgement latency; it asserts no timing.
//
//	go test ./cmd/whybot -run TestLoadTwoReplicas -load-events 10000 -v
func TestLoadTwoReplicas(t *testing.T) {
	t.Parallel()
	fake, rs := twoReplicas(t, "WHYBOT_LOG_LEVEL=warn")
	n := *loadEvents
	body := func(i int) []byte {
		return mentionEvent(fmt.Sprintf("EvL%d", i), "U0ANNA", fmt.Sprintf("1710000000.%06d", i), "", "<@UBOT> perché i lead sono aumentati del 30%?")
	}
	type ack struct {
		d    time.Duration
		code int
	}
	acks := make([]ack, 0, n+n/10)
	var mu sync.Mutex
	var next atomic.Int64
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	start := time.Now()
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				targets := []*replica{rs[i%2]}
				if i%10 == 0 {
					targets = append(targets, rs[(i+1)%2]) // the retry lands on the other replica
				}
				for _, r := range targets {
					t0 := time.Now()
					code := signedWith(t, client, r.base, "/slack/events", "application/json", body(i))
					mu.Lock()
					acks = append(acks, ack{time.Since(t0), code})
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	sent := time.Since(start)
	for _, a := range acks {
		require.Equal(t, http.StatusOK, a.code)
	}
	// every question gets its clarifying questions, once
	perThread := map[string]int{}
	require.Eventually(t, func() bool {
		clear(perThread)
		for _, p := range fake.Posts("C1", "") {
			perThread[p["thread_ts"]]++
		}
		return len(perThread) >= n
	}, time.Duration(n)*50*time.Millisecond+60*time.Second, 200*time.Millisecond, "handled %d of %d questions\n%s\n%s", len(perThread), n, rs[0].stderr, rs[1].stderr)
	done := time.Since(start)
	time.Sleep(2 * time.Second) // anything handled twice would show now
	clear(perThread)
	for _, p := range fake.Posts("C1", "") {
		perThread[p["thread_ts"]]++
	}
	require.Len(t, perThread, n, "no question lost, none invented")
	for ts, c := range perThread {
		require.Equal(t, 1, c, "thread %s was answered %d times", ts, c)
	}
	ds := make([]time.Duration, len(acks))
	for i, a := range acks {
		ds[i] = a.d
	}
	slices.Sort(ds)
	q := func(p float64) time.Duration { return ds[int(float64(len(ds)-1)*p)] }
	t.Logf("%d questions (%d deliveries, %d duplicates) over 2 replicas: acknowledged in %s (%.0f deliveries/s), all handled in %s (%.0f questions/s); ack latency p50 %s, p95 %s, p99 %s, max %s",
		n, len(acks), len(acks)-n, sent.Round(time.Millisecond), float64(len(acks))/sent.Seconds(), done.Round(time.Millisecond), float64(n)/done.Seconds(),
		q(.5).Round(10*time.Microsecond), q(.95).Round(10*time.Microsecond), q(.99).Round(10*time.Microsecond), ds[len(ds)-1].Round(10*time.Microsecond))
}
