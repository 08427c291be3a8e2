package discord_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/chat"
	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/bot/discord"
	"github.com/whybot/whybot/bot/discord/discordfake"
	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/storetest"
)

const (
	giulia  = "1000000000000000001"
	marco   = "1000000000000000002"
	sara    = "1000000000000000005"
	zapier  = "1000000000000000006"
	asked   = "5000000000000000001" // the channel questions are asked in
	review  = "3000000000000000001"
	roleRev = "4000000000000000001"
)

// flow is whybot's Discord side wired as serve wires it: the signed HTTP endpoint, the
// responder, the inbox, the worker, the engine and the poster, against a fake Discord.
type flow struct {
	st     store.Store
	fake   *discordfake.Fake
	eng    *conversation.Engine
	worker *discord.Worker
	api    *discordgo.Session
	srv    *httptest.Server
	priv   ed25519.PrivateKey
	n      atomic.Int64
	guild  string // the server the next interactions and messages come from
}

func newFlow(t *testing.T, be storetest.Backend) *flow {
	t.Helper()
	// a second reviewer, and an integration someone marked reviewer by mistake (a bot)
	luca := "  - {handle: luca, name: Luca Neri, role: agency, reviewer: true, slack: U0LUCA, discord: \"1000000000000000004\"}\n"
	st := be.Open(t)
	storetest.SeedSample(t, st, luca, luca+
		"  - {handle: sara, name: Sara Galli, role: agency, reviewer: true, discord: \""+sara+"\"}\n"+
		"  - {handle: zapier, name: Zapier, role: other, reviewer: true, discord: \""+zapier+"\"}\n")

	f := &flow{st: st, fake: discordfake.New(t), guild: guild}
	api, err := discord.NewSession(discord.Config{BotToken: discordfake.Token, APIURL: f.fake.URL()})
	require.NoError(t, err)
	f.api = api
	quiet := slog.New(slog.DiscardHandler)
	f.eng = conversation.New(st, conversation.WithLogger(quiet), conversation.WithQueuedDelivery(nil),
		conversation.WithPoster("discord", &discord.Poster{API: api, Log: quiet}))
	f.worker = &discord.Worker{Worker: chat.Worker{Store: st, Engine: f.eng, Log: quiet}, API: api, BotUser: discordfake.BotUser}
	pub, priv, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	f.priv = priv
	in := &discord.Ingress{Key: pub, Responder: &discord.Responder{Store: st, Wake: f.worker.Wake, Log: quiet}, Log: quiet}
	f.srv = httptest.NewServer(in.Handler())
	t.Cleanup(f.srv.Close)
	return f
}

