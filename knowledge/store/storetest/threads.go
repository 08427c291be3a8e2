package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/rules"
	"github.com/whybot/whybot/knowledge/store"
)

// runThreads checks threads, their events and facts, optimistic concurrency and workspace isolation.
func runThreads(t *testing.T, newStore func(t *testing.T) store.Store) {
	setup := func(t *testing.T) *bundle { return setupStore(t, newStore) }
	t.Run("WorkspaceRoundTrip", func(t *testing.T) { t.Parallel(); workspaceRoundTrip(t, setup(t)) })

	t.Run("EventsInOrder", func(t *testing.T) { t.Parallel(); eventsInOrder(t, setup(t)) })

	t.Run("OptimisticConcurrency", func(t *testing.T) { t.Parallel(); optimisticConcurrency(t, setup(t)) })

	t.Run("WorkspaceIsolation", func(t *testing.T) { t.Parallel(); workspaceIsolation(t, setup(t)) })

	t.Run("UntrustedTextIsData", func(t *testing.T) { t.Parallel(); untrustedTextIsData(t, setup(t)) })

	t.Run("FactsGivenByPeople", func(t *testing.T) { t.Parallel(); factsGivenByPeople(t, setup(t)) })
	t.Run("AnswerReminders", func(t *testing.T) { t.Parallel(); answerReminders(t, setup(t)) })
}

func workspaceRoundTrip(t *testing.T, b *bundle) {
	w, err := b.s.Workspace(ctx, "acme")
	require.NoError(t, err)
	require.Equal(t, "acme srl", w.Company)
	require.Equal(t, []string{"/d/acme.csv"}, w.DataFiles)
	require.JSONEq(t, `{"company":"x"}`, string(w.Profile))
	_, err = b.s.Workspace(ctx, "nope")
	require.ErrorIs(t, err, store.ErrNotFound)
	all, err := b.s.Workspaces(ctx)
	require.NoError(t, err)
	require.Len(t, all, 2)
}

func eventsInOrder(t *testing.T, b *bundle) {
	th := newThread(t, b.s, "acme", "t1")
	th.State = store.ThreadAwaitingAnswers
	_, err := b.s.SaveTurn(ctx, store.Turn{Thread: th, Events: []store.Event{
		{Kind: store.EventAnswer, At: now.Add(time.Minute), By: "giulia", Data: json.RawMessage(`{"text":"40%"}`)},
		{Kind: store.EventRule, At: now.Add(time.Minute), By: "whybot", Data: json.RawMessage(`{"rule":"lead_quality_low"}`)},
	}})
	require.NoError(t, err)
	evs, err := b.s.Events(ctx, "acme", "t1")
	require.NoError(t, err)
	require.Len(t, evs, 3)
	for i, want := range []store.EventKind{store.EventQuestion, store.EventAnswer, store.EventRule} {
		require.Equal(t, want, evs[i].Kind)
		require.Equal(t, i+1, evs[i].Seq)
	}
	require.Equal(t, record.Actor("giulia"), evs[1].By)
}

func optimisticConcurrency(t *testing.T, b *bundle) {
	th := newThread(t, b.s, "acme", "t1")
	_, err := b.s.SaveTurn(ctx, store.Turn{Thread: th})
	require.NoError(t, err)
	_, err = b.s.SaveTurn(ctx, store.Turn{Thread: th}) // stale version
	require.ErrorIs(t, err, store.ErrConflict)
	_, err = b.s.SaveTurn(ctx, store.Turn{Thread: th, New: true}) // duplicate id
	require.ErrorIs(t, err, store.ErrConflict)
}

func workspaceIsolation(t *testing.T, b *bundle) {
	withDraft(t, b.s, "acme", "t1", "d1")
	_, err := b.s.Thread(ctx, "beta", "t1")
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = b.s.Draft(ctx, "beta", "d1")
	require.ErrorIs(t, err, store.ErrNotFound)
	evs, err := b.s.Events(ctx, "beta", "t1")
	require.NoError(t, err)
	require.Empty(t, evs)
	ds, err := b.s.Drafts(ctx, "beta")
	require.NoError(t, err)
	require.Empty(t, ds)
	_, err = b.s.Decide(ctx, store.Decision{Workspace: "beta", DraftID: "d1", By: "luca", At: now, Approve: true})
	require.ErrorIs(t, err, store.ErrNotFound)
	_, ok, err := b.s.ClaimOutbox(ctx, "beta", "d1", now, time.Minute)
	require.NoError(t, err)
	require.False(t, ok)
}

