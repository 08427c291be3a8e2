package jobs_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/bot/jobs"
	"github.com/whybot/whybot/knowledge/sample"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/pgstore"
	"github.com/whybot/whybot/knowledge/store/storetest"
	"github.com/whybot/whybot/knowledge/workspace"
)

type poster struct {
	mu    sync.Mutex
	posts []conversation.Post
}

func (p *poster) Post(_ context.Context, post conversation.Post) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.posts = append(p.posts, post)
	return "ref", nil
}

func (p *poster) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.posts)
}

type notifier struct {
	mu      sync.Mutex
	notices []jobs.Notice
}

func (n *notifier) Notify(_ context.Context, x jobs.Notice) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.notices = append(n.notices, x)
	return nil
}

type bundle struct {
	st   store.Store
	ws   *workspace.Workspace
	data string
}

func setup(t *testing.T, be storetest.Backend) *bundle {
	t.Helper()
	_, data, err := sample.Write(filepath.Join(t.TempDir(), "ws"))
	require.NoError(t, err)
	ws, err := workspace.Load(filepath.Join(filepath.Dir(data), "company.yaml"), []string{data})
	require.NoError(t, err)
	return &bundle{st: be.Open(t), ws: ws, data: data}
}

// approvedNotPosted runs a conversation to a draft and approves it with an engine that
// leaves posting to the job runner, then drops that engine, as a killed process would: only
// the database remembers the approval.
func (b *bundle) approvedNotPosted(t *testing.T, now time.Time) string {
	t.Helper()
	ctx := context.Background()
	eng := conversation.New(b.st, conversation.WithQueuedDelivery(nil), conversation.WithPoster("test", &poster{}),
		conversation.WithLogger(slog.New(slog.DiscardHandler)), conversation.WithClock(func() time.Time { return now }))
	r, err := eng.Ask(ctx, b.ws, conversation.Request{Text: "why did leads rise 30%?", As: "anna", Transport: "test", Channel: "c1"})
	require.NoError(t, err)
	r, err = eng.Ask(ctx, b.ws, conversation.Request{ThreadID: r.Thread, Text: "answer anyway", As: "anna", Transport: "test", Channel: "c1"})
	require.NoError(t, err)
	require.NotNil(t, r.Draft)
	out, err := eng.Decide(ctx, b.ws.Profile.Workspace, r.Draft.ID, "luca", conversation.Action{Approve: true})
	require.NoError(t, err)
	require.Equal(t, store.DraftApproved, out.Draft.State)
	require.False(t, out.Posted, "queued delivery does not post inside Decide")
	return r.Draft.ID
}

func waitPosted(t *testing.T, st store.Store, ws, draft string) {
	t.Helper()
	require.Eventually(t, func() bool {
		d, err := st.Draft(context.Background(), ws, draft)
		return err == nil && d.State == store.DraftPosted
	}, 20*time.Second, 20*time.Millisecond)
}

// TestRestartAfterApprovalPostsOnce: the process dies between approval and post; two
// workers started afterwards (a restarted process and another replica) post it once.
func TestRestartAfterApprovalPostsOnce(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		b := setup(t, be)
		wsID := b.ws.Profile.Workspace
		draft := b.approvedNotPosted(t, time.Now().UTC())

		p := &poster{}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for range 2 {
			eng := conversation.New(b.st, conversation.WithQueuedDelivery(nil), conversation.WithPoster("test", p), conversation.WithLogger(slog.New(slog.DiscardHandler)))
			j := jobs.New(jobs.Config{Store: b.st, Engine: eng, Notifier: &notifier{}, Poll: 50 * time.Millisecond, ReloadKPIEvery: -1})
			wg.Add(1)
			if pg, ok := b.st.(*pgstore.Store); ok {
				rc, err := jobs.NewRiver(j, pg.Pool())
				require.NoError(t, err)
				go func() { defer wg.Done(); require.NoError(t, jobs.RunRiver(ctx, rc, 5*time.Second)) }()
			} else {
				go func() { defer wg.Done(); require.NoError(t, jobs.NewLocal(j).Run(ctx)) }()
			}
		}
		waitPosted(t, b.st, wsID, draft)
		time.Sleep(300 * time.Millisecond) // give a duplicate the chance to happen
		cancel()
		wg.Wait()
		require.Equal(t, 1, p.count(), "posted exactly once")
		require.Equal(t, "c1", p.posts[0].Channel, "in the thread the question came from")
		evs, err := b.st.Events(context.Background(), wsID, p.posts[0].ThreadID)
		require.NoError(t, err)
		require.Equal(t, store.EventPosted, evs[len(evs)-1].Kind)
	})
}

