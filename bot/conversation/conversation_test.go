package conversation_test

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/rules"
	"github.com/whybot/whybot/knowledge/sample"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/storetest"
	"github.com/whybot/whybot/knowledge/workspace"
)

var update = flag.Bool("update", false, "rewrite golden files")

type poster struct {
	mu    sync.Mutex
	posts []conversation.Post
	fail  error
}

func (p *poster) Post(_ context.Context, post conversation.Post) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return "", p.fail
	}
	p.posts = append(p.posts, post)
	return "ref", nil
}

type bundle struct {
	eng    *conversation.Engine
	ws     *workspace.Workspace
	store  store.Store
	poster *poster

	mu    sync.Mutex
	clock time.Time
}

// advance moves the engine's clock forward.
func (b *bundle) advance(d time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.clock = b.clock.Add(d)
}

func setup(t testing.TB) *bundle {
	return setupOn(t, storetest.Backends()[0])
}

// setupOn builds the sample workspace's engine on one backend.
func setupOn(t testing.TB, be storetest.Backend) *bundle {
	t.Helper()
	dir := t.TempDir()
	prof, data, err := sample.Write(filepath.Join(dir, "ws"))
	require.NoError(t, err)
	ws, err := workspace.Load(prof, []string{data})
	require.NoError(t, err)
	s := be.Open(t)
	p := &poster{}
	b := &bundle{ws: ws, store: s, poster: p, clock: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	b.eng = conversation.New(s, conversation.WithPoster("test", p), conversation.WithLogger(slog.New(slog.DiscardHandler)),
		conversation.WithClock(func() time.Time {
			b.mu.Lock()
			defer b.mu.Unlock()
			b.clock = b.clock.Add(time.Second)
			return b.clock
		}))
	return b
}

func (b *bundle) ask(t testing.TB, thread, as, text string) conversation.Reply {
	t.Helper()
	r, err := b.eng.Ask(context.Background(), b.ws, conversation.Request{ThreadID: thread, As: as, Text: text, Transport: "test"})
	require.NoError(t, err)
	return r
}

// pendingDraft asks the sample question and drafts at once, leaving a draft to review.
func (b *bundle) pendingDraft(t testing.TB) conversation.Reply {
	t.Helper()
	r := b.ask(t, "", "anna", "why did leads rise 30%?")
	r = b.ask(t, r.Thread, "anna", "answer anyway")
	require.NotNil(t, r.Draft)
	return r
}

// TestGoldenDrafts renders drafts in both languages and both tones and compares them with
// testdata/*.golden (go test -run TestGoldenDrafts -update rewrites them).
func TestGoldenDrafts(t *testing.T) {
	t.Parallel()
	english := regexp.MustCompile(`(?i)\b(the|and|with|should|next step|hypothesis|leads|data|owner|success)\b`)
	// marketing answers about lead quality, sales about follow-up (a share one gives about
	// the other's topic is context, not a fact)
	cases := []struct{ name, asker, question, quality, followup string }{
		{"it_formal", "marco", "Perché i lead sono aumentati del 30%?", "solo il 40% è in target", "ne abbiamo richiamati un quarto"},
		{"it_informal_summary", "giulia", "Perché i lead sono aumentati del 30%?", "solo il 40% è in target", "ne abbiamo richiamati un quarto"},
		{"en_formal", "anna", "Why did leads rise 30%?", "about 60% were qualified", "we called all of them"},
		{"en_premise_informal", "giulia", "Why did leads jump 50%?", "40% are in target", "we called half of them"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			r := b.ask(t, "", c.asker, c.question)
			require.Equal(t, store.ThreadAwaitingAnswers, r.State)
			r = b.ask(t, r.Thread, "giulia", c.quality)
			r = b.ask(t, r.Thread, "marco", c.followup)
			r = b.ask(t, r.Thread, c.asker, "answer anyway")
			require.NotNil(t, r.Draft)
			path := filepath.Join("testdata", c.name+".golden")
			if *update {
				require.NoError(t, os.WriteFile(path, []byte(r.Draft.Text+"\n"), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err)
			require.Equal(t, string(want), r.Draft.Text+"\n")
			if strings.HasPrefix(c.name, "it") {
				require.Nil(t, english.FindStringIndex(r.Draft.Text), "English words leak into the Italian draft: %q", english.FindString(r.Draft.Text))
			}
		})
	}
}

func TestApprovalPostsExactlyOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	r := b.pendingDraft(t)
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := b.eng.Decide(ctx, b.ws.Profile.Workspace, r.Draft.ID, "luca", conversation.Action{Approve: true})
			require.NoError(t, err)
		}()
	}
	wg.Wait()
	require.Len(t, b.poster.posts, 1)
	require.Equal(t, r.Draft.Text, b.poster.posts[0].Text)
	require.Equal(t, record.Actor("luca"), b.poster.posts[0].ApprovedBy)
}

