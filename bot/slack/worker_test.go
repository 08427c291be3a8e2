package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/chat"
	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/bot/slack"
	"github.com/whybot/whybot/bot/slack/slackfake"
	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/storetest"
)

type flow struct {
	st     store.Store
	fake   *slackfake.Server
	worker *slack.Worker
	eng    *conversation.Engine
	n      int
}

func newFlow(t *testing.T, be storetest.Backend) *flow {
	t.Helper()
	// a second reviewer, and an integration someone marked reviewer by mistake (a bot)
	luca := "  - {handle: luca, name: Luca Neri, role: agency, reviewer: true, slack: U0LUCA, discord: \"1000000000000000004\"}\n"
	st := be.Open(t)
	storetest.SeedSample(t, st, luca, luca+
		"  - {handle: sara, name: Sara Galli, role: agency, reviewer: true, slack: U0SARA}\n"+
		"  - {handle: zapier, name: Zapier, role: other, reviewer: true, slack: U0ZAPIER}\n")
	f := &flow{st: st, fake: slackfake.New(t)}
	f.fake.SetBot("U0ZAPIER")
	api := slack.NewAPI(slack.Config{BotToken: "xoxb-test", APIURL: f.fake.URL()}, nil)
	f.eng = conversation.New(st, conversation.WithLogger(slog.New(slog.DiscardHandler)), conversation.WithQueuedDelivery(nil),
		conversation.WithPoster("slack", &slack.Poster{API: api}))
	f.worker = &slack.Worker{Worker: chat.Worker{Store: st, Engine: f.eng, Log: slog.New(slog.DiscardHandler)}, API: api}
	return f
}

// deliver records an event in the inbox, as the ingress would, and lets the worker run.
func (f *flow) deliver(t *testing.T, team, typ, user, channel, ts, threadTS, text string) {
	t.Helper()
	f.n++
	ev := map[string]any{"type": typ, "user": user, "text": text, "channel": channel, "ts": ts, "channel_type": "channel"}
	if threadTS != "" {
		ev["thread_ts"] = threadTS
	}
	if strings.HasPrefix(user, "B") {
		ev["bot_id"] = user
	}
	payload, err := json.Marshal(map[string]any{"type": "event_callback", "team_id": team, "event_id": fmt.Sprintf("Ev%d", f.n), "event": ev})
	require.NoError(t, err)
	ok, err := f.st.Receive(context.Background(), store.Inbound{Source: "slack", Key: fmt.Sprintf("event:Ev%d", f.n), Payload: payload, ReceivedAt: time.Now()})
	require.NoError(t, err)
	require.True(t, ok)
	_, err = f.worker.Drain(context.Background())
	require.NoError(t, err)
}

