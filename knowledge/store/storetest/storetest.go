// Package storetest is the conformance suite every store.Store backend must pass: call Run
// from the backend's tests with a constructor that returns a fresh, migrated store.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strings"
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

		// counted across workspaces, by state
		withDraft(t, b.s, "beta", "t1", "d1")
		counts, err := b.s.DraftCounts(ctx)
		require.NoError(t, err)
		require.Equal(t, map[store.DraftState]int{store.DraftSuperseded: 1, store.DraftPending: 2}, counts)
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

	t.Run("FactsGivenByPeople", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
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
	})

	t.Run("DeliveryKeysOnce", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		var wg sync.WaitGroup
		firsts := make([]bool, 6)
		for i := range firsts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var err error
				firsts[i], err = b.s.FirstSeen(ctx, "acme", "slack:Ev123", now)
				require.NoError(t, err)
			}()
		}
		wg.Wait()
		n := 0
		for _, f := range firsts {
			if f {
				n++
			}
		}
		require.Equal(t, 1, n, "exactly one delivery is first")
		first, err := b.s.FirstSeen(ctx, "beta", "slack:Ev123", now)
		require.NoError(t, err)
		require.True(t, first, "keys are per workspace")
	})

	t.Run("RemindersOncePerLevel", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		withDraft(t, b.s, "acme", "t1", "d1")
		ok, err := b.s.MarkReminded(ctx, "acme", "d1", 1, now)
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = b.s.MarkReminded(ctx, "acme", "d1", 1, now)
		require.NoError(t, err)
		require.False(t, ok)
		ok, err = b.s.MarkReminded(ctx, "acme", "d1", 2, now)
		require.NoError(t, err)
		require.True(t, ok)
		_, err = b.s.MarkReminded(ctx, "beta", "d1", 1, now)
		require.Error(t, err, "beta has no draft d1")
	})

	t.Run("KPISnapshotReplaced", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		rows, at, err := b.s.KPI(ctx, "acme")
		require.NoError(t, err)
		require.Empty(t, rows)
		require.True(t, at.IsZero())
		first := []store.KPIRow{{Period: "2026-09", Metric: "leads", Value: 60, File: "a.csv", Line: 2}, {Period: "2026-10", Metric: "leads", Value: 78, Channel: "facebook", File: "a.csv", Line: 3}}
		require.NoError(t, b.s.ReplaceKPI(ctx, "acme", first, now))
		rows, at, err = b.s.KPI(ctx, "acme")
		require.NoError(t, err)
		require.Equal(t, first, rows)
		require.Equal(t, now, at)
		require.NoError(t, b.s.ReplaceKPI(ctx, "acme", first[:1], now.Add(time.Hour)))
		rows, _, err = b.s.KPI(ctx, "acme")
		require.NoError(t, err)
		require.Equal(t, first[:1], rows)
		rows, _, err = b.s.KPI(ctx, "beta")
		require.NoError(t, err)
		require.Empty(t, rows)

		// replicas starting together replace the snapshot at the same moment: one whole
		// snapshot remains, never the rows twice
		many := make([]store.KPIRow, 2000)
		for i := range many {
			many[i] = store.KPIRow{Period: fmt.Sprintf("%04d-01", 1000+i), Metric: "leads", Value: float64(i), File: "a.csv", Line: i + 2}
		}
		var wg sync.WaitGroup
		errs := make([]error, 6)
		start := make(chan struct{})
		for i := range errs {
			wg.Go(func() { <-start; errs[i] = b.s.ReplaceKPI(ctx, "acme", many, now) })
		}
		close(start)
		wg.Wait()
		require.NoError(t, errors.Join(errs...))
		rows, _, err = b.s.KPI(ctx, "acme")
		require.NoError(t, err)
		require.Equal(t, len(many), len(rows), "the snapshot holds each row once")
	})

	knowledge := func(t *testing.T, s store.Store, ws, source, kind string, m store.EmbeddingModel, texts ...string) {
		t.Helper()
		chunks := make([]store.Chunk, len(texts))
		for i, text := range texts {
			chunks[i] = store.Chunk{Title: source, Text: text, Language: "en", Position: i, Embedding: testVector(text, m.Dim), CreatedAt: now}
		}
		require.NoError(t, s.ReplaceSource(ctx, ws, store.Source{Source: source, Kind: kind, Title: source, Hash: "h", UpdatedAt: now}, m, chunks))
	}
	local := store.EmbeddingModel{Name: "test", Dim: 256}

	t.Run("KnowledgeSearch", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		knowledge(t, b.s, "acme", "doc:brand.md", store.KindDocument, local,
			"Our brand voice is warm and direct; never promise discounts.",
			"Leads from trade fairs convert best when called within two days.")
		knowledge(t, b.s, "acme", "glossary", store.KindGlossary, local, "SQL means sales qualified lead.")
		srcs, err := b.s.Sources(ctx, "acme")
		require.NoError(t, err)
		require.Len(t, srcs, 2)
		require.Equal(t, "doc:brand.md", srcs[0].Source)
		require.Equal(t, 2, srcs[0].Chunks)

		for _, evil := range []string{`"); DROP TABLE knowledge_chunks; --`, `lead* NEAR(a b) OR "x`, `'&|!():*`, `   `} {
			_, err := b.s.SearchText(ctx, "acme", evil, 5)
			require.NoError(t, err, "query text is data, never FTS or SQL syntax: %q", evil)
		}
		hits, err := b.s.SearchText(ctx, "acme", "who should call the leads from the fair?", 5)
		require.NoError(t, err)
		require.NotEmpty(t, hits)
		require.Contains(t, hits[0].Text, "trade fairs", "stemming matches fair/fairs and call/called")

		q := "Leads from trade fairs convert best when called within two days."
		vhits, err := b.s.SearchVector(ctx, "acme", local, testVector(q, 256), 2)
		require.NoError(t, err)
		require.Len(t, vhits, 2)
		require.Equal(t, q, vhits[0].Text)
		require.InDelta(t, 1, vhits[0].Score, 1e-4, "cosine similarity of a vector with itself")
		require.Greater(t, vhits[0].Score, vhits[1].Score)

		// replacing a source swaps its chunks; removing it deletes them from both indexes
		knowledge(t, b.s, "acme", "doc:brand.md", store.KindDocument, local, "Brand voice: warm.")
		chunks, err := b.s.Chunks(ctx, "acme")
		require.NoError(t, err)
		require.Len(t, chunks, 2)
		n, err := b.s.RemoveSource(ctx, "acme", "doc:brand.md")
		require.NoError(t, err)
		require.Equal(t, 1, n)
		hits, err = b.s.SearchText(ctx, "acme", "brand voice warm", 5)
		require.NoError(t, err)
		require.Empty(t, hits)
		vhits, err = b.s.SearchVector(ctx, "acme", local, testVector("Brand voice: warm.", 256), 5)
		require.NoError(t, err)
		require.Len(t, vhits, 1)
		require.Equal(t, "glossary", vhits[0].Source)
		_, err = b.s.RemoveSource(ctx, "acme", "doc:brand.md")
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("KnowledgeIsolation", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		secret := "Beta's confidential pricing playbook: margin floor 42 percent."
		knowledge(t, b.s, "beta", "doc:pricing.md", store.KindDocument, local, secret)
		knowledge(t, b.s, "acme", "doc:voice.md", store.KindDocument, local, "Acme speaks plainly.")
		hits, err := b.s.SearchText(ctx, "acme", "confidential pricing playbook margin", 10)
		require.NoError(t, err)
		require.Empty(t, hits)
		vhits, err := b.s.SearchVector(ctx, "acme", local, testVector(secret, 256), 10)
		require.NoError(t, err)
		for _, h := range vhits {
			require.Equal(t, "acme", h.Workspace)
			require.NotContains(t, h.Text, "confidential")
		}
		srcs, err := b.s.Sources(ctx, "acme")
		require.NoError(t, err)
		require.Len(t, srcs, 1)
		_, err = b.s.RemoveSource(ctx, "acme", "doc:pricing.md")
		require.ErrorIs(t, err, store.ErrNotFound)
		chunks, err := b.s.Chunks(ctx, "beta")
		require.NoError(t, err)
		require.Len(t, chunks, 1, "beta's knowledge is untouched")
	})

	t.Run("KnowledgeModelMismatch", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		knowledge(t, b.s, "acme", "doc:a.md", store.KindDocument, local, "alpha text", "beta text")
		other := store.EmbeddingModel{Name: "openai:text-embedding-3-small", Dim: 512}
		chunk := store.Chunk{Text: "x", Language: "en", Embedding: testVector("x", 512), CreatedAt: now}
		err := b.s.ReplaceSource(ctx, "acme", store.Source{Source: "doc:b.md", Kind: store.KindDocument, UpdatedAt: now}, other, []store.Chunk{chunk})
		var mm *store.ModelMismatchError
		require.ErrorAs(t, err, &mm)
		require.Contains(t, err.Error(), "whybot knowledge reindex")
		_, err = b.s.SearchVector(ctx, "acme", other, testVector("x", 512), 3)
		require.ErrorAs(t, err, &mm)
		srcs, err := b.s.Sources(ctx, "acme")
		require.NoError(t, err)
		require.Len(t, srcs, 1, "nothing half-written")

		// reindex: new embeddings for every chunk, then the new model searches
		chunks, err := b.s.Chunks(ctx, "acme")
		require.NoError(t, err)
		emb := map[int64][]float32{}
		for _, c := range chunks {
			emb[c.ID] = testVector(c.Text, 512)
		}
		require.NoError(t, b.s.Reembed(ctx, "acme", other, emb))
		m, ok, err := b.s.KnowledgeModel(ctx, "acme")
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, other, m)
		hits, err := b.s.SearchVector(ctx, "acme", other, testVector("beta text", 512), 1)
		require.NoError(t, err)
		require.Equal(t, "beta text", hits[0].Text)
		_, err = b.s.SearchVector(ctx, "acme", local, testVector("beta text", 256), 1)
		require.ErrorAs(t, err, &mm)
	})

	t.Run("AccountsSessionsLogins", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		hash := "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"
		_, err := b.s.Account(ctx, "sara")
		require.ErrorIs(t, err, store.ErrNotFound)
		require.NoError(t, b.s.PutAccount(ctx, store.Account{Name: "sara", PasswordHash: hash, Workspaces: []string{"beta", "acme"}, CreatedAt: now, UpdatedAt: now}))
		a, err := b.s.Account(ctx, "sara")
		require.NoError(t, err)
		require.Equal(t, []string{"acme", "beta"}, a.Workspaces)
		require.Equal(t, hash, a.PasswordHash)
		require.True(t, a.Sees("acme"))
		require.False(t, a.Sees("gamma"))
		require.True(t, now.Equal(a.CreatedAt))

		// replacing: a new password and fewer workspaces, creation time kept
		later := now.Add(time.Hour)
		require.NoError(t, b.s.PutAccount(ctx, store.Account{Name: "sara", PasswordHash: hash + "2", Workspaces: []string{"beta"}, CreatedAt: later, UpdatedAt: later}))
		a, err = b.s.Account(ctx, "sara")
		require.NoError(t, err)
		require.Equal(t, []string{"beta"}, a.Workspaces)
		require.True(t, now.Equal(a.CreatedAt))
		require.True(t, later.Equal(a.UpdatedAt))
		require.Error(t, b.s.PutAccount(ctx, store.Account{Name: "Bad", PasswordHash: hash, CreatedAt: now, UpdatedAt: now}), "names are lower case")
		require.Error(t, b.s.PutAccount(ctx, store.Account{Name: "plain", PasswordHash: "secret", CreatedAt: now, UpdatedAt: now}), "only argon2id hashes are stored")
		require.NoError(t, b.s.PutAccount(ctx, store.Account{Name: "admin", PasswordHash: hash, Workspaces: []string{store.AllWorkspaces}, CreatedAt: now, UpdatedAt: now}))
		all, err := b.s.Accounts(ctx)
		require.NoError(t, err)
		require.Len(t, all, 2)
		require.Equal(t, "admin", all[0].Name)
		require.True(t, all[0].Sees("gamma"))

		// sessions expire, end, and go with their account
		id := strings.Repeat("a", 64)
		require.NoError(t, b.s.CreateSession(ctx, store.Session{ID: id, Account: "sara", CSRF: "tok", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}))
		se, err := b.s.Session(ctx, id, now.Add(59*time.Minute))
		require.NoError(t, err)
		require.Equal(t, "sara", se.Account)
		require.Equal(t, "tok", se.CSRF)
		_, err = b.s.Session(ctx, id, now.Add(time.Hour))
		require.ErrorIs(t, err, store.ErrNotFound, "expired")
		require.NoError(t, b.s.DeleteSession(ctx, id))
		_, err = b.s.Session(ctx, id, now)
		require.ErrorIs(t, err, store.ErrNotFound, "signed out")
		require.Error(t, b.s.CreateSession(ctx, store.Session{ID: strings.Repeat("b", 64), Account: "nobody", CSRF: "t", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}), "no session without an account")
		require.NoError(t, b.s.CreateSession(ctx, store.Session{ID: strings.Repeat("c", 64), Account: "sara", CSRF: "t", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}))
		require.NoError(t, b.s.DeleteAccount(ctx, "sara"))
		_, err = b.s.Session(ctx, strings.Repeat("c", 64), now)
		require.ErrorIs(t, err, store.ErrNotFound, "sessions end with their account")
		require.ErrorIs(t, b.s.DeleteAccount(ctx, "sara"), store.ErrNotFound)

		// failed logins count since the window's start and the last success
		for i := range 3 {
			require.NoError(t, b.s.RecordLogin(ctx, "admin", false, now.Add(time.Duration(i)*time.Second)))
		}
		n, err := b.s.LoginFailures(ctx, "admin", now)
		require.NoError(t, err)
		require.Equal(t, 3, n)
		n, err = b.s.LoginFailures(ctx, "admin", now.Add(1500*time.Millisecond))
		require.NoError(t, err)
		require.Equal(t, 1, n, "only failures inside the window")
		require.NoError(t, b.s.RecordLogin(ctx, "admin", true, now.Add(3*time.Second)))
		require.NoError(t, b.s.RecordLogin(ctx, "admin", false, now.Add(4*time.Second)))
		n, err = b.s.LoginFailures(ctx, "admin", now)
		require.NoError(t, err)
		require.Equal(t, 1, n, "a success resets the count")
		n, err = b.s.LoginFailures(ctx, "ghost", now)
		require.NoError(t, err)
		require.Zero(t, n)
	})

	t.Run("InboxOncePerKey", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		recv := func(key string) bool {
			ok, err := b.s.Receive(ctx, store.Inbound{Source: "slack", Key: key, Payload: json.RawMessage(`{"event_id":"` + key + `"}`), ReceivedAt: now})
			require.NoError(t, err)
			return ok
		}
		require.True(t, recv("Ev1"))
		require.False(t, recv("Ev1"), "a retried delivery is not queued twice")
		require.True(t, recv("Ev2"))
		require.True(t, recv("Ev3"))
		ok, err := b.s.Receive(ctx, store.Inbound{Source: "discord", Key: "Ev1", Payload: json.RawMessage(`{}`), ReceivedAt: now})
		require.NoError(t, err)
		require.True(t, ok, "keys are per platform")

		// two workers at once take disjoint deliveries
		var mu sync.Mutex
		seen := map[int64]int{}
		var wg sync.WaitGroup
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := b.s.ClaimInbound(ctx, "slack", now, time.Minute, 10)
				require.NoError(t, err)
				mu.Lock()
				defer mu.Unlock()
				for _, in := range got {
					seen[in.ID]++
				}
			}()
		}
		wg.Wait()
		require.Len(t, seen, 3, "each platform's worker takes only its own deliveries")
		for id, n := range seen {
			require.Equal(t, 1, n, "delivery %d claimed once", id)
		}
		again, err := b.s.ClaimInbound(ctx, "slack", now.Add(time.Second), time.Minute, 10)
		require.NoError(t, err)
		require.Empty(t, again, "held by their workers")
		other, err := b.s.ClaimInbound(ctx, "discord", now, time.Minute, 10)
		require.NoError(t, err)
		require.Len(t, other, 1)
		require.Equal(t, "discord", other[0].Source)
		require.NoError(t, b.s.FinishInbound(ctx, other[0].ID, "", time.Time{}))

		// a worker that died: its deliveries come back after the lease, oldest first
		back, err := b.s.ClaimInbound(ctx, "slack", now.Add(2*time.Minute), time.Minute, 10)
		require.NoError(t, err)
		require.Len(t, back, 3)
		require.Less(t, back[0].ID, back[1].ID)
		require.Equal(t, 2, back[0].Attempts)
		require.JSONEq(t, `{"event_id":"Ev1"}`, string(back[0].Payload))

		require.NoError(t, b.s.FinishInbound(ctx, back[0].ID, "", time.Time{}))
		t3 := now.Add(3 * time.Minute)
		require.NoError(t, b.s.FinishInbound(ctx, back[1].ID, "slack is down", t3.Add(store.InboxBackoff(back[1].Attempts))))
		require.NoError(t, b.s.FinishInbound(ctx, back[2].ID, "", time.Time{}))
		got, err := b.s.ClaimInbound(ctx, "slack", t3, time.Minute, 10)
		require.NoError(t, err)
		require.Empty(t, got, "a failed delivery waits out its backoff")
		at := t3.Add(store.InboxBackoff(back[1].Attempts))
		got, err = b.s.ClaimInbound(ctx, "slack", at, time.Minute, 10)
		require.NoError(t, err)
		require.Len(t, got, 1, "only the failed one is retried, once its backoff has passed")
		require.Equal(t, "slack is down", got[0].LastError)
		for got[0].Attempts < store.InboxAttempts {
			next := at.Add(store.InboxBackoff(got[0].Attempts))
			require.NoError(t, b.s.FinishInbound(ctx, got[0].ID, "still down", next))
			early, err := b.s.ClaimInbound(ctx, "slack", next.Add(-time.Second), time.Minute, 10)
			require.NoError(t, err)
			require.Empty(t, early)
			at = next
			got, err = b.s.ClaimInbound(ctx, "slack", at, time.Minute, 10)
			require.NoError(t, err)
			require.Len(t, got, 1)
		}
		require.NoError(t, b.s.FinishInbound(ctx, got[0].ID, "gave up", at.Add(time.Minute)))
		got, err = b.s.ClaimInbound(ctx, "slack", at.Add(time.Hour), time.Minute, 10)
		require.NoError(t, err)
		require.Empty(t, got, "after the last attempt it is failed, not retried forever")
		require.False(t, recv("Ev1"), "a handled delivery's key still de-duplicates")
	})
	runDelivery(t, newStore)
}

