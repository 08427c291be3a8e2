// Package ops serves what an orchestrator asks of a replica: /healthz (the process
// answers) and /readyz (it can do its work: the database answers and its schema is
// current, and every transport is connected).
package ops

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/whybot/whybot/knowledge/store"
)

// Check reports why a replica is not ready, or nil.
type Check func(ctx context.Context) error

// Schema is what the database check needs.
type Schema interface {
	SchemaStatus(ctx context.Context) (store.Schema, error)
}

// SchemaCheck is ready when the database answers and its schema is the one this binary
// knows (neither behind, before `whybot migrate up`, nor ahead, during a roll-back).
func SchemaCheck(s Schema) Check {
	return func(ctx context.Context) error {
		st, err := s.SchemaStatus(ctx)
		if err != nil {
			return err
		}
		return st.Check()
	}
}

// Health holds the readiness checks, by name.
type Health struct {
	mu       sync.RWMutex
	checks   map[string]Check
	warnings map[string]func() []string
	stopping bool
	Timeout  time.Duration // per check; default 2s
}

// NewHealth is a Health with no checks yet.
func NewHealth() *Health { return &Health{checks: map[string]Check{}} }

// Add registers a readiness check (the database, a transport's connection).
func (h *Health) Add(name string, c Check) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.checks[name] = c
}

// Warn registers what /readyz lists as warnings without being unready: things an operator
// must fix that leave the replica able to do its work (a workspace set aside).
func (h *Health) Warn(name string, w func() []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.warnings == nil {
		h.warnings = map[string]func() []string{}
	}
	h.warnings[name] = w
}

// Stopping marks the replica as shutting down: not ready, so the load balancer sends no
// new work while in-flight work finishes.
func (h *Health) Stopping() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopping = true
}

// Handler serves /healthz and /readyz.
func (h *Health) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", h.ready)
	return mux
}

func (h *Health) ready(w http.ResponseWriter, r *http.Request) {
	h.mu.RLock()
	checks := make(map[string]Check, len(h.checks))
	for k, v := range h.checks {
		checks[k] = v
	}
	stopping := h.stopping
	var warnings []string
	for name, w := range h.warnings {
		for _, x := range w() {
			warnings = append(warnings, name+": "+x)
		}
	}
	h.mu.RUnlock()
	sort.Strings(warnings)
	timeout := h.Timeout
	if timeout == 0 {
		timeout = 2 * time.Second
	}
	results := map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, c := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(r.Context(), timeout)
			defer cancel()
			msg := "ok"
			if err := c(ctx); err != nil {
				msg = err.Error()
			}
			mu.Lock()
			results[name] = msg
			mu.Unlock()
		}()
	}
	wg.Wait()
	ok := !stopping
	if stopping {
		results["shutdown"] = "stopping: finishing in-flight work"
	}
	names := make([]string, 0, len(results))
	for n, msg := range results {
		names = append(names, n)
		if msg != "ok" {
			ok = false
		}
	}
	sort.Strings(names)
	type line struct {
		Check  string `json:"check"`
		Status string `json:"status"`
	}
	out := struct {
		Ready    bool     `json:"ready"`
		Checks   []line   `json:"checks"`
		Warnings []string `json:"warnings,omitempty"`
	}{Ready: ok, Warnings: warnings}
	for _, n := range names {
		out.Checks = append(out.Checks, line{n, results[n]})
	}
	w.Header().Set("Content-Type", "application/json")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(out)
}