func TestFailedPostIsRetriedNotLost(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	r := b.pendingDraft(t)
	b.poster.fail = errors.New("slack is down")
	out, err := b.eng.Decide(ctx, b.ws.Profile.Workspace, r.Draft.ID, "luca", conversation.Action{Approve: true})
	require.NoError(t, err, "the approval stands")
	require.Contains(t, out.PostError, "slack is down")
	require.Equal(t, store.DraftApproved, out.Draft.State)
	b.poster.fail = nil
	n, err := b.eng.DeliverPending(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "the retry waits for its backoff")
	b.advance(time.Minute)
	n, err = b.eng.DeliverPending(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	n, err = b.eng.DeliverPending(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
	require.Len(t, b.poster.posts, 1)
}

func TestOnlyReviewersDecide(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	r := b.pendingDraft(t)
	for _, who := range []record.Actor{"anna", "giulia", "mallory", "", "web:anna"} {
		_, err := b.eng.Decide(ctx, b.ws.Profile.Workspace, r.Draft.ID, who, conversation.Action{Approve: true})
		require.ErrorIs(t, err, conversation.ErrNotReviewer, who.String())
	}
	for _, role := range []string{"4000000000000000009", ""} {
		_, err := b.eng.Decide(ctx, b.ws.Profile.Workspace, r.Draft.ID, "discord:1000000000000000009", conversation.Action{Approve: true, Role: role})
		require.ErrorIs(t, err, conversation.ErrNotReviewer, "a role that is not the profile's reviewer role: %q", role)
	}
	require.Empty(t, b.poster.posts)
	_, err := b.eng.Decide(ctx, b.ws.Profile.Workspace, r.Draft.ID, "luca", conversation.Action{})
	var ue *conversation.UserError
	require.ErrorAs(t, err, &ue, "a rejection without a reason is refused")
	out, err := b.eng.Decide(ctx, b.ws.Profile.Workspace, r.Draft.ID, "luca", conversation.Action{Approve: true, EditedText: "Shorter answer."})
	require.NoError(t, err)
	require.True(t, out.Draft.Edited)
	require.Equal(t, "Shorter answer.", b.poster.posts[0].Text)
	events, err := b.store.Events(ctx, b.ws.Profile.Workspace, r.Thread)
	require.NoError(t, err)
	var kinds []string
	for _, e := range events {
		kinds = append(kinds, string(e.Kind))
	}
	require.Subset(t, kinds, []string{"question", "data", "rule", "question_asked", "answer", "draft", "edited", "approved", "posted"})

	// a member of the profile's reviewer role, verified by the transport, reviews too
	r = b.pendingDraft(t)
	out, err = b.eng.Decide(ctx, b.ws.Profile.Workspace, r.Draft.ID, "discord:1000000000000000009", conversation.Action{Reason: "numbers are old", Role: b.ws.Profile.Discord.ReviewerRole})
	require.NoError(t, err)
	require.Equal(t, store.DraftRejected, out.Draft.State)
	require.Equal(t, record.Actor("discord:1000000000000000009"), out.Draft.DecidedBy)
}

// TestOnlyThePersonAskedGivesFacts: a share from someone the question was not put to is
// context; the same share from the person asked is a fact.
func TestOnlyThePersonAskedGivesFacts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	r := b.ask(t, "", "anna", "Perché i lead sono aumentati del 30%?")
	r = b.ask(t, r.Thread, "anna", "secondo me solo il 10% è in target e le vendite li hanno richiamati tutti")
	facts, err := b.store.Facts(ctx, b.ws.Profile.Workspace, r.Thread)
	require.NoError(t, err)
	require.Empty(t, facts, "the owner was not asked about quality or follow-up")
	require.Equal(t, store.ThreadAwaitingAnswers, r.State)
	r = b.ask(t, r.Thread, "giulia", "solo il 40% è in target")
	facts, err = b.store.Facts(ctx, b.ws.Profile.Workspace, r.Thread)
	require.NoError(t, err)
	require.Len(t, facts, 1)
	require.Equal(t, "giulia", facts[0].By)
	require.InDelta(t, 0.40, *facts[0].Value, 1e-9)
}

// A quick answer is a fact with exact provenance from the person asked; a vague one stays a
// range; a figure typed in its form is a share; anyone else's click is refused; a later
// click corrects the first.
func TestQuickAnswers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	r := b.ask(t, "", "anna", "Perché i lead sono aumentati del 30%?")
	pick := func(as string, p conversation.Pick) (conversation.Reply, error) {
		return b.eng.Ask(ctx, b.ws, conversation.Request{ThreadID: r.Thread, As: as, Pick: &p, Transport: "test"})
	}
	_, err := pick("marco", conversation.Pick{Topic: rules.TopicLeadQuality, Choice: "few"})
	var ue *conversation.UserError
	require.ErrorAs(t, err, &ue)
	require.Equal(t, "pick_not_yours", ue.Key, "the quality question is Giulia's")
	_, err = pick("giulia", conversation.Pick{Topic: rules.TopicLeadQuality, Choice: "everything"})
	require.ErrorAs(t, err, &ue)
	require.Equal(t, "pick_invalid", ue.Key)
	bad := 140.0
	_, err = pick("giulia", conversation.Pick{Topic: rules.TopicLeadQuality, Choice: conversation.PickPercent, Percent: &bad})
	require.ErrorAs(t, err, &ue)
	require.Equal(t, "pick_percent", ue.Key)

	got, err := pick("giulia", conversation.Pick{Topic: rules.TopicLeadQuality, Choice: "few"})
	require.NoError(t, err)
	require.Equal(t, []string{"Segnato: i lead in target sono pochi, secondo Giulia. Se hai una stima più precisa, scrivila pure."}, got.Readback)
	facts, err := b.store.Facts(ctx, b.ws.Profile.Workspace, r.Thread)
	require.NoError(t, err)
	require.Len(t, facts, 1)
	require.Nil(t, facts[0].Value, "few is a range, not a figure")
	require.Equal(t, &rules.Reading{Low: 0.05, High: 0.3, Words: "Pochi", By: rules.ReadByButton}, facts[0].Reading)
	require.True(t, got.Findings != nil && slices.ContainsFunc(got.Findings, func(f rules.Finding) bool { return f.Rule == rules.LeadQualityLow }))

	typed := 35.0
	got, err = pick("giulia", conversation.Pick{Topic: rules.TopicLeadQuality, Choice: conversation.PickPercent, Percent: &typed})
	require.NoError(t, err)
	require.Contains(t, got.Readback[0], "il 35% dei lead in target")
	facts, err = b.store.Facts(ctx, b.ws.Profile.Workspace, r.Thread)
	require.NoError(t, err)
	require.Len(t, facts, 2, "the history keeps both")
	require.InDelta(t, 0.35, *facts[1].Value, 1e-9)
	require.Equal(t, rules.ReadByButton, facts[1].Reading.By)
	require.Equal(t, store.ThreadAwaitingAnswers, got.State, "Marco and Luca are still to answer")
}

