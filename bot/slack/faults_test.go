package slack_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/chat"
	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/bot/slack"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/storetest"
)

// faultFlow is a flow whose worker and engine run on a test clock, with a short Web API
// timeout (a slow Slack answer is given up on).
func faultFlow(t *testing.T, be storetest.Backend) (*flow, *storetest.Clock) {
	t.Helper()
	f := newFlow(t, be)
	clk := storetest.NewClock(time.Now().UTC())
	api := slack.NewAPI(slack.Config{BotToken: "xoxb-test", APIURL: f.fake.URL(), CallTimeout: 400 * time.Millisecond}, nil)
	f.eng = conversation.New(f.st, conversation.WithLogger(slog.New(slog.DiscardHandler)), conversation.WithQueuedDelivery(nil),
		conversation.WithPoster("slack", &slack.Poster{API: api}), conversation.WithClock(clk.Now))
	f.worker = &slack.Worker{Worker: chat.Worker{Store: f.st, Engine: f.eng, Log: slog.New(slog.DiscardHandler), Now: clk.Now}, API: api}
	return f, clk
}

// retry lets a failed delivery's backoff pass and handles it again.
func (f *flow) retry(t *testing.T, clk *storetest.Clock) {
	t.Helper()
	clk.Add(time.Minute) // past the backoff of the first attempts
	f.drain(t)
}

func count(posts []map[string]string, text string) int {
	n := 0
	for _, p := range posts {
		if strings.Contains(p["text"], text) || strings.Contains(p["blocks"], text) {
			n++
		}
	}
	return n
}

// One HTTP 500 on each kind of post (the clarifying questions, the holding note, the review
// card, the decline notice, the approved answer): the post is retried through the durable
// queue with backoff and reaches the thread exactly once; no turn is taken twice.
func TestOneFailedPostOfEachKind(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		ctx := context.Background()
		f, clk := faultFlow(t, be)
		const q = "300.000001"

		f.fake.Fail("chat.postMessage:C1", 1)
		f.deliver(t, "T0ROSSI", "app_mention", "U0ANNA", "C1", q, "", "<@UBOT> perché i lead sono aumentati del 30%?")
		require.Empty(t, f.fake.Posts("C1", q), "Slack refused the questions")
		th, err := f.st.Thread(ctx, ws, "slack-C1-"+q)
		require.NoError(t, err)
		require.Equal(t, store.ThreadAwaitingAnswers, th.State)
		f.drain(t)
		require.Empty(t, f.fake.Posts("C1", q), "not retried before its backoff")
		f.retry(t, clk)
		require.Equal(t, 1, count(f.fake.Posts("C1", q), "<@U0GIULIA>"), "the questions reach the thread once")
		evs, err := f.st.Events(ctx, ws, th.ID)
		require.NoError(t, err)
		questions := 0
		for _, e := range evs {
			if e.Kind == store.EventQuestion {
				questions++
			}
		}
		require.Equal(t, 1, questions, "the retry took no second turn")

		// the holding note fails once; then the card fails once
		f.deliver(t, "T0ROSSI", "message", "U0GIULIA", "C1", q+"1", q, "solo il 40% è in target")
		f.fake.Fail("chat.postMessage:C1", 1)
		f.deliver(t, "T0ROSSI", "message", "U0ANNA", "C1", q+"2", q, "rispondi comunque")
		require.Zero(t, count(f.fake.Posts("C1", q), "attende l'approvazione"))
		require.Empty(t, f.fake.Posts("C0REVIEW", ""), "no card before the note")
		f.fake.Fail("chat.postMessage:C0REVIEW", 1)
		f.retry(t, clk)
		require.Equal(t, 1, count(f.fake.Posts("C1", q), "attende l'approvazione"), "the note once")
		require.Empty(t, f.fake.Posts("C0REVIEW", ""), "Slack refused the card")
		f.retry(t, clk)
		require.Equal(t, 1, count(f.fake.Posts("C1", q), "attende l'approvazione"), "the note is not posted again with the card")
		cards := f.fake.Posts("C0REVIEW", "")
		require.Len(t, cards, 1, "the card once")

		// rejecting: the decline notice fails once
		drafts, err := f.st.Drafts(ctx, ws, store.DraftPending)
		require.NoError(t, err)
		require.Len(t, drafts, 1)
		f.fake.Fail("chat.postMessage:C1", 1)
		require.True(t, f.interaction(t, "tr-reject", submit("T0ROSSI", "U0LUCA", "whybot_reject", `{"w":"`+ws+`","d":"`+drafts[0].ID+`","c":"C0REVIEW","t":"`+cards[0]["_ts"]+`"}`, "reason", "numeri da ricontrollare")))
		f.drain(t)
		require.Equal(t, store.DraftRejected, f.draft(t, drafts[0].ID).State)
		require.Zero(t, count(f.fake.Posts("C1", q), "è stata rifiutata"))
		f.retry(t, clk)
		declined := f.fake.Posts("C1", q)
		require.Contains(t, declined[len(declined)-1]["text"], "<@U0ANNA>")
		before := len(declined)
		f.retry(t, clk)
		require.Len(t, f.fake.Posts("C1", q), before, "the notice once")

		// a new question, approved: the answer fails once and is posted once
		const q2 = "300.000100"
		d, cardTS := f.toDraft(t, q2)
		f.fake.Fail("chat.postMessage:C1", 1)
		require.True(t, f.interaction(t, "tr-approve", click("T0ROSSI", "U0LUCA", "approve", d.ID, cardTS)))
		f.drain(t)
		_, err = f.eng.DeliverPending(ctx)
		require.ErrorContains(t, err, "500", "Slack refused the answer")
		require.Equal(t, store.DraftApproved, f.draft(t, d.ID).State, "not posted yet")
		clk.Add(time.Minute)
		n, err := f.eng.DeliverPending(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		require.Equal(t, store.DraftPosted, f.draft(t, d.ID).State)
		require.Equal(t, 1, count(f.fake.Posts("C1", q2), "Lead: 78 a ottobre 2026"), "the answer once")

		// a 429 with Retry-After: waited out within the delivery, posted once
		const q3 = "300.000200"
		f.fake.Limit(1)
		attempts, _ := f.fake.PostAttempts()
		f.deliver(t, "T0ROSSI", "app_mention", "U0ANNA", "C1", q3, "", "<@UBOT> perché i lead sono aumentati del 30%?")
		after, times := f.fake.PostAttempts()
		require.Equal(t, attempts+2, after, "one 429, then the post")
		require.GreaterOrEqual(t, times[len(times)-1].Sub(times[len(times)-2]), 900*time.Millisecond, "waited the Retry-After")
		require.Len(t, f.fake.Posts("C1", q3), 1)
	})
}