func TestRemindersThenEscalation(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		ctx := context.Background()
		b := setup(t, be)
		created := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
		eng := conversation.New(b.st, conversation.WithLogger(slog.New(slog.DiscardHandler)), conversation.WithClock(func() time.Time { return created }))
		r, err := eng.Ask(ctx, b.ws, conversation.Request{Text: "why did leads rise 30%?", As: "anna", Transport: "test"})
		require.NoError(t, err)
		_, err = eng.Ask(ctx, b.ws, conversation.Request{ThreadID: r.Thread, Text: "answer anyway", As: "anna", Transport: "test"})
		require.NoError(t, err)

		n := &notifier{}
		now := created
		j := jobs.New(jobs.Config{Store: b.st, Engine: eng, Notifier: n, Now: func() time.Time { return now }})
		deadline := time.Duration(b.ws.Profile.Thresholds.ReviewDeadlineHours) * time.Hour

		now = created.Add(deadline - time.Minute)
		sent, err := j.Remind(ctx)
		require.NoError(t, err)
		require.Zero(t, sent, "not due yet")

		now = created.Add(deadline + time.Minute)
		sent, err = j.Remind(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, sent)
		require.Equal(t, 1, n.notices[0].Level)
		require.Equal(t, []string{"luca"}, n.notices[0].To, "the profile's reviewers")
		require.Contains(t, n.notices[0].Text, "why did leads rise 30%?")
		sent, err = j.Remind(ctx)
		require.NoError(t, err)
		require.Zero(t, sent, "once per level")

		now = created.Add(2*deadline + time.Minute)
		sent, err = j.Remind(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, sent)
		require.Equal(t, 2, n.notices[1].Level)
		require.Equal(t, []string{"anna"}, n.notices[1].To, "escalated to the owner")
	})
}

// Someone who says they will answer later is asked again in the thread when the time
// they gave is up, once, with two replicas sweeping; someone who answered first is not.
func TestAnswerReminders(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		ctx := context.Background()
		b := setup(t, be)
		asked := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
		eng := conversation.New(b.st, conversation.WithLogger(slog.New(slog.DiscardHandler)), conversation.WithClock(func() time.Time { return asked }))
		r, err := eng.Ask(ctx, b.ws, conversation.Request{Text: "why did leads rise 30%?", As: "anna", Transport: "test", Channel: "c1"})
		require.NoError(t, err)
		later, err := eng.Ask(ctx, b.ws, conversation.Request{ThreadID: r.Thread, Text: "let me check with the team, I'll get back to you tomorrow", As: "marco", Transport: "test"})
		require.NoError(t, err)
		require.Contains(t, later.Later, "tomorrow")
		_, err = eng.Ask(ctx, b.ws, conversation.Request{ThreadID: r.Thread, Text: "ti faccio sapere", As: "giulia", Transport: "test"})
		require.NoError(t, err)
		_, err = eng.Ask(ctx, b.ws, conversation.Request{ThreadID: r.Thread, Text: "40%", As: "giulia", Transport: "test"})
		require.NoError(t, err, "giulia answers before her reminder is due")

		n := &notifier{}
		now := asked.Add(23 * time.Hour)
		one := jobs.New(jobs.Config{Store: b.st, Engine: eng, Notifier: n, Now: func() time.Time { return now }})
		two := jobs.New(jobs.Config{Store: b.st, Engine: eng, Notifier: n, Now: func() time.Time { return now }})
		sent, err := one.RemindAnswers(ctx)
		require.NoError(t, err)
		require.Zero(t, sent, "not due yet")

		now = asked.Add(25 * time.Hour)
		var wg sync.WaitGroup
		for _, j := range []*jobs.Jobs{one, two} {
			wg.Add(1)
			go func() { defer wg.Done(); _, _ = j.RemindAnswers(ctx) }()
		}
		wg.Wait()
		require.Len(t, n.notices, 1, "marco is reminded once; giulia, who answered, not at all")
		got := n.notices[0]
		require.True(t, got.InThread)
		require.Equal(t, "c1", got.Channel, "in the question's thread")
		require.Equal(t, []string{"marco"}, got.To)
		require.Contains(t, got.Text, "@marco")
		require.Contains(t, got.Text, "il commerciale ha ricontattato i 78 lead", "the question put to him, as it was put: in his own language")
	})
}

