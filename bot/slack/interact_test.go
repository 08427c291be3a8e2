package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/chat"
	"github.com/whybot/whybot/bot/slack"
	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/storetest"
)

const ws = "meccanica_rossi"

// toDraft runs a conversation in channel C1 until its draft is on a review card; it
// returns the question's ts, the draft and the card's ts.
func (f *flow) toDraft(t *testing.T, q string) (store.Draft, string) {
	t.Helper()
	f.deliver(t, "T0ROSSI", "app_mention", "U0ANNA", "C1", q, "", "<@UBOT> perché i lead sono aumentati del 30%?")
	f.deliver(t, "T0ROSSI", "message", "U0GIULIA", "C1", q+"1", q, "solo il 40% è in target")
	f.deliver(t, "T0ROSSI", "message", "U0ANNA", "C1", q+"2", q, "rispondi comunque")
	drafts, err := f.st.Drafts(context.Background(), ws, store.DraftPending)
	require.NoError(t, err)
	require.Len(t, drafts, 1)
	cards := f.fake.Posts("C0REVIEW", "")
	require.NotEmpty(t, cards)
	return drafts[0], cards[len(cards)-1]["_ts"]
}

// interaction records an interaction payload in the inbox under its trigger id, as the
// ingress would; it reports whether it was new.
func (f *flow) interaction(t *testing.T, trigger string, payload map[string]any) bool {
	t.Helper()
	payload["trigger_id"] = trigger
	b, err := json.Marshal(payload)
	require.NoError(t, err)
	first, err := f.st.Receive(context.Background(), store.Inbound{Source: "slack", Key: "interaction:" + trigger, Payload: b, ReceivedAt: time.Now()})
	require.NoError(t, err)
	return first
}

func click(team, user, action, draftID, cardTS string) map[string]any {
	return map[string]any{
		"type": "block_actions", "team": map[string]any{"id": team}, "user": map[string]any{"id": user},
		"container": map[string]any{"type": "message", "channel_id": "C0REVIEW", "message_ts": cardTS},
		"channel":   map[string]any{"id": "C0REVIEW"}, "message": map[string]any{"ts": cardTS},
		"actions": []map[string]any{{"type": "button", "action_id": action, "block_id": "review_" + draftID, "value": ws + "/" + draftID}},
	}
}

func submit(team, user, callback, meta, block, value string) map[string]any {
	return map[string]any{
		"type": "view_submission", "team": map[string]any{"id": team}, "user": map[string]any{"id": user},
		"view": map[string]any{"id": "V1", "callback_id": callback, "private_metadata": meta,
			"state": map[string]any{"values": map[string]any{block: map[string]any{block: map[string]any{"type": "plain_text_input", "value": value}}}}},
	}
}

func (f *flow) drain(t *testing.T) {
	t.Helper()
	_, err := f.worker.Drain(context.Background())
	require.NoError(t, err)
}

func (f *flow) draft(t *testing.T, id string) store.Draft {
	t.Helper()
	d, err := f.st.Draft(context.Background(), ws, id)
	require.NoError(t, err)
	return d
}

// lastUpdate is the last chat.update of the card.
func (f *flow) lastUpdate(t *testing.T, cardTS string) string {
	t.Helper()
	ups := f.fake.Calls("chat.update")
	require.NotEmpty(t, ups, "the card was updated")
	u := ups[len(ups)-1]
	require.Equal(t, "C0REVIEW", u.Form["channel"])
	require.Equal(t, cardTS, u.Form["ts"])
	return u.Form["blocks"]
}

