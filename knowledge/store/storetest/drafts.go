package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/store"
)

// runDrafts checks the draft state machine: approval enqueues one post, retries, concurrent reviewers, rejection, superseding.
func runDrafts(t *testing.T, newStore func(t *testing.T) store.Store) {
	setup := func(t *testing.T) *bundle { return setupStore(t, newStore) }

	t.Run("DraftPages", func(t *testing.T) { t.Parallel(); draftPages(t, setup(t)) })

	t.Run("ApproveEnqueuesAndPostsOnce", func(t *testing.T) { t.Parallel(); approveEnqueuesAndPostsOnce(t, setup(t)) })

	t.Run("FailedPostIsRetried", func(t *testing.T) { t.Parallel(); failedPostIsRetried(t, setup(t)) })

	t.Run("ConcurrentApprovalsOneWinner", func(t *testing.T) { t.Parallel(); concurrentApprovalsOneWinner(t, setup(t)) })

	t.Run("RejectNeedsReason", func(t *testing.T) { t.Parallel(); rejectNeedsReason(t, setup(t)) })

	t.Run("SupersedePendingDraft", func(t *testing.T) { t.Parallel(); supersedePendingDraft(t, setup(t)) })
}

// draftPages: the review list is read a page at a time across workspaces, oldest first,
// with its threads' askers, filtered by workspace and state.
func draftPages(t *testing.T, b *bundle) {
	var want []string
	for i := range 5 {
		for _, ws := range []string{"acme", "beta"} {
			id := fmt.Sprintf("d%d", i)
			th := newThread(t, b.s, ws, "t"+id)
			th.State = store.ThreadPendingApproval
			_, err := b.s.SaveTurn(ctx, store.Turn{Thread: th, Draft: &store.Draft{ID: id, Text: "draft", Language: "it", CreatedAt: now.Add(time.Duration(i) * time.Minute)}})
			require.NoError(t, err)
			want = append(want, ws+"/"+id)
		}
	}
	_, err := b.s.Decide(ctx, store.Decision{Workspace: "acme", DraftID: "d4", By: "luca", At: now, Reason: "no", Approve: false})
	require.NoError(t, err)
	var got []string
	q := store.DraftQuery{Limit: 3}
	for pages := 0; ; pages++ {
		require.Less(t, pages, 5)
		page, err := b.s.ListDrafts(ctx, q)
		require.NoError(t, err)
		for _, d := range page {
			got = append(got, d.Workspace+"/"+d.ID)
			require.Equal(t, "anna", d.Asker)
			require.Equal(t, store.TransportCLI, d.Transport)
		}
		if len(page) < q.Size() {
			break
		}
		c := page[len(page)-1].Cursor()
		q.After = &c
	}
	require.Equal(t, want, got, "every draft once, oldest first, in pages")
	pending, err := b.s.ListDrafts(ctx, store.DraftQuery{States: []store.DraftState{store.DraftPending}, Workspaces: []string{"acme"}})
	require.NoError(t, err)
	require.Len(t, pending, 4, "acme's pending drafts only")
	none, err := b.s.ListDrafts(ctx, store.DraftQuery{Workspaces: []string{}})
	require.NoError(t, err)
	require.Empty(t, none, "no workspace visible: nothing")
}

func approveEnqueuesAndPostsOnce(t *testing.T, b *bundle) {
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
	require.Equal(t, record.Actor("luca"), o.ApprovedBy)
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
}

func failedPostIsRetried(t *testing.T, b *bundle) {
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
}

func concurrentApprovalsOneWinner(t *testing.T, b *bundle) {
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
}

func rejectNeedsReason(t *testing.T, b *bundle) {
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
}

func supersedePendingDraft(t *testing.T, b *bundle) {
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

	// counted across workspaces, by state
	withDraft(t, b.s, "beta", "t1", "d1")
	counts, err := b.s.DraftCounts(ctx)
	require.NoError(t, err)
	require.Equal(t, map[store.DraftState]int{store.DraftSuperseded: 1, store.DraftPending: 2}, counts)
}
