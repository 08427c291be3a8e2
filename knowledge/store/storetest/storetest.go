// Package storetest is the conformance suite every store.Store backend must pass: call Run
// from the backend's tests with a constructor that returns a fresh, migrated store.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/store"
)

// Run exercises a backend.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

	type bundle struct {
		s store.Store
	}
	setup := func(t *testing.T) *bundle {
		t.Helper()
		s := newStore(t)
		for _, ws := range []string{"acme", "beta"} {
			require.NoError(t, s.UpsertWorkspace(ctx, store.Workspace{ID: ws, Company: ws + " srl", Profile: json.RawMessage(`{"company":"x"}`), DataFiles: []string{"/d/" + ws + ".csv"}, UpdatedAt: now}))
		}
		return &bundle{s: s}
	}
	newThread := func(t *testing.T, s store.Store, ws, id string) store.Thread {
		t.Helper()
		th := store.Thread{Workspace: ws, ID: id, Asker: "anna", Language: "it", Transport: "cli", State: store.ThreadAwaitingAnswers, Intent: json.RawMessage(`{"metric":"leads"}`), CreatedAt: now, UpdatedAt: now}
		saved, err := s.SaveTurn(ctx, store.Turn{Thread: th, New: true, Events: []store.Event{{Kind: store.EventQuestion, At: now, By: "anna", Data: json.RawMessage(`{"text":"why?"}`)}}})
		require.NoError(t, err)
		require.Equal(t, 1, saved.Version)
		return saved
	}
	withDraft := func(t *testing.T, s store.Store, ws, thread, draft string) store.Thread {
		t.Helper()
		th := newThread(t, s, ws, thread)
		th.State = store.ThreadPendingApproval
		saved, err := s.SaveTurn(ctx, store.Turn{Thread: th, Draft: &store.Draft{ID: draft, Text: "draft text", Language: "it", CreatedAt: now},
			Events: []store.Event{{Kind: store.EventDraft, At: now, By: "whybot", Data: json.RawMessage(`{}`)}}})
		require.NoError(t, err)
		return saved
	}

	t.Run("WorkspaceRoundTrip", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
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
	})

	t.Run("EventsInOrder", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
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
		require.Equal(t, "giulia", evs[1].By)
	})

	t.Run("OptimisticConcurrency", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		th := newThread(t, b.s, "acme", "t1")
		_, err := b.s.SaveTurn(ctx, store.Turn{Thread: th})
		require.NoError(t, err)
		_, err = b.s.SaveTurn(ctx, store.Turn{Thread: th}) // stale version
		require.ErrorIs(t, err, store.ErrConflict)
		_, err = b.s.SaveTurn(ctx, store.Turn{Thread: th, New: true}) // duplicate id
		require.ErrorIs(t, err, store.ErrConflict)
	})

	t.Run("ApproveEnqueuesAndPostsOnce", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		withDraft(t, b.s, "acme", "t1", "d1")
		d, err := b.s.Decide(ctx, store.Decision{Workspace: "acme", DraftID: "d1", By: "luca", At: now, Approve: true, EditedText: "edited"})
		require.NoError(t, err)
		require.Equal(t, store.DraftApproved, d.State)
		require.Equal(t, "draft text", d.Text)
		require.Equal(t, "edited", d.FinalText)
		require.True(t, d.Edited)
		_, err = b.s.Decide(ctx, store.Decision{Workspace: "acme", DraftID: "d1", By: "luca", At: now, Approve: true})
		require.ErrorIs(t, err, store.ErrInvalidTransition)

		o, ok, err := b.s.ClaimOutbox(ctx, "acme", "d1", now, time.Minute)
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, "edited", o.Text)
		require.Equal(t, "luca", o.ApprovedBy)
		_, ok, err = b.s.ClaimOutbox(ctx, "acme", "d1", now, time.Minute)
		require.NoError(t, err)
		require.False(t, ok, "a claimed row cannot be claimed again within its lease")
		require.NoError(t, b.s.MarkPosted(ctx, "acme", "d1", now, "ref1"))
		require.ErrorIs(t, b.s.MarkPosted(ctx, "acme", "d1", now, "ref1"), store.ErrConflict)
		d, err = b.s.Draft(ctx, "acme", "d1")
		require.NoError(t, err)
		require.Equal(t, store.DraftPosted, d.State)
		th, err := b.s.Thread(ctx, "acme", "t1")
		require.NoError(t, err)
		require.Equal(t, store.ThreadPosted, th.State)
		evs, err := b.s.Events(ctx, "acme", "t1")
		require.NoError(t, err)
		var kinds []store.EventKind
		for _, e := range evs {
			kinds = append(kinds, e.Kind)
		}
		require.Equal(t, []store.EventKind{store.EventQuestion, store.EventDraft, store.EventEdited, store.EventApproved, store.EventPosted}, kinds)
		pending, err := b.s.PendingOutbox(ctx, now, time.Minute, 10)
		require.NoError(t, err)
		require.Empty(t, pending)
	})

	t.Run("FailedPostIsRetried", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		withDraft(t, b.s, "acme", "t1", "d1")
		_, err := b.s.Decide(ctx, store.Decision{Workspace: "acme", DraftID: "d1", By: "luca", At: now, Approve: true})
		require.NoError(t, err)
		_, ok, err := b.s.ClaimOutbox(ctx, "acme", "d1", now, time.Minute)
		require.NoError(t, err)
		require.True(t, ok)
		require.NoError(t, b.s.ReleaseOutbox(ctx, "acme", "d1", now, "boom"))
		pending, err := b.s.PendingOutbox(ctx, now.Add(time.Second), time.Minute, 10)
		require.NoError(t, err)
		require.Empty(t, pending, "a failed post waits for its backoff")
		pending, err = b.s.PendingOutbox(ctx, now.Add(store.Backoff(1)), time.Minute, 10)
		require.NoError(t, err)
		require.Len(t, pending, 1)
		require.Equal(t, "boom", pending[0].LastError)
		require.Equal(t, 1, pending[0].Attempts)
	})

	t.Run("ConcurrentApprovalsOneWinner", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		withDraft(t, b.s, "acme", "t1", "d1")
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = b.s.Decide(ctx, store.Decision{Workspace: "acme", DraftID: "d1", By: "luca", At: now, Approve: true})
			}()
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			if err == nil {
				wins++
			} else {
				require.True(t, errors.Is(err, store.ErrInvalidTransition) || errors.Is(err, store.ErrConflict), "unexpected error %v", err)
			}
		}
		require.Equal(t, 1, wins)
	})

	t.Run("RejectNeedsReason", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		withDraft(t, b.s, "acme", "t1", "d1")
		_, err := b.s.Decide(ctx, store.Decision{Workspace: "acme", DraftID: "d1", By: "luca", At: now})
		require.Error(t, err)
		d, err := b.s.Decide(ctx, store.Decision{Workspace: "acme", DraftID: "d1", By: "luca", At: now, Reason: "not yet"})
		require.NoError(t, err)
		require.Equal(t, store.DraftRejected, d.State)
		require.Equal(t, "not yet", d.Reason)
		_, ok, err := b.s.ClaimOutbox(ctx, "acme", "d1", now, time.Minute)
		require.NoError(t, err)
		require.False(t, ok, "a rejected draft has nothing to post")
	})

	t.Run("SupersedePendingDraft", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		th := withDraft(t, b.s, "acme", "t1", "d1")
		_, err := b.s.SaveTurn(ctx, store.Turn{Thread: th, SupersedeDrafts: true, Draft: &store.Draft{ID: "d2", Text: "better", Language: "it", CreatedAt: now}})
		require.NoError(t, err)
		d1, err := b.s.Draft(ctx, "acme", "d1")
		require.NoError(t, err)
		require.Equal(t, store.DraftSuperseded, d1.State)
		_, err = b.s.Decide(ctx, store.Decision{Workspace: "acme", DraftID: "d1", By: "luca", At: now, Approve: true})
		require.ErrorIs(t, err, store.ErrInvalidTransition)
		pending, err := b.s.Drafts(ctx, "acme", store.DraftPending)
		require.NoError(t, err)
		require.Len(t, pending, 1)
		require.Equal(t, "d2", pending[0].ID)
	})

	t.Run("WorkspaceIsolation", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
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
	})

	t.Run("UntrustedTextIsData", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		evil := `'); DROP TABLE drafts; -- "quoted" {{.V}}`
		th := newThread(t, b.s, "acme", evil)
		got, err := b.s.Thread(ctx, "acme", evil)
		require.NoError(t, err)
		require.Equal(t, th.ID, got.ID)
		_, err = b.s.Drafts(ctx, "acme")
		require.NoError(t, err, "the drafts table still exists")
	})
}