// send posts a signed interaction to the endpoint and returns Discord's view of the answer.
func (f *flow) send(t *testing.T, body []byte) map[string]any {
	t.Helper()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, err := http.NewRequest(http.MethodPost, f.srv.URL+"/discord/interactions", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("X-Signature-Timestamp", ts)
	req.Header.Set("X-Signature-Ed25519", discord.Sign(f.priv, ts, body))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return out
}

func (f *flow) drain(t *testing.T) {
	t.Helper()
	_, err := f.worker.Drain(context.Background())
	require.NoError(t, err)
}

func (f *flow) nextID() string {
	return strconv.FormatInt(1200000000000000000+f.n.Add(1), 10)
}

// why is /why as Discord sends it.
func (f *flow) why(t *testing.T, user, question string) (id, token string) {
	t.Helper()
	id = f.nextID()
	token = "tok-" + id
	f.fake.Interaction(token, asked)
	body, _ := json.Marshal(map[string]any{"id": id, "application_id": discordfake.AppID, "type": 2, "token": token, "guild_id": f.guild, "channel_id": asked,
		"member": map[string]any{"user": map[string]any{"id": user, "username": "u" + user}, "roles": []string{}},
		"data":   map[string]any{"id": "1", "name": "why", "type": 1, "options": []map[string]any{{"name": "question", "type": 3, "value": question}}}})
	out := f.send(t, body)
	require.EqualValues(t, 5, out["type"], "deferred: the answer comes within 15 minutes")
	return id, token
}

// say is a message in a channel, as the gateway records it.
func (f *flow) say(t *testing.T, user, channel, content string, mentions ...string) {
	t.Helper()
	id := f.nextID()
	var ms []map[string]any
	for _, m := range mentions {
		ms = append(ms, map[string]any{"id": m, "username": "u" + m})
	}
	payload, _ := json.Marshal(map[string]any{"id": id, "channel_id": channel, "guild_id": f.guild, "type": 0, "content": content,
		"author": map[string]any{"id": user, "username": "u" + user}, "mentions": ms})
	ok, err := f.st.Receive(context.Background(), store.Inbound{Source: "discord", Key: "message:" + id, Payload: payload, ReceivedAt: time.Now()})
	require.NoError(t, err)
	require.True(t, ok)
	f.drain(t)
}

// click presses a review button on the card.
func (f *flow) click(t *testing.T, user string, bot bool, roles []string, action, draft, card string) map[string]any {
	t.Helper()
	return f.send(t, f.interaction(user, bot, roles, 3, map[string]any{"custom_id": "whybot:" + action + ":" + draft, "component_type": 2}, card))
}

// submit sends a filled form (modal) opened from the card.
func (f *flow) submit(t *testing.T, user string, roles []string, action, draft, card, input, value string) map[string]any {
	t.Helper()
	return f.send(t, f.interaction(user, false, roles, 5, map[string]any{"custom_id": "whybot:" + action + ":" + draft,
		"components": []map[string]any{{"type": 1, "components": []map[string]any{{"type": 4, "custom_id": input, "value": value}}}}}, card))
}

func (f *flow) interaction(user string, bot bool, roles []string, typ int, data map[string]any, card string) []byte {
	id := f.nextID()
	if roles == nil {
		roles = []string{}
	}
	b, _ := json.Marshal(map[string]any{"id": id, "application_id": discordfake.AppID, "type": typ, "token": "tok-" + id, "guild_id": f.guild, "channel_id": review,
		"member":  map[string]any{"user": map[string]any{"id": user, "username": "u" + user, "bot": bot}, "roles": roles},
		"message": map[string]any{"id": card, "channel_id": review}, "data": data})
	return b
}

// pending runs the conversation up to a draft in the review channel: the thread, the card
// and the draft.
func (f *flow) pending(t *testing.T) (thread string, card discordfake.Message, d store.Draft) {
	t.Helper()
	f.why(t, anna, "perché i lead sono aumentati del 30%?")
	f.drain(t)
	original := f.fake.Messages(asked)
	require.NotEmpty(t, original)
	thread = original[len(original)-1].ID
	f.say(t, giulia, thread, "solo il 40% è in target")
	f.say(t, anna, thread, "rispondi comunque")
	cards := f.fake.Messages(review)
	require.NotEmpty(t, cards)
	card = cards[len(cards)-1]
	drafts, err := f.st.Drafts(context.Background(), "meccanica_rossi", store.DraftPending)
	require.NoError(t, err)
	require.Len(t, drafts, 1)
	return thread, card, drafts[0]
}

func jsonOf(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestConversationInDiscord(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		f := newFlow(t, be)
		ctx := context.Background()

		// /why: the deferred answer becomes the question, and a thread is made from it
		_, token := f.why(t, anna, "perché i lead sono aumentati del 30%?")
		f.drain(t)
		asks := f.fake.Messages(asked)
		require.Len(t, asks, 1)
		require.Equal(t, "<@"+anna+"> ha chiesto: perché i lead sono aumentati del 30%?", asks[0].Content())
		require.Len(t, f.fake.Calls("PATCH /webhooks/"+discordfake.AppID+"/"+token+"/messages/@original"), 1)
		thread := asks[0].ID
		require.Equal(t, asked, f.fake.Thread(thread), "a thread made from the question")

		// clarifying questions in the thread, pinging exactly the people who hold the facts
		msgs := f.fake.Messages(thread)
		require.Len(t, msgs, 1)
		require.Contains(t, msgs[0].Content(), "Prima di rispondere mi servono alcune informazioni:")
		require.Contains(t, msgs[0].Content(), "<@"+giulia+">", "marketing is asked about lead quality")
		require.Contains(t, msgs[0].Content(), "<@"+marco+">", "sales is asked about follow-up")
		allowed := msgs[0].Body["allowed_mentions"].(map[string]any)
		require.Empty(t, allowed["parse"], "no @everyone, no roles")
		require.Subset(t, allowed["users"], []any{giulia, marco})
		for _, u := range allowed["users"].([]any) {
			require.Contains(t, msgs[0].Content(), "<@"+u.(string)+">", "only the people asked are pinged")
		}

		// chatter elsewhere, bots and strangers
		f.say(t, marco, asked, "pranzo?")
		require.Len(t, f.fake.Messages(asked), 1, "chatter that is not for the bot gets nothing")
		f.say(t, "1000000000000000099", thread, "sono tutti qualificati")
		msgs = f.fake.Messages(thread)
		require.Len(t, msgs, 2)
		require.Contains(t, msgs[1].Content(), `discord: "1000000000000000099"`, "a stranger is told how to be added")

		// without the Message Content intent an answer arrives empty: the thread is told once
		f.say(t, marco, thread, "")
		f.say(t, marco, thread, "")
		msgs = f.fake.Messages(thread)
		require.Len(t, msgs, 3)
		require.Contains(t, msgs[2].Content(), "<@"+discordfake.BotUser+">")

		// marketing answers; the owner asks for an answer anyway
		f.say(t, giulia, thread, "solo il 40% è in target")
		facts, err := f.st.Facts(ctx, "meccanica_rossi", "discord-"+thread)
		require.NoError(t, err)
		require.NotEmpty(t, facts)
		require.Equal(t, "giulia", facts[0].By)
		f.say(t, anna, thread, "<@"+discordfake.BotUser+"> rispondi comunque", discordfake.BotUser)
		msgs = f.fake.Messages(thread)
		require.Contains(t, msgs[len(msgs)-1].Content(), "Una bozza di risposta attende l'approvazione")

		// the review card: embed with question, draft, rules and evidence, and the buttons
		cards := f.fake.Messages(review)
		require.Len(t, cards, 1)
		drafts, err := f.st.Drafts(ctx, "meccanica_rossi", store.DraftPending)
		require.NoError(t, err)
		require.Len(t, drafts, 1)
		d := drafts[0]
		card := jsonOf(cards[0].Body)
		for _, want := range []string{"Bozza di risposta da approvare", "Domanda di \\u003c@" + anna, "lead_quality_low", "Regole scattate",
			"letto come il 40% — da", "Che cosa è stato letto dalle risposte",
			"https://discord.com/channels/" + guild + "/" + thread, `"custom_id":"whybot:approve:` + d.ID, `"custom_id":"whybot:edit:` + d.ID, `"custom_id":"whybot:reject:` + d.ID} {
			require.Contains(t, card, want)
		}
		require.JSONEq(t, `{"parse":[],"replied_user":false}`, jsonOf(cards[0].Body["allowed_mentions"]), "the card pings nobody")
		for _, m := range f.fake.Messages(thread) {
			require.NotContains(t, rendered(m.Content()), d.Text[:40], "the draft is not in the thread before approval")
		}

		// a non-reviewer and a bot are refused, ephemerally, and nothing is queued
		out := f.click(t, giulia, false, nil, "approve", d.ID, cards[0].ID)
		require.EqualValues(t, 4, out["type"])
		require.EqualValues(t, 64, out["data"].(map[string]any)["flags"])
		out = f.click(t, zapier, true, nil, "approve", d.ID, cards[0].ID)
		require.Contains(t, out["data"].(map[string]any)["content"], "Un bot")
		f.drain(t)
		cur, err := f.st.Draft(ctx, "meccanica_rossi", d.ID)
		require.NoError(t, err)
		require.Equal(t, store.DraftPending, cur.State)

		// Approve, delivered twice by Discord: deferred, decided once
		body := f.interaction(luca, false, nil, 3, map[string]any{"custom_id": "whybot:approve:" + d.ID, "component_type": 2}, cards[0].ID)
		require.EqualValues(t, 6, f.send(t, body)["type"])
		require.EqualValues(t, 6, f.send(t, body)["type"])
		f.drain(t)
		before := len(f.fake.Messages(thread))
		n, err := f.eng.DeliverPending(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		msgs = f.fake.Messages(thread)
		require.Equal(t, d.Text, answerIn(msgs[before:]), "the approved answer, in the thread, as Discord shows it")
		for _, part := range msgs[before:] {
			require.Equal(t, true, part.Body["enforce_nonce"])
			require.Len(t, part.Body["nonce"], 25)
			require.JSONEq(t, `{"parse":[],"replied_user":false}`, jsonOf(part.Body["allowed_mentions"]))
		}
		cards = f.fake.Messages(review)
		require.Equal(t, 1, cards[0].Edits, "the card is edited once")
		card = jsonOf(cards[0].Body)
		require.Contains(t, card, "Approvata da \\u003c@"+luca+"\\u003e \\u003ct:")
		require.Contains(t, card, `"components":[]`, "no buttons once decided")

		// a late click is told who decided; nothing new is posted
		f.click(t, sara, false, nil, "approve", d.ID, cards[0].ID)
		f.drain(t)
		_, err = f.eng.DeliverPending(ctx)
		require.NoError(t, err)
		require.Len(t, f.fake.Messages(thread), len(msgs))
		var told []discordfake.Message
		for _, c := range f.fake.Calls("POST /webhooks/") {
			if strings.Contains(jsonOf(c.Body), "già stata approvata da \\u003c@"+luca) {
				told = append(told, discordfake.Message{Body: c.Body})
			}
		}
		require.Len(t, told, 1)
		require.EqualValues(t, 64, told[0].Body["flags"])
	})
}

func TestEditAndRejectInDiscord(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		f := newFlow(t, be)
		ctx := context.Background()
		thread, card, d := f.pending(t)

		// Edit: the form holds the draft; submitting approves the edited text
		out := f.click(t, luca, false, nil, "edit", d.ID, card.ID)
		require.EqualValues(t, 9, out["type"])
		require.Contains(t, jsonOf(out), jsonOf(d.Text)[1:40])
		require.EqualValues(t, 6, f.submit(t, luca, nil, "edit", d.ID, card.ID, "text", "Testo corretto dal revisore.")["type"])
		f.drain(t)
		_, err := f.eng.DeliverPending(ctx)
		require.NoError(t, err)
		msgs := f.fake.Messages(thread)
		require.Equal(t, "Testo corretto dal revisore.", msgs[len(msgs)-1].Content())
		cur, err := f.st.Draft(ctx, "meccanica_rossi", d.ID)
		require.NoError(t, err)
		require.True(t, cur.Edited)
		require.Contains(t, jsonOf(f.fake.Messages(review)[0].Body), "Testo approvato (modificato dal revisore)")

		// Reject, by a member of the reviewer role: the asker is told it was declined; the
		// reason stays on the card
		thread2, card2, d2 := f.pending(t)
		out = f.click(t, "1000000000000000077", false, []string{roleRev}, "reject", d2.ID, card2.ID)
		require.EqualValues(t, 9, out["type"], "the reviewer role may act")
		require.EqualValues(t, 6, f.submit(t, "1000000000000000077", []string{roleRev}, "reject", d2.ID, card2.ID, "reason", "i numeri di ottobre non sono definitivi")["type"])
		f.drain(t)
		cur, err = f.st.Draft(ctx, "meccanica_rossi", d2.ID)
		require.NoError(t, err)
		require.Equal(t, store.DraftRejected, cur.State)
		require.Equal(t, record.Actor("discord:1000000000000000077"), cur.DecidedBy)
		msgs = f.fake.Messages(thread2)
		declined := msgs[len(msgs)-1]
		require.Contains(t, declined.Content(), "<@"+anna+">")
		require.NotContains(t, declined.Content(), "ottobre", "the reason is not told in the thread")
		require.NotContains(t, rendered(declined.Content()), d2.Text[:40])
		var cardNow discordfake.Message
		for _, m := range f.fake.Messages(review) {
			if m.ID == card2.ID {
				cardNow = m
			}
		}
		require.Contains(t, jsonOf(cardNow.Body), "Rifiutata da \\u003c@1000000000000000077\\u003e")
		require.Contains(t, jsonOf(cardNow.Body), "i numeri di ottobre non sono definitivi")
		_, err = f.eng.DeliverPending(ctx)
		require.NoError(t, err)
		require.Len(t, f.fake.Messages(thread2), len(msgs), "nothing posted for a rejected draft")
	})
}