func untrustedTextIsData(t *testing.T, b *bundle) {
	evil := `'); DROP TABLE drafts; -- "quoted" {{.V}}`
	th := newThread(t, b.s, "acme", evil)
	got, err := b.s.Thread(ctx, "acme", evil)
	require.NoError(t, err)
	require.Equal(t, th.ID, got.ID)
	_, err = b.s.Drafts(ctx, "acme")
	require.NoError(t, err, "the drafts table still exists")
}

func factsGivenByPeople(t *testing.T, b *bundle) {
	th := newThread(t, b.s, "acme", "t1")
	v := 0.4
	_, err := b.s.SaveTurn(ctx, store.Turn{Thread: th, Facts: []store.Fact{
		{Topic: "lead_quality", Metric: "qualified_rate", Value: &v, Text: "12 of the 30 are qualified", By: "giulia", At: now},
		{Topic: "followup", Text: "we called all of them", By: "marco", At: now.Add(time.Minute)},
	}})
	require.NoError(t, err)
	facts, err := b.s.Facts(ctx, "acme", "t1")
	require.NoError(t, err)
	require.Len(t, facts, 2)
	require.Equal(t, "giulia", facts[0].By)
	require.InDelta(t, 0.4, *facts[0].Value, 1e-9)
	require.Nil(t, facts[1].Value)
	require.Equal(t, now.Add(time.Minute), facts[1].At)
	other, err := b.s.Facts(ctx, "beta", "t1")
	require.NoError(t, err)
	require.Empty(t, other)

	// a new question in the thread: the facts given before no longer apply
	cur, err := b.s.Thread(ctx, "acme", "t1")
	require.NoError(t, err)
	vague := &rules.Reading{Low: 0.1, High: 0.45, Words: "most are junk", By: rules.ReadByRules}
	cur.Reasked = []rules.Topic{rules.TopicSalesFollowup}
	_, err = b.s.SaveTurn(ctx, store.Turn{Thread: cur, ResetFacts: true, Facts: []store.Fact{{Topic: "lead_quality", Metric: "qualified_rate", Text: "most are junk", By: "giulia", At: now, Reading: vague}}})
	require.NoError(t, err)
	facts, err = b.s.Facts(ctx, "acme", "t1")
	require.NoError(t, err)
	require.Len(t, facts, 1)
	require.Equal(t, "most are junk", facts[0].Text)
	require.Nil(t, facts[0].Value, "a vague answer is a range, never a figure")
	require.Equal(t, vague, facts[0].Reading)
	cur, err = b.s.Thread(ctx, "acme", "t1")
	require.NoError(t, err)
	require.Equal(t, []rules.Topic{rules.TopicSalesFollowup}, cur.Reasked)
}

// A person who will answer later is reminded once when due (also with two replicas
// asking), and not at all once they answer.
func answerReminders(t *testing.T, b *bundle) {
	th := newThread(t, b.s, "acme", "t1")
	q := rules.Question{Topic: rules.TopicSalesFollowup, To: "marco", Text: "Marco, how many were followed up?"}
	due := now.Add(24 * time.Hour)
	th, err := b.s.SaveTurn(ctx, store.Turn{Thread: th, Reminders: []store.AnswerReminder{{Person: "marco", Questions: []rules.Question{q}, DueAt: due}}})
	require.NoError(t, err)
	list, err := b.s.DueAnswerReminders(ctx, now, 10)
	require.NoError(t, err)
	require.Empty(t, list, "not due yet")
	list, err = b.s.DueAnswerReminders(ctx, due, 10)
	require.NoError(t, err)
	require.Equal(t, []store.AnswerReminder{{Workspace: "acme", Thread: "t1", Person: "marco", Questions: []rules.Question{q}, DueAt: due}}, list)
	first, err := b.s.MarkAnswerReminded(ctx, list[0], due)
	require.NoError(t, err)
	again, err := b.s.MarkAnswerReminded(ctx, list[0], due)
	require.NoError(t, err)
	require.True(t, first)
	require.False(t, again, "sent once")
	list, err = b.s.DueAnswerReminders(ctx, due.Add(time.Hour), 10)
	require.NoError(t, err)
	require.Empty(t, list)

	// promised again, then answered: the reminder is dropped with the answer
	th, err = b.s.SaveTurn(ctx, store.Turn{Thread: th, Reminders: []store.AnswerReminder{{Person: "marco", Questions: []rules.Question{q}, DueAt: due.Add(time.Hour)}}})
	require.NoError(t, err)
	v := 0.5
	_, err = b.s.SaveTurn(ctx, store.Turn{Thread: th, Facts: []store.Fact{{Topic: rules.TopicSalesFollowup, Metric: "followup_rate", Value: &v, Text: "half", By: "marco", At: now}}})
	require.NoError(t, err)
	list, err = b.s.DueAnswerReminders(ctx, due.Add(48*time.Hour), 10)
	require.NoError(t, err)
	require.Empty(t, list, "answered: no reminder")
}
