package conversation_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/sample"
	"github.com/whybot/whybot/knowledge/store/storetest"
	"github.com/whybot/whybot/knowledge/workspace"
)

// BenchmarkAsk measures one question from message to stored turn (rules, templates, one
// transaction) on each backend, on the sample's 14 months and on five years of weekly data
// (sample.BigRows, 157,560 rows).
//
//	go test -run x -bench 'Ask$' -benchtime 300x -count 3 ./bot/conversation/
func BenchmarkAsk(b *testing.B) {
	for _, be := range storetest.Backends() {
		for _, data := range []string{"sample", "big"} {
			b.Run(be.Name+"/"+data, func(b *testing.B) {
				bb := setupOn(b, be)
				if data == "big" {
					bb.ws = bigWorkspace(b, bb)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					bb.ask(b, "", "anna", "Perché i lead sono aumentati del 30%?")
				}
			})
		}
	}
}

// BenchmarkMessage measures a chat message's whole path: finding its workspace in the
// store (as Slack, Discord and the web chat do) and the ask.
//
//	go test -run x -bench Message -benchtime 100x ./bot/conversation/
func BenchmarkMessage(b *testing.B) {
	for _, be := range storetest.Backends() {
		for _, data := range []string{"sample", "big"} {
			b.Run(be.Name+"/"+data, func(b *testing.B) {
				ctx := context.Background()
				bb := setupOn(b, be)
				ws := bb.ws
				if data == "big" {
					ws = bigWorkspace(b, bb)
				}
				rec, err := ws.Record()
				require.NoError(b, err)
				rec.UpdatedAt = time.Now()
				require.NoError(b, bb.store.UpsertWorkspace(ctx, rec))
				require.NoError(b, bb.store.ReplaceKPI(ctx, rec.ID, ws.KPIRows(), time.Now()))
				id := ws.Profile.Workspace
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					found, err := workspace.LoadStored(ctx, bb.store, func(p *profile.Profile) bool { return p.Workspace == id })
					require.NoError(b, err)
					_, err = bb.eng.Ask(ctx, found, conversation.Request{As: "anna", Text: "Perché i lead sono aumentati del 30%?", Transport: "test"})
					require.NoError(b, err)
				}
			})
		}
	}
}

// bigWorkspace is the sample company with five years of weekly data.
func bigWorkspace(b *testing.B, bb *bundle) *workspace.Workspace {
	rec, err := bb.ws.Record()
	require.NoError(b, err)
	ws, err := workspace.FromSnapshot(rec, sample.BigRows())
	require.NoError(b, err)
	return ws
}