func TestApproveInSlack(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		ctx := context.Background()
		f := newFlow(t, be)
		const q = "200.000001"
		d, cardTS := f.toDraft(t, q)

		// the owner is not a reviewer; a bot marked reviewer, a bot id and a click from
		// another team cannot act either
		require.True(t, f.interaction(t, "tr-anna", click("T0ROSSI", "U0ANNA", "approve", d.ID, cardTS)))
		require.True(t, f.interaction(t, "tr-zapier", click("T0ROSSI", "U0ZAPIER", "approve", d.ID, cardTS)))
		require.True(t, f.interaction(t, "tr-bot", click("T0ROSSI", "B0BOT", "approve", d.ID, cardTS)))
		require.True(t, f.interaction(t, "tr-other", click("T0OTHER", "U0LUCA", "approve", d.ID, cardTS)))
		f.drain(t)
		require.Equal(t, store.DraftPending, f.draft(t, d.ID).State, "nobody but a reviewer decides")
		eph := f.fake.Calls("chat.postEphemeral")
		require.Len(t, eph, 3, "a refusal for each, none for the other team")
		require.Equal(t, "U0ANNA", eph[0].Form["user"])
		require.Contains(t, eph[0].Form["text"], "Solo i revisori")
		require.Contains(t, eph[0].Form["text"], "<@U0LUCA>")
		require.Equal(t, "U0ZAPIER", eph[1].Form["user"])
		require.Contains(t, eph[1].Form["text"], "Un bot o un'app non può")
		require.Equal(t, "B0BOT", eph[2].Form["user"])
		require.Empty(t, f.fake.Calls("chat.update"))

		// two reviewers click at the same moment, one of them twice, and Slack retries a
		// delivery, while Slack answers one of the calls with 429: one decision, one post,
		// nothing lost
		f.fake.Limit(1)
		var wg sync.WaitGroup
		for i, user := range []string{"U0LUCA", "U0SARA", "U0LUCA"} {
			trigger := fmt.Sprintf("tr-approve-%d", i)
			require.True(t, f.interaction(t, trigger, click("T0ROSSI", user, "approve", d.ID, cardTS)))
			require.False(t, f.interaction(t, trigger, click("T0ROSSI", user, "approve", d.ID, cardTS)), "a retried delivery is not queued again")
		}
		in, err := f.st.ClaimInbound(ctx, "slack", time.Now(), time.Minute, 10)
		require.NoError(t, err)
		require.Len(t, in, 3)
		for _, x := range in {
			wg.Add(1)
			go func() {
				defer wg.Done()
				require.NoError(t, f.worker.Handle(ctx, x))
				require.NoError(t, f.st.FinishInbound(ctx, x.ID, "", time.Time{}))
			}()
		}
		wg.Wait()
		got := f.draft(t, d.ID)
		require.Contains(t, []store.DraftState{store.DraftApproved, store.DraftPosted}, got.State, "a repeated approval may finish the post")
		require.Contains(t, []string{"luca", "sara"}, got.DecidedBy.String())
		require.Zero(t, f.fake.Pending429(), "the 429 was sent and waited out")
		require.Len(t, f.fake.Calls("chat.postEphemeral"), 5, "the two late clicks are told it was already approved")
		for _, e := range f.fake.Calls("chat.postEphemeral")[3:] {
			require.Contains(t, e.Form["text"], "già stata approvata")
		}

		// the job runner posts what is left; running it again posts nothing more
		_, err = f.eng.DeliverPending(ctx)
		require.NoError(t, err)
		n, err := f.eng.DeliverPending(ctx)
		require.NoError(t, err)
		require.Zero(t, n)
		thread := f.fake.Posts("C1", q)
		var answers []map[string]string
		for _, p := range thread {
			if p["text"] == d.Text {
				answers = append(answers, p)
			}
		}
		require.Len(t, answers, 1, "the approved answer is posted once, in the question's thread")
		require.Contains(t, answers[0]["metadata"], ws+"/"+d.ID)
		require.Equal(t, store.DraftPosted, f.draft(t, d.ID).State)

		card := f.lastUpdate(t, cardTS)
		require.Contains(t, card, "Approvata da \\u003c@U0")
		require.Contains(t, card, "senza modifiche")
		require.Contains(t, card, "\\u003c!date^")
		require.NotContains(t, card, `"action_id":"approve"`, "no buttons once decided")
	})
}