func TestConcurrentApprovalsPostOnce(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		f := newFlow(t, be)
		ctx := context.Background()
		thread, card, d := f.pending(t)
		before := len(f.fake.Messages(thread))

		// two reviewers click at the same moment; two workers (replicas) handle the clicks
		var wg sync.WaitGroup
		for _, who := range []string{luca, sara, luca, sara} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				f.click(t, who, false, nil, "approve", d.ID, card.ID)
			}()
		}
		wg.Wait()
		second := &discord.Worker{Worker: chat.Worker{Store: f.st, Engine: f.eng, Log: slog.New(slog.DiscardHandler)}, API: f.api, BotUser: discordfake.BotUser}
		errs := make(chan error, 4)
		for _, w := range []*discord.Worker{f.worker, second} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := w.Drain(ctx)
				errs <- err
				_, err = f.eng.DeliverPending(ctx)
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		msgs := f.fake.Messages(thread)
		require.Equal(t, d.Text, answerIn(msgs[before:]), "one post (in parts when longer than a message), nothing twice")
		cur, err := f.st.Draft(ctx, "meccanica_rossi", d.ID)
		require.NoError(t, err)
		require.Equal(t, store.DraftPosted, cur.State)
	})
}

func TestRateLimitHonoured(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		f := newFlow(t, be)
		ctx := context.Background()
		thread, card, d := f.pending(t)
		f.click(t, luca, false, nil, "approve", d.ID, card.ID)
		f.drain(t)
		f.fake.Limit("POST", "/channels/"+thread+"/messages", 1, 0.4)
		before := len(f.fake.Calls("POST /channels/" + thread + "/messages"))
		n, err := f.eng.DeliverPending(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		calls := f.fake.Calls("POST /channels/" + thread + "/messages")
		require.Greater(t, len(calls), before+1, "refused once, then sent")
		limited, retried := calls[before], calls[before+1] // an answer longer than a message goes in parts after it
		require.GreaterOrEqual(t, retried.At.Sub(limited.At), 400*time.Millisecond, "waited retry_after before trying again")
		var answers int
		for _, m := range f.fake.Messages(thread) {
			if strings.HasPrefix(rendered(m.Content()), d.Text[:40]) { // the answer's first part
				answers++
			}
		}
		require.Equal(t, 1, answers, "posted once")
	})
}