// TestConcurrentTurnsOnOneThread: two replicas (two engines, one store) handle two
// answers of the same thread at the same moment. Both turns are kept, in some order;
// neither person is told to send the message again.
func TestConcurrentTurnsOnOneThread(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		b := setupOn(t, be)
		other := conversation.New(b.store, conversation.WithLogger(slog.New(slog.DiscardHandler)))
		ctx := context.Background()
		for range 6 {
			r := b.ask(t, "", "anna", "perché i lead sono aumentati del 30%?")
			start := make(chan struct{})
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, x := range []struct {
				eng       *conversation.Engine
				as, reply string
			}{{b.eng, "giulia", "solo il 40% è in target"}, {other, "marco", "li abbiamo richiamati quasi tutti, l'85%"}} {
				wg.Go(func() {
					<-start
					_, errs[i] = x.eng.Ask(ctx, b.ws, conversation.Request{ThreadID: r.Thread, As: x.as, Text: x.reply, Transport: "test"})
				})
			}
			close(start)
			wg.Wait()
			require.NoError(t, errors.Join(errs...))
			evs, err := b.store.Events(ctx, b.ws.Profile.Workspace, r.Thread)
			require.NoError(t, err)
			var by []string
			for _, ev := range evs {
				if ev.Kind == store.EventAnswer {
					by = append(by, ev.By.String())
				}
			}
			require.ElementsMatch(t, []string{"giulia", "marco"}, by)
		}
	})
}

