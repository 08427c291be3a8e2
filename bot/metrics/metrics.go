// Package metrics is whybot's Prometheus instrumentation: what the conversation engine,
// the transports' inbox and the language model do, served at /metrics. Counters are per
// replica (Prometheus sums them); drafts by state are read from the database at scrape
// time, so every replica reports the same totals: aggregate them with max, not sum.
package metrics

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/whybot/whybot/bot/llm"
	"github.com/whybot/whybot/knowledge/store"
)

// Metrics holds the collectors, on a registry of its own.
type Metrics struct {
	reg *prometheus.Registry

	questions    *prometheus.CounterVec
	turns        *prometheus.CounterVec
	ruleEvals    prometheus.Counter
	findings     *prometheus.CounterVec
	decisions    *prometheus.CounterVec
	approvalWait prometheus.Histogram
	postWait     *prometheus.HistogramVec
	posts        *prometheus.CounterVec
	postFailures *prometheus.CounterVec
	postRetried  *prometheus.CounterVec
	received     *prometheus.CounterVec
	duplicates   *prometheus.CounterVec
	llmCalls     *prometheus.CounterVec
	llmLatency   prometheus.Histogram
	llmFallbacks *prometheus.CounterVec
}

// slow is for waits on people (approval): seconds to days.
var slow = []float64{10, 30, 60, 300, 900, 1800, 3600, 3 * 3600, 8 * 3600, 24 * 3600, 72 * 3600}

// New registers whybot's collectors, plus Go's and the process's.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	f := func(c prometheus.Collector) { reg.MustRegister(c) }
	m := &Metrics{reg: reg}
	m.questions = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "whybot_questions_total", Help: "New questions (threads started), by transport."}, []string{"transport"})
	m.turns = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "whybot_turns_total", Help: "Messages handled in conversations (questions, answers, context), by transport."}, []string{"transport"})
	m.ruleEvals = prometheus.NewCounter(prometheus.CounterOpts{Name: "whybot_rule_evaluations_total", Help: "Rule set evaluations (one per handled message)."})
	m.findings = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "whybot_rule_findings_total", Help: "Rules that fired, by rule id."}, []string{"rule"})
	m.decisions = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "whybot_decisions_total", Help: "Reviewers' decisions on drafts, by resulting state (approved, rejected) and whether the text was edited."}, []string{"state", "edited"})
	m.approvalWait = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "whybot_approval_latency_seconds", Help: "Time from a draft to its reviewer's decision.", Buckets: slow})
	m.postWait = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "whybot_approval_to_post_seconds", Help: "Time from approval to the answer being posted, by transport.", Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900}}, []string{"transport"})
	m.posts = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "whybot_posts_total", Help: "Approved answers posted, by transport."}, []string{"transport"})
	m.postFailures = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "whybot_post_failures_total", Help: "Failed attempts to post an approved answer (retried by the outbox), by transport."}, []string{"transport"})
	m.postRetried = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "whybot_posts_retried_total", Help: "Answers posted only after an earlier attempt failed or its replica died, by transport."}, []string{"transport"})
	m.received = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "whybot_events_received_total", Help: "Deliveries from chat platforms (events, commands, interactions) recorded in the inbox, by transport."}, []string{"transport"})
	m.duplicates = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "whybot_events_deduplicated_total", Help: "Deliveries dropped because the inbox already had them (platform retries, several replicas or gateways), by transport."}, []string{"transport"})
	m.llmCalls = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "whybot_llm_calls_total", Help: "Language model calls, by outcome (ok, error, timeout, paused)."}, []string{"outcome"})
	m.llmLatency = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "whybot_llm_call_seconds", Help: "Language model call latency, retries included.", Buckets: []float64{.1, .25, .5, 1, 2, 4, 8, 15, 30, 60}})
	m.llmFallbacks = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "whybot_llm_fallbacks_total", Help: "Times the rules' reading or draft was used instead of the model's, by use (read, phrase) and reason."}, []string{"use", "reason"})
	for _, c := range []prometheus.Collector{m.questions, m.turns, m.ruleEvals, m.findings, m.decisions, m.approvalWait, m.postWait, m.posts,
		m.postFailures, m.postRetried, m.received, m.duplicates, m.llmCalls, m.llmLatency, m.llmFallbacks} {
		f(c)
	}
	return m
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, Timeout: 5 * time.Second})
}

