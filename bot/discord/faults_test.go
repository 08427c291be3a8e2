package discord_test

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/bot/discord"
	"github.com/whybot/whybot/bot/discord/discordfake"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/storetest"
)

// faultFlow is a flow whose worker and engine share a test clock, so a failed delivery's
// backoff passes at once.
func faultFlow(t *testing.T, be storetest.Backend) (*flow, *storetest.Clock) {
	t.Helper()
	f := newFlow(t, be)
	clk := storetest.NewClock(time.Now().UTC())
	quiet := slog.New(slog.DiscardHandler)
	f.eng = conversation.New(f.st, conversation.WithLogger(quiet), conversation.WithQueuedDelivery(nil), conversation.WithClock(clk.Now),
		conversation.WithPoster("discord", &discord.Poster{API: f.api, Log: quiet, BotUser: discordfake.BotUser}))
	f.worker.Engine, f.worker.Now = f.eng, clk.Now
	return f, clk
}

func (f *flow) retry(t *testing.T, clk *storetest.Clock) {
	t.Helper()
	clk.Add(time.Minute) // past the backoff of the first attempts
	f.drain(t)
}

// seen is how many of a channel's messages show text as Discord renders them, in their
// content or their embeds.
func (f *flow) seen(channel, text string) int {
	return len(slices.DeleteFunc(f.fake.Messages(channel), func(m discordfake.Message) bool {
		return !strings.Contains(rendered(m.Content())+jsonOf(m.Body["embeds"]), text)
	}))
}

// One HTTP 500 on each kind of post: the delivery is retried with backoff and each message
// reaches Discord once, also past Discord's nonce window (the retry looks through the
// channel); the approved answer too.
func TestOneFailedPostOfEachKind(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		ctx := context.Background()
		f, clk := faultFlow(t, be)
		f.why(t, anna, "perché i lead sono aumentati del 30%?")
		original := func() string { return f.fake.Messages(asked)[0].ID }
		f.fake.Fail("POST", "/channels/", 1) // the thread's first message: the questions
		f.drain(t)
		thread := original()
		require.Empty(t, f.fake.Messages(thread), "Discord refused the questions")
		f.retry(t, clk)
		require.Equal(t, 1, f.seen(thread, "Prima di rispondere"), "the questions once")

		f.say(t, giulia, thread, "solo il 40% è in target")
		// the holding note reaches Discord but its answer is lost; past Discord's nonce
		// window the retry finds the note in the thread, and posts the card
		f.fake.Lose("/channels/"+thread+"/messages", 1)
		f.say(t, anna, thread, "<@"+discordfake.BotUser+"> rispondi comunque", discordfake.BotUser)
		require.Equal(t, 1, f.seen(thread, "attende l'approvazione"))
		require.Empty(t, f.fake.Messages(review), "no card before the note")
		f.fake.Forget()
		f.fake.Fail("POST", "/channels/"+review+"/messages", 1)
		f.retry(t, clk)
		require.Empty(t, f.fake.Messages(review), "Discord refused the card")
		require.NotEmpty(t, f.fake.Calls("GET /channels/"+thread+"/messages"), "the retry looked")
		f.retry(t, clk)
		require.Equal(t, 1, f.seen(thread, "attende l'approvazione"), "the note is not posted again")
		cards := f.fake.Messages(review)
		require.Len(t, cards, 1, "the card once")

		drafts, err := f.st.Drafts(ctx, "meccanica_rossi", store.DraftPending)
		require.NoError(t, err)
		require.Len(t, drafts, 1)
		f.fake.Fail("POST", "/channels/"+thread+"/messages", 1)
		f.submit(t, luca, nil, "reject", drafts[0].ID, cards[0].ID, "reason", "numeri da ricontrollare")
		f.drain(t)
		require.Zero(t, f.seen(thread, "<@"+anna+">"), "Discord refused the decline notice")
		f.retry(t, clk)
		f.retry(t, clk)
		declines := 0
		for _, m := range f.fake.Messages(thread) {
			if strings.Contains(m.Content(), "<@"+anna+">") {
				declines++
			}
		}
		require.Equal(t, 1, declines, "the notice once")

		// a second question, approved: the answer fails once, then is posted once
		thread2, card2, d2 := f.pending(t)
		f.click(t, luca, false, nil, "approve", d2.ID, card2.ID)
		f.drain(t)
		f.fake.Lose("/channels/"+thread2+"/messages", 1)
		_, err = f.eng.DeliverPending(ctx)
		require.ErrorContains(t, err, "500")
		require.Equal(t, 1, f.seen(thread2, "Lead: 78 a ottobre 2026"), "made, but whybot did not hear back")
		f.fake.Forget()
		clk.Add(time.Minute)
		n, err := f.eng.DeliverPending(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		got, err := f.st.Draft(ctx, "meccanica_rossi", d2.ID)
		require.NoError(t, err)
		require.Equal(t, store.DraftPosted, got.State)
		require.Equal(t, 1, f.seen(thread2, "Lead: 78 a ottobre 2026"), "the answer once")

		// a 429 with retry_after on the questions: waited out, posted once
		f.why(t, anna, "perché il CAC è aumentato?")
		f.fake.Limit("POST", "/channels/", 1, 0.3)
		before := len(f.fake.Calls("POST /channels/"))
		f.drain(t)
		asks := f.fake.Messages(asked)
		thread3 := asks[len(asks)-1].ID
		require.Len(t, f.fake.Messages(thread3), 1, "the questions once")
		calls := f.fake.Calls("POST /channels/")[before:]
		require.GreaterOrEqual(t, calls[len(calls)-1].At.Sub(calls[0].At), 300*time.Millisecond, "waited retry_after")
	})
}