func TestLongAnswerInParts(t *testing.T) {
	t.Parallel()
	f := newFlow(t, storetest.Backends()[0])
	p := &discord.Poster{API: f.api}
	long := strings.Repeat("Una frase di prova sui lead. ", 150) // ~4,350 characters
	ref, err := p.Post(context.Background(), conversation.Post{Channel: "6000000000000000001", Text: long, IdempotencyKey: "k1"})
	require.NoError(t, err)
	msgs := f.fake.Messages("6000000000000000001")
	require.Len(t, msgs, 3)
	require.Equal(t, "6000000000000000001/"+msgs[0].ID, ref)
	var joined []string
	for _, m := range msgs {
		require.LessOrEqual(t, len([]rune(m.Content())), 2000)
		joined = append(joined, m.Content())
	}
	require.Equal(t, strings.Join(strings.Fields(long), " "), strings.Join(strings.Fields(strings.Join(joined, " ")), " "))
	// the same post again (a replica that died before recording it): Discord drops it by nonce
	_, err = p.Post(context.Background(), conversation.Post{Channel: "6000000000000000001", Text: long, IdempotencyKey: "k1"})
	require.NoError(t, err)
	require.Len(t, f.fake.Messages("6000000000000000001"), 3)
	require.Len(t, f.fake.Calls("POST /channels/6000000000000000001/messages"), 6)

}