// runDelivery checks what makes a delivery safe to handle again: a turn's reply kept
// under its message key (a second turn with the key is a conflict), and bot messages
// recorded once the platform accepted them.
func runDelivery(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("TurnReplyByKey", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
		s := newStore(t)
		require.NoError(t, s.UpsertWorkspace(ctx, store.Workspace{ID: "acme", Company: "acme", Profile: json.RawMessage(`{}`), UpdatedAt: now}))
		_, err := s.TurnReply(ctx, "acme", "slack-message:C1:1.1")
		require.ErrorIs(t, err, store.ErrNotFound)
		th := store.Thread{Workspace: "acme", ID: "t1", Asker: "anna", Language: "it", Transport: "slack", State: store.ThreadAwaitingAnswers, CreatedAt: now, UpdatedAt: now}
		turn := store.Turn{Thread: th, New: true, Key: "slack-message:C1:1.1", Reply: json.RawMessage(`{"thread":"t1","state":"awaiting_answers"}`),
			Events: []store.Event{{Kind: store.EventQuestion, At: now, By: "anna", Data: json.RawMessage(`{"text":"why?"}`)}}}
		saved, err := s.SaveTurn(ctx, turn)
		require.NoError(t, err)
		reply, err := s.TurnReply(ctx, "acme", "slack-message:C1:1.1")
		require.NoError(t, err)
		require.JSONEq(t, `{"thread":"t1","state":"awaiting_answers"}`, string(reply))
		_, err = s.TurnReply(ctx, "beta", "slack-message:C1:1.1")
		require.ErrorIs(t, err, store.ErrNotFound, "scoped by workspace")

		// the same message again (a retried delivery that raced the first): a conflict,
		// and nothing of the second turn is written
		again := turn
		again.New, again.Thread = false, saved
		_, err = s.SaveTurn(ctx, again)
		require.ErrorIs(t, err, store.ErrConflict)
		evs, err := s.Events(ctx, "acme", "t1")
		require.NoError(t, err)
		require.Len(t, evs, 1)
		cur, err := s.Thread(ctx, "acme", "t1")
		require.NoError(t, err)
		require.Equal(t, saved.Version, cur.Version)
	})
	t.Run("ChatPostedOnce", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
		s := newStore(t)
		_, ok, err := s.ChatPosted(ctx, "acme", "k/questions")
		require.NoError(t, err)
		require.False(t, ok)
		require.NoError(t, s.MarkChatPosted(ctx, "acme", "k/questions", "C1/1.2", now))
		require.NoError(t, s.MarkChatPosted(ctx, "acme", "k/questions", "C1/9.9", now), "a second record keeps the first")
		ref, ok, err := s.ChatPosted(ctx, "acme", "k/questions")
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, "C1/1.2", ref)
		_, ok, err = s.ChatPosted(ctx, "beta", "k/questions")
		require.NoError(t, err)
		require.False(t, ok, "scoped by workspace")
	})
}

// testVector is a deterministic unit vector for a text (not an embedding: similar texts are
// not near each other), so vector tests do not depend on an embedder.
func testVector(text string, dim int) []float32 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(text))
	r := rand.New(rand.NewPCG(h.Sum64(), 7))
	v := make([]float32, dim)
	var n float64
	for i := range v {
		v[i] = float32(r.NormFloat64())
		n += float64(v[i]) * float64(v[i])
	}
	for i := range v {
		v[i] /= float32(math.Sqrt(n))
	}
	return v
}