func TestEditInSlack(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		ctx := context.Background()
		f := newFlow(t, be)
		const q = "300.000001"
		d, cardTS := f.toDraft(t, q)

		require.True(t, f.interaction(t, "tr-edit", click("T0ROSSI", "U0LUCA", "edit", d.ID, cardTS)))
		f.drain(t)
		views := f.fake.Calls("views.open")
		require.Len(t, views, 1)
		var req struct {
			TriggerID string `json:"trigger_id"`
			View      struct {
				CallbackID      string `json:"callback_id"`
				PrivateMetadata string `json:"private_metadata"`
				Blocks          []struct {
					BlockID string `json:"block_id"`
					Element struct {
						ActionID     string `json:"action_id"`
						InitialValue string `json:"initial_value"`
						Multiline    bool   `json:"multiline"`
					} `json:"element"`
				} `json:"blocks"`
			} `json:"view"`
		}
		require.NoError(t, json.Unmarshal([]byte(views[0].Form["json"]), &req))
		require.Equal(t, "tr-edit", req.TriggerID)
		require.Equal(t, "whybot_edit", req.View.CallbackID)
		require.Equal(t, d.Text, req.View.Blocks[0].Element.InitialValue, "the modal holds the draft text")
		require.True(t, req.View.Blocks[0].Element.Multiline)
		require.Equal(t, store.DraftPending, f.draft(t, d.ID).State, "opening the editor decides nothing")

		// a non-reviewer cannot submit the modal either (a forged or forwarded submission)
		edited := strings.Replace(d.Text, "Ciao", "Buongiorno", 1) + "\nNe parliamo lunedì."
		require.True(t, f.interaction(t, "tr-sub-marco", submit("T0ROSSI", "U0MARCO", "whybot_edit", req.View.PrivateMetadata, "text", edited)))
		f.drain(t)
		require.Equal(t, store.DraftPending, f.draft(t, d.ID).State)

		require.True(t, f.interaction(t, "tr-sub", submit("T0ROSSI", "U0LUCA", "whybot_edit", req.View.PrivateMetadata, "text", edited)))
		f.drain(t)
		got := f.draft(t, d.ID)
		require.Equal(t, store.DraftApproved, got.State)
		require.True(t, got.Edited)
		require.Equal(t, strings.TrimSpace(edited), got.FinalText)
		card := f.lastUpdate(t, cardTS)
		require.Contains(t, card, "con modifiche")
		require.Contains(t, card, "Ne parliamo lunedì.", "the card shows the text that will be posted")

		_, err := f.eng.DeliverPending(ctx)
		require.NoError(t, err)
		thread := f.fake.Posts("C1", q)
		require.Equal(t, strings.TrimSpace(edited), thread[len(thread)-1]["text"], "the edited text is posted, not the draft")
	})
}

func TestRejectInSlack(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		ctx := context.Background()
		f := newFlow(t, be)
		const q = "400.000001"
		d, cardTS := f.toDraft(t, q)
		before := len(f.fake.Posts("C1", q))

		require.True(t, f.interaction(t, "tr-rej", click("T0ROSSI", "U0SARA", "reject", d.ID, cardTS)))
		f.drain(t)
		views := f.fake.Calls("views.open")
		require.Len(t, views, 1)
		require.Contains(t, views[0].Form["json"], `"callback_id":"whybot_reject"`)
		var req struct {
			View struct {
				PrivateMetadata string `json:"private_metadata"`
			} `json:"view"`
		}
		require.NoError(t, json.Unmarshal([]byte(views[0].Form["json"]), &req))

		reason := "i numeri di ottobre includono una campagna <!channel> non ancora chiusa"
		require.True(t, f.interaction(t, "tr-rej-sub", submit("T0ROSSI", "U0SARA", "whybot_reject", req.View.PrivateMetadata, "reason", reason)))
		f.drain(t)
		got := f.draft(t, d.ID)
		require.Equal(t, store.DraftRejected, got.State)
		require.Equal(t, record.Actor("sara"), got.DecidedBy)
		require.Equal(t, reason, got.Reason)

		thread := f.fake.Posts("C1", q)
		require.Len(t, thread, before+1)
		last := thread[len(thread)-1]["text"]
		require.Contains(t, last, "<@U0ANNA>", "the asker is told")
		require.Contains(t, last, "rifiutata")
		require.NotContains(t, last, "campagna", "the reason stays in the review channel")
		card := f.lastUpdate(t, cardTS)
		require.Contains(t, card, "Rifiutata da \\u003c@U0SARA\\u003e")
		require.Contains(t, card, "campagna \\u0026lt;!channel\\u0026gt;", "untrusted text is escaped, so it cannot ping a channel")

		// a late approval changes nothing and posts nothing
		require.True(t, f.interaction(t, "tr-late", click("T0ROSSI", "U0LUCA", "approve", d.ID, cardTS)))
		f.drain(t)
		require.Equal(t, store.DraftRejected, f.draft(t, d.ID).State)
		n, err := f.eng.DeliverPending(ctx)
		require.NoError(t, err)
		require.Zero(t, n)
		require.Len(t, f.fake.Posts("C1", q), before+1)
		eph := f.fake.Calls("chat.postEphemeral")
		require.Contains(t, eph[len(eph)-1].Form["text"], "già stata rifiutata da <@U0SARA>")
	})
}

