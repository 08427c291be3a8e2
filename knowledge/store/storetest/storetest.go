// Package storetest is the conformance suite every store.Store backend must pass: call Run
// from the backend's tests with a constructor that returns a fresh, migrated store.
package storetest

import (
	"context"
	"encoding/json"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/store"
)

// Run exercises a backend.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Helper()
	runThreads(t, newStore)
	runDrafts(t, newStore)
	runKeys(t, newStore)
	runKPI(t, newStore)
	runKnowledge(t, newStore)
	runAccounts(t, newStore)
	runInbox(t, newStore)
	runDelivery(t, newStore)
	runWorkspaces(t, newStore)
	runSources(t, newStore)
	runSlackInstalls(t, newStore)
	runChatPeople(t, newStore)
}

// The suite's clock and context.
var (
	ctx = context.Background()
	now = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
)

type bundle struct {
	s store.Store
}

// setupStore is a fresh store with two workspaces, acme and beta.
func setupStore(t *testing.T, newStore func(t *testing.T) store.Store) *bundle {
	t.Helper()
	s := newStore(t)
	for _, ws := range []string{"acme", "beta"} {
		require.NoError(t, s.UpsertWorkspace(ctx, store.Workspace{ID: ws, Company: ws + " srl", Profile: json.RawMessage(`{"company":"x"}`), DataFiles: []string{"/d/" + ws + ".csv"}, UpdatedAt: now}))
	}
	return &bundle{s: s}
}

// newThread starts a thread with a question.
func newThread(t *testing.T, s store.Store, ws, id string) store.Thread {
	t.Helper()
	th := store.Thread{Workspace: ws, ID: id, Asker: "anna", Language: "it", Transport: "cli", State: store.ThreadAwaitingAnswers, Intent: json.RawMessage(`{"metric":"leads"}`), CreatedAt: now, UpdatedAt: now}
	saved, err := s.SaveTurn(ctx, store.Turn{Thread: th, New: true, Events: []store.Event{{Kind: store.EventQuestion, At: now, By: "anna", Data: json.RawMessage(`{"text":"why?"}`)}}})
	require.NoError(t, err)
	require.Equal(t, 1, saved.Version)
	return saved
}

// withDraft starts a thread whose draft waits for a reviewer.
func withDraft(t *testing.T, s store.Store, ws, thread, draft string) store.Thread {
	t.Helper()
	th := newThread(t, s, ws, thread)
	th.State = store.ThreadPendingApproval
	saved, err := s.SaveTurn(ctx, store.Turn{Thread: th, Draft: &store.Draft{ID: draft, Text: "draft text", Language: "it", CreatedAt: now},
		Events: []store.Event{{Kind: store.EventDraft, At: now, By: "whybot", Data: json.RawMessage(`{}`)}}})
	require.NoError(t, err)
	return saved
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