// A message past the limit is refused with a reason and writes nothing.
func TestMessageTooLong(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	_, err := b.eng.Ask(ctx, b.ws, conversation.Request{Text: "why did leads rise? " + strings.Repeat("è", 5000), NewID: "t_long"})
	var ue *conversation.UserError
	require.ErrorAs(t, err, &ue)
	require.Contains(t, ue.Reason, "the message is too long (5020 characters, at most 4000)")
	_, err = b.store.Thread(ctx, b.ws.Profile.Workspace, "t_long")
	require.ErrorIs(t, err, store.ErrNotFound)
}

// Answers can arrive in any order (two replicas, a slow person): an answer after "answer
// anyway" makes a new draft with the new fact that supersedes the first, and the thread
// stays waiting for review, as when the answer came first.
func TestAnswerAfterAnswerAnyway(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	r, err := b.eng.Ask(ctx, b.ws, conversation.Request{As: "anna", Text: "perché i lead sono aumentati del 30%?"})
	require.NoError(t, err)
	first, err := b.eng.Ask(ctx, b.ws, conversation.Request{ThreadID: r.Thread, As: "anna", Text: "rispondi comunque"})
	require.NoError(t, err)
	require.NotNil(t, first.Draft)
	later, err := b.eng.Ask(ctx, b.ws, conversation.Request{ThreadID: r.Thread, As: "giulia", Text: "solo il 40% è in target"})
	require.NoError(t, err)
	require.Equal(t, store.ThreadPendingApproval, later.State)
	require.NotNil(t, later.Draft)
	require.NotEqual(t, first.Draft.ID, later.Draft.ID)
	require.Contains(t, later.Draft.Text, "40%")
	old, err := b.store.Draft(ctx, b.ws.Profile.Workspace, first.Draft.ID)
	require.NoError(t, err)
	require.Equal(t, store.DraftSuperseded, old.State)
}

// A thread written before its row kept the question and the topics asked is read from its
// events once, and carries them on.
func TestThreadFromBeforeFlatRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	r := b.ask(t, "", "anna", "Perché i lead sono aumentati del 30%?")
	th, err := b.store.Thread(ctx, b.ws.Profile.Workspace, r.Thread)
	require.NoError(t, err)
	require.Equal(t, "Perché i lead sono aumentati del 30%?", th.Question)
	require.NotEmpty(t, th.Asked)
	asked := th.Asked
	th.Question, th.Asked = "", nil // as a thread of an earlier whybot
	_, err = b.store.SaveTurn(ctx, store.Turn{Thread: th})
	require.NoError(t, err)
	r = b.ask(t, r.Thread, "giulia", "solo il 40% è in target")
	require.Equal(t, store.ThreadAwaitingAnswers, r.State)
	th, err = b.store.Thread(ctx, b.ws.Profile.Workspace, r.Thread)
	require.NoError(t, err)
	require.Equal(t, "Perché i lead sono aumentati del 30%?", th.Question, "read from the events")
	require.ElementsMatch(t, asked, th.Asked)
	evs, err := b.store.Events(ctx, b.ws.Profile.Workspace, r.Thread)
	require.NoError(t, err)
	n := 0
	for _, e := range evs {
		if e.Kind == store.EventQuestionAsked {
			n++
		}
	}
	require.Equal(t, len(asked), n, "no question put twice")
}

// A reply that gives nothing new while a draft waits for review leaves the draft as it is
// (no new draft, no new card); one that gives a new figure supersedes it.
func TestNothingNewKeepsTheWaitingDraft(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	r := b.pendingDraft(t)
	first := r.Draft.ID
	r = b.ask(t, r.Thread, "giulia", "boh")
	require.Nil(t, r.Draft)
	require.Equal(t, store.ThreadPendingApproval, r.State)
	d, err := b.store.Draft(ctx, b.ws.Profile.Workspace, first)
	require.NoError(t, err)
	require.Equal(t, store.DraftPending, d.State, "still the one to review")
	r = b.ask(t, r.Thread, "giulia", "il 40%")
	require.NotNil(t, r.Draft)
	require.NotEqual(t, first, r.Draft.ID)
	d, err = b.store.Draft(ctx, b.ws.Profile.Workspace, first)
	require.NoError(t, err)
	require.Equal(t, store.DraftSuperseded, d.State)
}