// TestTwoTeams serves two companies from one worker: each team's questions use its own
// profile and data and go to its own review channel, and one team's reviewer cannot act
// on the other's drafts.
func TestTwoTeams(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		ctx := context.Background()
		f := newFlow(t, be)
		// a second client of the agency: another company, team, review channel and people
		storetest.SeedSample(t, f.st, "company: Meccanica Rossi S.r.l.", "company: Forno Bianchi", "workspace: meccanica_rossi", "workspace: forno_bianchi",
			"team: T0ROSSI", "team: T0BIANCHI", "review_channel: C0REVIEW", "review_channel: C0REVIEWB",
			"U0GIULIA", "U1GIULIA", "U0MARCO", "U1MARCO", "U0ANNA", "U1ANNA", "U0LUCA", "U1LUCA")

		dA, cardA := f.toDraft(t, "700.000001")
		// the same channel id and ts in the other team is another conversation
		f.deliver(t, "T0BIANCHI", "app_mention", "U1ANNA", "C1", "700.000001", "", "<@UBOT> perché i lead sono aumentati del 30%?")
		f.deliver(t, "T0BIANCHI", "message", "U1GIULIA", "C1", "700.0000011", "700.000001", "solo il 40% è in target")
		f.deliver(t, "T0BIANCHI", "message", "U1ANNA", "C1", "700.0000012", "700.000001", "rispondi comunque")
		cardsB := f.fake.Posts("C0REVIEWB", "")
		require.Len(t, cardsB, 1, "team B's draft goes to team B's review channel")
		require.Contains(t, cardsB[0]["blocks"], "Forno Bianchi")
		require.NotContains(t, cardsB[0]["blocks"], "Meccanica Rossi")
		require.Len(t, f.fake.Posts("C0REVIEW", ""), 1, "team A's review channel has only A's card")
		draftsB, err := f.st.Drafts(ctx, "forno_bianchi", store.DraftPending)
		require.NoError(t, err)
		require.Len(t, draftsB, 1)

		// B's reviewer clicking A's card (a forged or forwarded payload from team B) and
		// A's reviewer clicking from team B's id: nothing happens to A's draft
		require.True(t, f.interaction(t, "tr-x1", click("T0BIANCHI", "U1LUCA", "approve", dA.ID, cardA)))
		require.True(t, f.interaction(t, "tr-x2", click("T0ROSSI", "U1LUCA", "approve", dA.ID, cardA)))
		f.drain(t)
		require.Equal(t, store.DraftPending, f.draft(t, dA.ID).State)
		d, err := f.st.Draft(ctx, "forno_bianchi", draftsB[0].ID)
		require.NoError(t, err)
		require.Equal(t, store.DraftPending, d.State)
	})
}

func TestReminderInReviewChannel(t *testing.T) {
	t.Parallel()
	f := newFlow(t, storetest.Backends()[0])
	n := &chat.Notifier{Store: f.st, Reviews: slack.ReviewChannels(slack.NewAPI(slack.Config{BotToken: "xoxb-test", APIURL: f.fake.URL()}, nil), "")}
	require.NoError(t, n.Remind(context.Background(), ws, "Promemoria: la bozza d_1 attende da 30 ore. @luca, @sara: approvatela <!channel>", []string{"luca", "sara"}))
	posts := f.fake.Posts("C0REVIEW", "")
	require.Len(t, posts, 1)
	require.Equal(t, "Promemoria: la bozza d_1 attende da 30 ore. <@U0LUCA>, <@U0SARA>: approvatela &lt;!channel&gt;", posts[0]["text"])
	err := n.Remind(context.Background(), "nope", "x", nil)
	require.ErrorContains(t, err, "load workspace nope")

	// a reminder of a question someone will answer later goes in the question's thread
	require.NoError(t, n.RemindInThread(context.Background(), ws, "C1/100.000001", "Promemoria per @marco: avevi detto che ci avresti fatto sapere.", []string{"marco"}))
	posts = f.fake.Posts("C1", "100.000001")
	require.Len(t, posts, 1)
	require.Equal(t, "Promemoria per <@U0MARCO>: avevi detto che ci avresti fatto sapere.", posts[0]["text"])
}
