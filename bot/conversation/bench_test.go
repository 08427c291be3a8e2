package conversation_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/knowledge/sample"
	"github.com/whybot/whybot/knowledge/store"
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
			b.Run(be.Name+"/"+data, func(b *testing.B) { benchAsk(b, be, data, "Perché i lead sono aumentati del 30%?") })
		}
	}
}

// benchAsk times one question asked again and again on a backend and a data set.
func benchAsk(b *testing.B, be storetest.Backend, data, question string) {
	bb := setupOn(b, be)
	if data == "big" {
		bb.ws = bigWorkspace(b, bb)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		bb.ask(b, "", "anna", question)
	}
}

// BenchmarkAskKinds measures the other kinds of question on the sample and on five years of
// weekly data: a direct question over a quarter (the rows it rests on are found for its
// source), a whole report (every number of the period ranked), and a why on a ratio (split
// between numerator and denominator, mix and rate).
//
//	go test -run x -bench AskKinds -benchtime 200x ./bot/conversation/
func BenchmarkAskKinds(b *testing.B) {
	questions := map[string]string{"direct": "quanti lead nell'ultimo trimestre rispetto all'anno scorso?", "report": "cosa significa questo report?",
		"ratio": "perché il costo per lead è cambiato?"}
	for _, be := range storetest.Backends() {
		for _, data := range []string{"sample", "big"} {
			for _, kind := range []string{"direct", "report", "ratio"} {
				b.Run(be.Name+"/"+data+"/"+kind, func(b *testing.B) { benchAsk(b, be, data, questions[kind]) })
			}
		}
	}
}

// BenchmarkMessage measures a chat message's whole path: finding its workspace (as Slack,
// Discord and the web chat do, through the workspace registry: one indexed query while
// the workspace is current) and the ask.
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
				reg := workspace.NewRegistry(bb.store)
				key := store.WorkspaceKey{SlackTeam: ws.Profile.Slack.Team}
				_, err = reg.Find(ctx, key) // built once, when first asked for
				require.NoError(b, err)
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					found, err := reg.Find(ctx, key)
					require.NoError(b, err)
					require.NotNil(b, found)
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

// BenchmarkFindWorkspace measures finding a current workspace among 500 stored ones.
//
//	go test -run x -bench FindWorkspace -benchtime 2000x ./bot/conversation/
func BenchmarkFindWorkspace(b *testing.B) {
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			ctx := context.Background()
			bb := setupOn(b, be)
			rec, err := bb.ws.Record()
			require.NoError(b, err)
			for i := range 500 {
				r := rec
				r.ID, r.SlackTeam, r.DiscordGuild = fmt.Sprintf("company_%03d", i), fmt.Sprintf("T%06d", i), ""
				r.UpdatedAt = time.Now()
				require.NoError(b, bb.store.UpsertWorkspace(ctx, r))
			}
			reg := workspace.NewRegistry(bb.store)
			key := store.WorkspaceKey{SlackTeam: "T000250"}
			_, err = reg.Find(ctx, key)
			require.NoError(b, err)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				found, err := reg.Find(ctx, key)
				require.NoError(b, err)
				require.NotNil(b, found)
			}
		})
	}
}

// BenchmarkTurn measures a reply in a thread that already has 10 or 200 turns: a turn
// reads the thread's row, not its whole history.
//
//	go test -run x -bench Turn -benchtime 50x ./bot/conversation/
func BenchmarkTurn(b *testing.B) {
	for _, be := range storetest.Backends() {
		for _, depth := range []int{10, 200} {
			b.Run(fmt.Sprintf("%s/turn=%d", be.Name, depth), func(b *testing.B) {
				bb := setupOn(b, be)
				r := bb.ask(b, "", "anna", "Perché i lead sono aumentati del 30%?")
				for range depth {
					bb.ask(b, r.Thread, "anna", "grazie, aspetto")
				}
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					bb.ask(b, r.Thread, "anna", "grazie, aspetto")
				}
			})
		}
	}
}

// BenchmarkAnswer measures a whole answer turn on the sample: the person asked replies to
// the bot's number question (the reply read in the context of the question, the fact
// stored, the rules run again, the read-back written, one transaction). Each reply is in
// its own thread, asked with the timer stopped.
//
//	go test -run x -bench Answer -benchtime 200x ./bot/conversation/
func BenchmarkAnswer(b *testing.B) {
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			bb := setupOn(b, be)
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				r := bb.ask(b, "", "anna", "Perché i lead sono aumentati del 30%?")
				b.StartTimer()
				bb.ask(b, r.Thread, "giulia", "dei 78 direi che una trentina sono in target")
			}
		})
	}
}