// Slack accepted a post but its answer came after the call's timeout: the retry finds
// the message by the key in its metadata and records it instead of posting it again, for
// thread messages, review cards and approved answers alike.
func TestSlowSlackIsNotPostedTwice(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		ctx := context.Background()
		f, clk := faultFlow(t, be)
		const q = "400.000001"
		f.fake.Slow("", time.Second)
		f.deliver(t, "T0ROSSI", "app_mention", "U0ANNA", "C1", q, "", "<@UBOT> perché i lead sono aumentati del 30%?")
		f.fake.Slow("", 0)
		require.Len(t, f.fake.Posts("C1", q), 1, "Slack has the questions; whybot did not hear back")
		f.retry(t, clk)
		require.Len(t, f.fake.Posts("C1", q), 1, "found in the thread, not posted again")
		require.NotEmpty(t, f.fake.Calls("conversations.replies"))

		f.deliver(t, "T0ROSSI", "message", "U0GIULIA", "C1", q+"1", q, "solo il 40% è in target")
		f.fake.Slow("C0REVIEW", time.Second)
		f.deliver(t, "T0ROSSI", "message", "U0ANNA", "C1", q+"2", q, "rispondi comunque")
		f.fake.Slow("", 0)
		require.Len(t, f.fake.Posts("C0REVIEW", ""), 1, "Slack has the card; whybot did not hear back")
		f.retry(t, clk)
		f.retry(t, clk)
		require.NotEmpty(t, f.fake.Calls("conversations.history"), "the retry looked in the review channel")
		require.Len(t, f.fake.Posts("C0REVIEW", ""), 1, "one card")
		require.Equal(t, 1, count(f.fake.Posts("C1", q), "attende l'approvazione"), "one note")

		drafts, err := f.st.Drafts(ctx, ws, store.DraftPending)
		require.NoError(t, err)
		require.True(t, f.interaction(t, "tr-ok", click("T0ROSSI", "U0LUCA", "approve", drafts[0].ID, f.fake.Posts("C0REVIEW", "")[0]["_ts"])))
		f.fake.Slow("", time.Second)
		f.drain(t)
		_, err = f.eng.DeliverPending(ctx)
		require.ErrorContains(t, err, "deadline exceeded", "Slack answered too late")
		f.fake.Slow("", 0)
		clk.Add(time.Minute)
		_, err = f.eng.DeliverPending(ctx)
		require.NoError(t, err)
		require.Equal(t, store.DraftPosted, f.draft(t, drafts[0].ID).State)
		require.Equal(t, 1, count(f.fake.Posts("C1", q), "Lead: 78 a ottobre 2026"), "the answer once")
	})
}