// rendered is a message's text as Discord shows it: a backslash before punctuation is
// hidden, and so is a zero-width space.
func rendered(s string) string {
	s = regexp.MustCompile(`\\([[:punct:]])`).ReplaceAllString(s, "$1")
	return strings.ReplaceAll(s, "\u200b", "")
}

// What a reviewer approved is posted as the card showed it: a masked link, a heading or an
// @everyone stays text, and allowed_mentions pings nobody.
func TestAnswerIsInertText(t *testing.T) {
	t.Parallel()
	f := newFlow(t, storetest.Backends()[0])
	p := &discord.Poster{API: f.api}
	text := "@everyone read [the updated playbook](https://evil.example/login) # now <@&4000000000000000001>"
	_, err := p.Post(context.Background(), conversation.Post{Channel: "6000000000000000002", Text: text, IdempotencyKey: "k2"})
	require.NoError(t, err)
	m := f.fake.Messages("6000000000000000002")[0]
	require.Equal(t, `@​everyone read \[the updated playbook\]\(https\://evil.example/login\) \# now \<@​&4000000000000000001\>`, m.Content())
	mentions, _ := json.Marshal(m.Body["allowed_mentions"])
	require.JSONEq(t, `{"parse":[],"replied_user":false}`, string(mentions))
}