// Counter reads drafts by state for whybot_drafts.
type Counter interface {
	DraftCounts(ctx context.Context) (map[store.DraftState]int, error)
}

// Drafts adds whybot_drafts{state}, read from the store at each scrape.
func (m *Metrics) Drafts(s Counter) {
	m.reg.MustRegister(&draftsCollector{s: s, desc: prometheus.NewDesc("whybot_drafts", "Drafts by state (pending, approved, posted, rejected, superseded), in the whole database.", []string{"state"}, nil)})
}

type draftsCollector struct {
	s    Counter
	desc *prometheus.Desc
}

func (d *draftsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- d.desc }

func (d *draftsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := d.s.DraftCounts(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(d.desc, err)
		return
	}
	for _, st := range store.DraftStates {
		ch <- prometheus.MustNewConstMetric(d.desc, prometheus.GaugeValue, float64(counts[st]), string(st))
	}
}

// Question counts a new thread.
func (m *Metrics) Question(transport string) { m.questions.WithLabelValues(transport).Inc() }

// Turn counts a handled message and the rules evaluated for it.
func (m *Metrics) Turn(transport string, fired []string) {
	m.turns.WithLabelValues(transport).Inc()
	m.ruleEvals.Inc()
	for _, r := range fired {
		m.findings.WithLabelValues(r).Inc()
	}
}

// Decided counts a reviewer's decision and how long the draft waited for it.
func (m *Metrics) Decided(state string, edited bool, waited time.Duration) {
	e := "false"
	if edited {
		e = "true"
	}
	m.decisions.WithLabelValues(state, e).Inc()
	m.approvalWait.Observe(waited.Seconds())
}

// Posted counts an answer posted, how long after approval, and whether it was retried.
func (m *Metrics) Posted(transport string, sinceApproval time.Duration, retried bool) {
	m.posts.WithLabelValues(transport).Inc()
	m.postWait.WithLabelValues(transport).Observe(sinceApproval.Seconds())
	if retried {
		m.postRetried.WithLabelValues(transport).Inc()
	}
}

// PostFailed counts a failed attempt to post.
func (m *Metrics) PostFailed(transport string) { m.postFailures.WithLabelValues(transport).Inc() }

// Fallback counts the rules' reading or draft standing in for the model's.
func (m *Metrics) Fallback(use, reason string) { m.llmFallbacks.WithLabelValues(use, reason).Inc() }

// Received counts a platform delivery, fresh or a duplicate.
func (m *Metrics) Received(transport string, fresh bool) {
	if fresh {
		m.received.WithLabelValues(transport).Inc()
	} else {
		m.duplicates.WithLabelValues(transport).Inc()
	}
}

// Model wraps a language model, counting its calls by outcome and timing them.
func (m *Metrics) Model(next llm.Model) llm.Model { return &model{next: next, m: m} }

type model struct {
	next llm.Model
	m    *Metrics
}

func (x *model) Complete(ctx context.Context, system, user string, json bool) (string, error) {
	start := time.Now()
	out, err := x.next.Complete(ctx, system, user, json)
	outcome := "ok"
	switch {
	case err == nil:
	case errors.Is(err, llm.ErrOpen):
		outcome = "paused"
	case errors.Is(err, context.DeadlineExceeded):
		outcome = "timeout"
	default:
		outcome = "error"
	}
	if outcome != "paused" { // a paused model was not called
		x.m.llmLatency.Observe(time.Since(start).Seconds())
	}
	x.m.llmCalls.WithLabelValues(outcome).Inc()
	return out, err
}