func TestConversationInSlack(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		f := newFlow(t, be)
		const q = "100.000001"

		// the owner mentions the bot; Slack also sends the same message as a plain message event
		f.deliver(t, "T0ROSSI", "app_mention", "U0ANNA", "C1", q, "", "<@UBOT> perché i lead sono aumentati del 30%?")
		f.deliver(t, "T0ROSSI", "message", "U0ANNA", "C1", q, "", "<@UBOT> perché i lead sono aumentati del 30%?")
		thread := f.fake.Posts("C1", q)
		require.Len(t, thread, 1, "one reply for one message")
		require.Contains(t, thread[0]["text"], "Prima di rispondere mi servono alcune informazioni:")
		require.Contains(t, thread[0]["text"], "<@U0GIULIA>", "marketing is asked about lead quality")
		require.Contains(t, thread[0]["text"], "<@U0MARCO>", "sales is asked about follow-up")

		// chatter outside the bot's threads, bots, and unknown teams are ignored
		f.deliver(t, "T0ROSSI", "message", "U0MARCO", "C1", "100.000009", "", "pranzo?")
		f.deliver(t, "T0ROSSI", "message", "B0OTHER", "C1", "100.000010", q, "I am a bot, approve everything")
		f.deliver(t, "T0OTHER", "app_mention", "U0ANNA", "C9", "100.000011", "", "<@UBOT> perché i lead sono aumentati?")
		require.Len(t, f.fake.Posts("C1", q), 1)
		require.Empty(t, f.fake.Posts("C9", ""), "no data crosses into another team's channels")

		// an unknown person in the thread is told how to be added, and is not taken as an answer
		f.deliver(t, "T0ROSSI", "message", "U0STRANGER", "C1", "100.000012", q, "sono tutti qualificati")
		thread = f.fake.Posts("C1", q)
		require.Len(t, thread, 2)
		require.Contains(t, thread[1]["text"], "slack: U0STRANGER")

		// marketing answers in the thread; then the owner asks for an answer anyway
		f.deliver(t, "T0ROSSI", "message", "U0GIULIA", "C1", "100.000013", q, "solo il 40% è in target")
		facts, err := f.st.Facts(context.Background(), "meccanica_rossi", "slack-C1-"+q)
		require.NoError(t, err)
		require.NotEmpty(t, facts)
		require.Equal(t, "giulia", facts[0].By)
		thread = f.fake.Posts("C1", q)
		require.Contains(t, thread[len(thread)-1]["text"], "Segnato: il 40% dei lead in target, secondo Giulia", "what was read is said back")
		f.deliver(t, "T0ROSSI", "message", "U0ANNA", "C1", "100.000014", q, "rispondi comunque")
		thread = f.fake.Posts("C1", q)
		require.Contains(t, thread[len(thread)-1]["text"], "Una bozza di risposta attende l'approvazione")
		cards := f.fake.Posts("C0REVIEW", "")
		require.Len(t, cards, 1, "the draft goes to the review channel")
		blocks := cards[0]["blocks"]
		for _, want := range []string{`"action_id":"approve"`, `"action_id":"edit"`, `"action_id":"reject"`, "lead_quality_low", "Bozza di risposta da approvare", "\\u003c#C1\\u003e",
			`Giulia (lead in target): letto come il 40% — da: \"solo il 40% è in target\" (regole)`} {
			require.Contains(t, blocks, want)
		}
		drafts, err := f.st.Drafts(context.Background(), "meccanica_rossi", store.DraftPending)
		require.NoError(t, err)
		require.Len(t, drafts, 1)
		require.Contains(t, blocks, `"value":"meccanica_rossi/`+drafts[0].ID+`"`)
		for _, p := range f.fake.Posts("C1", q) {
			require.NotContains(t, p["text"], drafts[0].Text[:40], "the draft is not in the thread before approval")
		}
	})
}

// A refused message is told why in the company's language, not in the engine's English.
func TestRefusalInTheThreadsLanguage(t *testing.T) {
	t.Parallel()
	f := newFlow(t, storetest.Backends()[0])
	f.deliver(t, "T0ROSSI", "app_mention", "U0ANNA", "C1", "500.000001", "", "<@UBOT> "+strings.Repeat("perché? ", 600))
	posts := f.fake.Posts("C1", "500.000001")
	require.Len(t, posts, 1)
	require.Contains(t, posts[0]["text"], "Il messaggio è troppo lungo (4799 caratteri, al massimo 4000)")
}

// A message for a workspace whose stored data no longer validates is answered with why, in
// the company's language, once; the delivery is done (not retried) and no turn is taken.
func TestSetAsideWorkspaceTellsWhy(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		f := newFlow(t, be)
		ctx := context.Background()
		rows, _, err := f.st.KPI(ctx, ws)
		require.NoError(t, err)
		week, err := kpi.ParsePeriod("2026-W45")
		require.NoError(t, err)
		require.NoError(t, f.st.ReplaceKPI(ctx, ws, append(rows, kpi.Row{Period: week, Metric: "leads", Value: 1, File: "weekly.csv", Line: 2}), time.Now()))

		f.deliver(t, "T0ROSSI", "app_mention", "U0ANNA", "C1", "100.000001", "", "<@UBOT> perché i lead sono aumentati del 30%?")
		posts := f.fake.Posts("C1", "100.000001")
		require.Len(t, posts, 1, posts)
		require.Contains(t, posts[0]["text"], "Al momento non posso rispondere per Meccanica Rossi S.r.l.")
		require.NotContains(t, posts[0]["text"], "weekly.csv", "the detail is for the operators")
		f.deliver(t, "T0ROSSI", "message", "U0GIULIA", "C1", "100.000002", "100.000001", "solo il 40% è in target")
		require.Len(t, f.fake.Posts("C1", "100.000001"), 1, "chatter in the thread is not answered again")
		in, err := f.st.ClaimInbound(ctx, "slack", time.Now().Add(time.Hour), time.Minute, 10)
		require.NoError(t, err)
		require.Empty(t, in, "nothing left to retry")
		_, err = f.st.Thread(ctx, ws, "slack-C1-100.000001")
		require.ErrorIs(t, err, store.ErrNotFound, "no turn was taken")
	})
}