func TestDirectMessagesAndReminders(t *testing.T) {
	t.Parallel()
	f := newFlow(t, storetest.Backends()[0])
	ctx := context.Background()
	const dm = "8000000000000000001"
	dmSay := func(user, text string) {
		id := f.nextID()
		payload, _ := json.Marshal(map[string]any{"id": id, "channel_id": dm, "type": 0, "content": text, "author": map[string]any{"id": user, "username": "u"}})
		_, err := f.st.Receive(ctx, store.Inbound{Source: "discord", Key: "message:" + id, Payload: payload, ReceivedAt: time.Now()})
		require.NoError(t, err)
		f.drain(t)
	}
	// a direct message is a question without a mention; the conversation stays in the DM
	dmSay(anna, "why did CAC rise?")
	msgs := f.fake.Messages(dm)
	require.Len(t, msgs, 1)
	th, err := f.st.Thread(ctx, "meccanica_rossi", "discord-dm-"+dm)
	require.NoError(t, err)
	require.Equal(t, dm, th.Channel)
	require.Empty(t, f.fake.Calls("POST /channels/"+dm+"/messages/"), "no thread in a direct message")

	// reminders go to the review channel and ping the reviewers named
	n := &chat.Notifier{Store: f.st, Reviews: discord.ReviewChannels(f.api, "", nil)}
	require.NoError(t, n.Remind(ctx, "meccanica_rossi", "Reminder: draft d1 waits. @luca @sara <@&everyone>", []string{"luca", "sara"}))
	cards := f.fake.Messages(review)
	require.Len(t, cards, 1)
	require.Contains(t, cards[0].Content(), "<@"+luca+"> <@"+sara+">")
	require.NotContains(t, cards[0].Content(), "<@&", "untrusted text cannot ping a role")
	require.ElementsMatch(t, []any{luca, sara}, cards[0].Body["allowed_mentions"].(map[string]any)["users"])

	// a reminder of a question someone will answer later goes in the question's thread
	require.NoError(t, n.RemindInThread(ctx, "meccanica_rossi", dm, "Reminder for @marco: you said you would let us know.", []string{"marco"}))
	msgs = f.fake.Messages(dm)
	require.Len(t, msgs, 2)
	require.Contains(t, msgs[1].Content(), "Reminder for <@"+marco+">")
	require.ElementsMatch(t, []any{marco}, msgs[1].Body["allowed_mentions"].(map[string]any)["users"])
}

// TestTwoServers serves two companies: each server's questions use its own profile and go
// to its own review channel, and nobody acts on the other server's drafts.
func TestTwoServers(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		ctx := context.Background()
		f := newFlow(t, be)
		const guildB, reviewB = "2000000000000000002", "3000000000000000002"
		storetest.SeedSample(t, f.st, "company: Meccanica Rossi S.r.l.", "company: Forno Bianchi", "workspace: meccanica_rossi", "workspace: forno_bianchi",
			`guild: "`+guild+`"`, `guild: "`+guildB+`"`, `review_channel: "`+review+`"`, `review_channel: "`+reviewB+`"`)

		_, cardA, dA := f.pending(t)
		f.guild = guildB // the same people, in the other company's server
		f.why(t, anna, "perché i lead sono aumentati del 30%?")
		f.drain(t)
		asks := f.fake.Messages(asked)
		threadB := asks[len(asks)-1].ID
		f.say(t, giulia, threadB, "solo il 40% è in target")
		f.say(t, anna, threadB, "rispondi comunque")
		cardsB := f.fake.Messages(reviewB)
		require.Len(t, cardsB, 1, "server B's draft goes to server B's review channel")
		require.Contains(t, jsonOf(cardsB[0].Body), "Forno Bianchi")
		require.NotContains(t, jsonOf(cardsB[0].Body), "Meccanica Rossi")
		require.Len(t, f.fake.Messages(review), 1, "server A's review channel has only A's card")

		// a click on A's draft coming from server B changes nothing
		out := f.click(t, luca, false, nil, "edit", dA.ID, cardA.ID)
		require.EqualValues(t, 4, out["type"], "an ephemeral answer, not a form")
		require.EqualValues(t, 64, out["data"].(map[string]any)["flags"])
		f.click(t, luca, false, nil, "approve", dA.ID, cardA.ID)
		f.drain(t)
		cur, err := f.st.Draft(ctx, "meccanica_rossi", dA.ID)
		require.NoError(t, err)
		require.Equal(t, store.DraftPending, cur.State)
	})
}