func TestReloadKPIKeepsLastGoodSnapshot(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		ctx := context.Background()
		b := setup(t, be)
		rec, err := b.ws.Record()
		require.NoError(t, err)
		require.NoError(t, b.st.UpsertWorkspace(ctx, rec))
		j := jobs.New(jobs.Config{Store: b.st, Notifier: &notifier{}})
		n, err := j.ReloadKPI(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		rows, _, err := b.st.KPI(ctx, rec.ID)
		require.NoError(t, err)
		require.Len(t, rows, len(b.ws.Data.Input))
		ws2, err := workspace.FromSnapshot(rec, rows)
		require.NoError(t, err)
		require.Equal(t, b.ws.Data.Series("leads"), ws2.Data.Series("leads"), "the snapshot rebuilds the same data")

		require.NoError(t, os.WriteFile(b.data, []byte("period,metric,value\n2026-10,leads,lots\n"), 0o644))
		_, err = j.ReloadKPI(ctx)
		require.ErrorContains(t, err, "kpis.csv:2")
		again, _, err := b.st.KPI(ctx, rec.ID)
		require.NoError(t, err)
		require.Equal(t, rows, again, "a bad file leaves the last good snapshot")
	})
}

// The runners prune the inbox on their first pass (River's periodic job on PostgreSQL, the
// local pass on SQLite): a delivery handled past the retention window is gone, a recent
// one stays.
func TestInboxPrunedByTheRunner(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		b := setup(t, be)
		ctx := context.Background()
		now := time.Now().UTC()
		for key, at := range map[string]time.Time{"old": now.Add(-8 * 24 * time.Hour), "recent": now.Add(-time.Hour)} {
			ok, err := b.st.Receive(ctx, store.Inbound{Source: "slack", Key: key, Payload: []byte(`{}`), ReceivedAt: at})
			require.NoError(t, err)
			require.True(t, ok)
		}
		claimed, err := b.st.ClaimInbound(ctx, "slack", now, time.Minute, 10)
		require.NoError(t, err)
		for _, in := range claimed {
			require.NoError(t, b.st.FinishInbound(ctx, in.ID, "", time.Time{}))
		}
		eng := conversation.New(b.st, conversation.WithQueuedDelivery(nil), conversation.WithLogger(slog.New(slog.DiscardHandler)))
		j := jobs.New(jobs.Config{Store: b.st, Engine: eng, Notifier: &notifier{}, Poll: 50 * time.Millisecond, ReloadKPIEvery: -1})
		run, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		if pg, ok := b.st.(*pgstore.Store); ok {
			rc, err := jobs.NewRiver(j, pg.Pool())
			require.NoError(t, err)
			go func() { done <- jobs.RunRiver(run, rc, 5*time.Second) }()
		} else {
			go func() { done <- jobs.NewLocal(j).Run(run) }()
		}
		known := func(key string) bool { // a delivery still in the inbox is not queued again
			ok, err := b.st.Receive(ctx, store.Inbound{Source: "slack", Key: key, Payload: []byte(`{}`), ReceivedAt: now})
			require.NoError(t, err)
			return !ok
		}
		require.Eventually(t, func() bool { return !known("old") }, 20*time.Second, 50*time.Millisecond, "the old delivery is pruned")
		require.True(t, known("recent"), "the recent one is kept")
		cancel()
		require.NoError(t, <-done)
	})
}
