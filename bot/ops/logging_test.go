package ops_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/ops"
)

func TestRequestIDReachesTheLogs(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(ops.LogHandler(slog.NewJSONHandler(&buf, nil)))
	h := ops.RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.InfoContext(ops.WithLogAttrs(r.Context(), "delivery", "slack/event:Ev1"), "handled")
	}))
	for _, tc := range []struct{ in, want string }{
		{"lb-7f3a.1", "lb-7f3a.1"}, // a load balancer's id is kept
		{"bad id\nforged=1", ""},   // anything else is replaced
		{"", ""},
	} {
		buf.Reset()
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/slack/events", nil)
		if tc.in != "" {
			req.Header.Set("X-Request-Id", tc.in)
		}
		h.ServeHTTP(rec, req)
		var line map[string]any
		require.NoError(t, json.Unmarshal(buf.Bytes(), &line))
		id := rec.Header().Get("X-Request-Id")
		require.Equal(t, id, line["request_id"])
		require.Equal(t, "slack/event:Ev1", line["delivery"])
		if tc.want != "" {
			require.Equal(t, tc.want, id)
		} else {
			require.Regexp(t, `^[0-9a-f]{16}$`, id)
		}
	}
}