// answerIn is an answer as Discord shows it, from the messages it was posted in: an answer
// longer than a message is sent in parts, cut between paragraphs.
func answerIn(msgs []discordfake.Message) string {
	parts := make([]string, len(msgs))
	for i, m := range msgs {
		parts[i] = rendered(m.Content())
	}
	return strings.Join(parts, "\n\n")
}

// An answer about a trend carries its chart: a PNG attachment after the text, its alt
// text as the attachment's description, sent once.
func TestAnswerWithChart(t *testing.T) {
	t.Parallel()
	f := newFlow(t, storetest.Backends()[0])
	p := &discord.Poster{API: f.api}
	pic := &conversation.Picture{Name: "leads.png", Alt: "Grafico: Lead da 2025-10 a 2026-10; ultimo valore 78.", PNG: []byte("\x89PNG fake")}
	post := conversation.Post{Channel: "6000000000000000001", Text: "I lead sono saliti.", IdempotencyKey: "k-chart", Picture: pic}
	_, err := p.Post(context.Background(), post)
	require.NoError(t, err)
	msgs := f.fake.Messages("6000000000000000001")
	require.Len(t, msgs, 2, "the text, then the chart")
	require.Equal(t, "I lead sono saliti.", msgs[0].Content())
	require.Len(t, msgs[1].Files, 1)
	require.Equal(t, "leads.png", msgs[1].Files[0].Name)
	require.Equal(t, pic.PNG, msgs[1].Files[0].Bytes)
	att, _ := msgs[1].Body["attachments"].([]any)
	require.Len(t, att, 1)
	require.Equal(t, pic.Alt, att[0].(map[string]any)["description"], "the alt text")
	_, err = p.Post(context.Background(), post)
	require.NoError(t, err)
	require.Len(t, f.fake.Messages("6000000000000000001"), 2, "sent again, dropped by nonce")
}

// An owner adds a person from Discord: stored with who added them, known on the next
// message; someone who is neither owner nor reviewer may not.
func TestJoinFromDiscord(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		f := newFlow(t, be)
		const sara = "2000000000000000042"
		bot := "<@" + discordfake.BotUser + ">"
		f.say(t, giulia, asked, bot+" aggiungi <@"+sara+"> come commerciale", discordfake.BotUser, sara)
		msgs := f.fake.Messages(asked)
		require.Contains(t, msgs[len(msgs)-1].Content(), "Solo il titolare o un revisore")
		f.say(t, anna, asked, bot+" aggiungi <@"+sara+"> come commerciale", discordfake.BotUser, sara)
		msgs = f.fake.Messages(asked)
		require.Contains(t, msgs[len(msgs)-1].Content(), "come commerciale.")
		people, err := f.st.ChatPeople(context.Background(), "meccanica_rossi")
		require.NoError(t, err)
		require.Len(t, people, 1)
		require.Equal(t, sara, people[0].Discord)
		require.Equal(t, "sales", people[0].Role)
		require.Equal(t, "anna", people[0].AddedBy)
		f.say(t, sara, asked, bot+" persone", discordfake.BotUser)
		msgs = f.fake.Messages(asked)
		require.Contains(t, msgs[len(msgs)-1].Content(), "aggiunta in chat da anna", "she is known now and may list the team")
		f.why(t, anna, "persone")
		f.drain(t)
		msgs = f.fake.Messages(asked)
		require.Contains(t, msgs[len(msgs)-1].Content(), "Persone di Meccanica Rossi S.r.l.:", "/why persone lists the team")
	})
}
