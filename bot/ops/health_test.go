package ops_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/ops"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/storetest"
)

type readiness struct {
	Ready    bool     `json:"ready"`
	Warnings []string `json:"warnings"`
	Checks   []struct {
		Check, Status string
	} `json:"checks"`
}

func get(t *testing.T, h http.Handler, path string) (int, readiness) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	var r readiness
	if path == "/readyz" {
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &r))
	}
	return rec.Code, r
}

type schema struct {
	st  store.Schema
	err error
}

func (s schema) SchemaStatus(context.Context) (store.Schema, error) { return s.st, s.err }

func TestHealth(t *testing.T) {
	t.Parallel()
	h := ops.NewHealth()
	h.Timeout = 200 * time.Millisecond
	code, _ := get(t, h.Handler(), "/healthz")
	require.Equal(t, http.StatusOK, code)

	// a real store: ready
	st := storetest.Backends()[0].Open(t)
	h.Add("database", ops.SchemaCheck(st.(ops.Schema)))
	code, r := get(t, h.Handler(), "/readyz")
	require.Equal(t, http.StatusOK, code, r)
	require.True(t, r.Ready)

	// a warning (a workspace set aside) is listed, and the replica stays ready
	h.Warn("workspaces", func() []string {
		return []string{"forno_bianchi is set aside: kpis.csv:2: value \"molti\" is not a number"}
	})
	code, r = get(t, h.Handler(), "/readyz")
	require.Equal(t, http.StatusOK, code, r)
	require.True(t, r.Ready)
	require.Equal(t, []string{"workspaces: forno_bianchi is set aside: kpis.csv:2: value \"molti\" is not a number"}, r.Warnings)

	// a schema behind, a transport down, a check that hangs: not ready, each named
	h.Add("database", ops.SchemaCheck(schema{st: store.Schema{Backend: "postgres", Current: 3, Latest: 4}}))
	h.Add("slack", func(context.Context) error { return errors.New("socket mode disconnected") })
	h.Add("discord", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	code, r = get(t, h.Handler(), "/readyz")
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.False(t, r.Ready)
	status := map[string]string{}
	for _, c := range r.Checks {
		status[c.Check] = c.Status
	}
	require.Contains(t, status["database"], "whybot migrate up")
	require.Equal(t, "socket mode disconnected", status["slack"])
	require.Equal(t, "context deadline exceeded", status["discord"])

	// shutting down: not ready, still alive
	h2 := ops.NewHealth()
	h2.Stopping()
	code, r = get(t, h2.Handler(), "/readyz")
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Equal(t, "shutdown", r.Checks[0].Check)
	code, _ = get(t, h2.Handler(), "/healthz")
	require.Equal(t, http.StatusOK, code)
}
