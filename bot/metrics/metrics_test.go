package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/llm"
	"github.com/whybot/whybot/bot/metrics"
	"github.com/whybot/whybot/knowledge/store"
)

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	require.Equal(t, 200, rec.Code)
	b, err := io.ReadAll(rec.Body)
	require.NoError(t, err)
	return string(b)
}

type counts map[store.DraftState]int

func (c counts) DraftCounts(context.Context) (map[store.DraftState]int, error) {
	if c == nil {
		return nil, errors.New("database down")
	}
	return c, nil
}

type model struct{ errs []error }

func (m *model) Complete(context.Context, string, string, bool) (string, error) {
	err := m.errs[0]
	m.errs = m.errs[1:]
	return "x", err
}

func TestMetricsExposition(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	m.Drafts(counts{store.DraftPending: 3, store.DraftPosted: 2})
	m.Question("slack")
	m.Turn("slack", []string{"vanity_metric", "goal_off_track"})
	m.Turn("slack", []string{"vanity_metric"})
	m.Decided("approved", true, 90*time.Second)
	m.Posted("slack", 300*time.Millisecond, true)
	m.PostFailed("slack")
	m.Received("discord", true)
	m.Received("discord", false)
	m.Fallback("phrase", "ungrounded")
	lm := m.Model(&model{errs: []error{nil, llm.ErrOpen, fmt.Errorf("call: %w", context.DeadlineExceeded), errors.New("500")}})
	for range 4 {
		_, _ = lm.Complete(context.Background(), "s", "u", false)
	}
	out := scrape(t, m)
	for _, line := range []string{
		`whybot_questions_total{transport="slack"} 1`,
		`whybot_turns_total{transport="slack"} 2`,
		`whybot_rule_evaluations_total 2`,
		`whybot_rule_findings_total{rule="vanity_metric"} 2`,
		`whybot_rule_findings_total{rule="goal_off_track"} 1`,
		`whybot_decisions_total{edited="true",state="approved"} 1`,
		`whybot_approval_latency_seconds_bucket{le="60"} 0`,
		`whybot_approval_latency_seconds_bucket{le="300"} 1`,
		`whybot_approval_to_post_seconds_count{transport="slack"} 1`,
		`whybot_posts_total{transport="slack"} 1`,
		`whybot_posts_retried_total{transport="slack"} 1`,
		`whybot_post_failures_total{transport="slack"} 1`,
		`whybot_events_received_total{transport="discord"} 1`,
		`whybot_events_deduplicated_total{transport="discord"} 1`,
		`whybot_llm_fallbacks_total{reason="ungrounded",use="phrase"} 1`,
		`whybot_llm_calls_total{outcome="ok"} 1`,
		`whybot_llm_calls_total{outcome="paused"} 1`,
		`whybot_llm_calls_total{outcome="timeout"} 1`,
		`whybot_llm_calls_total{outcome="error"} 1`,
		`whybot_llm_call_seconds_count 3`,
		`whybot_drafts{state="pending_approval"} 3`,
		`whybot_drafts{state="posted"} 2`,
		`whybot_drafts{state="rejected"} 0`,
		"# TYPE go_goroutines gauge",
	} {
		require.Contains(t, out, line+"\n", "missing %s", line)
	}
}

func TestDraftsUnreadableIsAnError(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	m.Drafts(counts(nil))
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	require.Equal(t, 500, rec.Code)
	require.True(t, strings.Contains(rec.Body.String(), "database down"), rec.Body.String())
}
