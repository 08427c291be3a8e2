package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/chat"
	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/bot/slack"
	"github.com/whybot/whybot/bot/slack/slackfake"
	keyring "github.com/whybot/whybot/knowledge/secret"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/storetest"
)

// teams is one Slack app installed in two client teams: Rossi's (its profile names the
// team) and Bianchi's (linked to its workspace by the install started for it).
type teams struct {
	st        store.Store
	fake      *slackfake.Server
	keys      *keyring.Keyring
	installer *slack.Installer
	worker    *slack.Worker
	poster    *slack.Poster
	n         int
}

func newTeams(t *testing.T, be storetest.Backend) *teams {
	t.Helper()
	st := be.Open(t)
	storetest.SeedSample(t, st)
	storetest.SeedSample(t, st, "workspace: meccanica_rossi", "workspace: bianchi", "company: Meccanica Rossi S.r.l.", "company: Bianchi Arredi S.r.l.",
		"  team: T0ROSSI\n", "", "review_channel: C0REVIEW", "review_channel: C0BREVIEW")
	keys, err := keyring.Parse(keyring.NewKey("k1"))
	require.NoError(t, err)
	x := &teams{st: st, fake: slackfake.New(t), keys: keys}
	x.installer = &slack.Installer{ClientID: slackfake.ClientID, ClientSecret: slackfake.ClientSecret, PublicURL: "https://whybot.example.com",
		APIURL: x.fake.URL(), Keys: keys, Store: st}
	tm := &slack.Teams{Store: st, Keys: keys, Config: slack.Config{APIURL: x.fake.URL()}}
	eng := conversation.New(st, conversation.WithLogger(slog.New(slog.DiscardHandler)), conversation.WithQueuedDelivery(nil))
	x.worker = &slack.Worker{Worker: chat.Worker{Store: st, Engine: eng, Log: slog.New(slog.DiscardHandler)}, Teams: tm}
	x.poster = &slack.Poster{Teams: tm}
	return x
}

// install runs the whole flow in a browser's place: start, Slack's consent (the fake's
// grant), the callback with the state and the cookie.
func (x *teams) install(t *testing.T, account, ws, team, token string) (store.SlackInstall, error) {
	t.Helper()
	cookie, state := x.start(t, account, ws)
	code := "code-" + team
	x.fake.Grant(code, slackfake.Grant{Team: team, TeamName: "Team " + team, Token: token, BotUser: "UBOT" + team, Installer: "U0ADMIN",
		RedirectURI: "https://whybot.example.com" + slack.CallbackPath})
	return x.callback(t, account, cookie, url.Values{"code": {code}, "state": {state}})
}

func (x *teams) start(t *testing.T, account, ws string) (*http.Cookie, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	require.NoError(t, x.installer.Start(rec, httptest.NewRequest("GET", slack.InstallPath, nil), account, ws))
	require.Equal(t, http.StatusSeeOther, rec.Code)
	loc, err := url.Parse(rec.Header().Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "slack.com", loc.Host)
	require.Equal(t, slackfake.ClientID, loc.Query().Get("client_id"))
	require.Contains(t, loc.Query().Get("scope"), "chat:write")
	require.Equal(t, "https://whybot.example.com/slack/oauth/callback", loc.Query().Get("redirect_uri"))
	cookies := rec.Result().Cookies()
	require.Len(t, cookies, 1)
	require.True(t, cookies[0].HttpOnly && cookies[0].Secure)
	return cookies[0], loc.Query().Get("state")
}

func (x *teams) callback(t *testing.T, account string, cookie *http.Cookie, q url.Values) (store.SlackInstall, error) {
	t.Helper()
	req := httptest.NewRequest("GET", slack.CallbackPath+"?"+q.Encode(), nil)
	if cookie != nil {
		req.AddCookie(cookie)
	}
	return x.installer.Finish(httptest.NewRecorder(), req, account)
}

func (x *teams) deliver(t *testing.T, payload map[string]any) {
	t.Helper()
	x.n++
	payload["event_id"] = fmt.Sprintf("Ev%d", x.n)
	b, err := json.Marshal(payload)
	require.NoError(t, err)
	ok, err := x.st.Receive(context.Background(), store.Inbound{Source: "slack", Key: fmt.Sprintf("event:Ev%d", x.n), Payload: b, ReceivedAt: time.Now()})
	require.NoError(t, err)
	require.True(t, ok)
	_, err = x.worker.Drain(context.Background())
	require.NoError(t, err)
}

func (x *teams) mention(t *testing.T, team, channel, ts string) {
	x.deliver(t, map[string]any{"type": "event_callback", "team_id": team, "event": map[string]any{"type": "app_mention", "user": "U0ANNA",
		"text": "<@UBOT> perché i lead sono aumentati del 30%?", "channel": channel, "ts": ts, "channel_type": "channel"}})
}

// tokensIn are the tokens of the calls about a channel.
func (x *teams) tokensIn(channel string) map[string]int {
	out := map[string]int{}
	for _, m := range []string{"chat.postMessage", "conversations.replies", "conversations.history", "users.info"} {
		for _, c := range x.fake.Calls(m) {
			if c.Form["channel"] == channel {
				out[c.Token]++
			}
		}
	}
	return out
}

func TestTwoTeamsEachWithItsOwnToken(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		x := newTeams(t, be)
		ctx := context.Background()
		rossi, err := x.install(t, "luca", "", "T0ROSSI", "xoxb-rossi-1")
		require.NoError(t, err)
		require.Empty(t, rossi.Workspace, "found by the profile's slack.team")
		bianchi, err := x.install(t, "luca", "bianchi", "T0BIANCHI", "xoxb-bianchi-1")
		require.NoError(t, err)
		require.Equal(t, "bianchi", bianchi.Workspace)
		require.NotContains(t, bianchi.Sealed, "xoxb-", "the token is stored sealed")
		require.Equal(t, "U0ADMIN", bianchi.InstalledBy)

		x.mention(t, "T0ROSSI", "C1", "100.000001")
		x.mention(t, "T0BIANCHI", "C9", "200.000001")
		require.Len(t, x.fake.Posts("C1", "100.000001"), 1, "Rossi's question is answered in its thread")
		require.Len(t, x.fake.Posts("C9", "200.000001"), 1, "Bianchi's too, found through its installation's link")
		require.Equal(t, map[string]int{"xoxb-rossi-1": len(x.fake.Posts("C1", ""))}, x.tokensIn("C1"), "Rossi's calls carry Rossi's token only")
		require.Equal(t, map[string]int{"xoxb-bianchi-1": len(x.fake.Posts("C9", ""))}, x.tokensIn("C9"), "Bianchi's calls carry Bianchi's token only")

		// an approved answer goes out with the token of the workspace's team
		pic := &conversation.Picture{Name: "leads.png", Alt: "Grafico: Lead da 2025-10 a 2026-10; ultimo valore 78.", PNG: []byte("\x89PNG fake bytes")}
		_, err = x.poster.Post(ctx, conversation.Post{Workspace: "bianchi", Channel: "C9/200.000001", Text: "ok", IdempotencyKey: "k-b", Picture: pic})
		require.NoError(t, err)
		ups := x.fake.Uploads()
		require.Len(t, ups, 1, "the chart goes with the answer")
		require.Equal(t, pic.PNG, ups[0].Bytes)
		require.Equal(t, pic.Alt, ups[0].Alt, "with its alt text")
		require.Equal(t, "C9", ups[0].Channel)
		require.Equal(t, "200.000001", ups[0].ThreadTS, "in the answer's thread")
		require.Equal(t, "xoxb-bianchi-1", ups[0].Token)
		x.fake.Fail("files.getUploadURLExternal", 1)
		_, err = x.poster.Post(ctx, conversation.Post{Workspace: "bianchi", Channel: "C9/200.000001", Text: "ok again", IdempotencyKey: "k-b3", Picture: pic})
		require.NoError(t, err, "a chart that cannot be shared does not hold the answer back")
		require.Len(t, x.fake.Uploads(), 1)
		_, err = x.poster.Post(ctx, conversation.Post{Workspace: "meccanica_rossi", Channel: "C1/100.000001", Text: "ok", IdempotencyKey: "k-r"})
		require.NoError(t, err)
		require.Equal(t, []string{"xoxb-rossi-1"}, keys(x.tokensIn("C1")))
		require.Equal(t, []string{"xoxb-bianchi-1"}, keys(x.tokensIn("C9")))

		// Bianchi removes the app: its token is deleted and nothing more goes there
		x.deliver(t, map[string]any{"type": "event_callback", "team_id": "T0BIANCHI", "event": map[string]any{"type": "app_uninstalled"}})
		gone, err := x.st.SlackInstall(ctx, "T0BIANCHI")
		require.NoError(t, err)
		require.Equal(t, store.InstallUninstalled, gone.State)
		require.Empty(t, gone.Sealed)
		before := len(x.fake.Posts("C9", ""))
		x.mention(t, "T0BIANCHI", "C9", "201.000001")
		require.Len(t, x.fake.Posts("C9", ""), before, "a team that removed the app gets nothing")
		_, err = x.poster.Post(ctx, conversation.Post{Workspace: "bianchi", Channel: "C9/200.000001", Text: "late", IdempotencyKey: "k-b2"})
		require.ErrorIs(t, err, slack.ErrNotInstalled)
		withSingle := &slack.Teams{Store: x.st, Keys: x.keys, Config: slack.Config{APIURL: x.fake.URL()}, Single: slack.NewAPI(slack.Config{BotToken: "xoxb-test", APIURL: x.fake.URL()}, nil)}
		_, err = withSingle.Client(ctx, "T0BIANCHI")
		require.ErrorIs(t, err, slack.ErrNotInstalled, "a team that removed the app never gets the single token either")

		// Rossi revokes the bot token
		x.deliver(t, map[string]any{"type": "event_callback", "team_id": "T0ROSSI", "event": map[string]any{"type": "tokens_revoked",
			"tokens": map[string]any{"bot": []string{"UBOTT0ROSSI"}}}})
		revoked, err := x.st.SlackInstall(ctx, "T0ROSSI")
		require.NoError(t, err)
		require.Equal(t, store.InstallRevoked, revoked.State)

		// installing again brings the team back, with its link
		again, err := x.install(t, "luca", "", "T0BIANCHI", "xoxb-bianchi-2")
		require.NoError(t, err)
		require.Equal(t, "bianchi", again.Workspace, "a reinstall keeps the link")
		x.mention(t, "T0BIANCHI", "C9", "202.000001")
		require.Len(t, x.fake.Posts("C9", "202.000001"), 1)
		require.Equal(t, "xoxb-bianchi-2", tokenOf(x.fake, "C9", "202.000001"), "the new token")
	})
}

func tokenOf(f *slackfake.Server, channel, ts string) string {
	for _, c := range f.Calls("chat.postMessage") {
		if c.Form["channel"] == channel && c.Form["thread_ts"] == ts {
			return c.Token
		}
	}
	return ""
}

func keys(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestInstallRefusals(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		x := newTeams(t, be)
		ctx := context.Background()
		reason := func(err error) string {
			var p *slack.InstallProblem
			require.ErrorAs(t, err, &p)
			return p.Reason
		}
		grant := func(code string) {
			x.fake.Grant(code, slackfake.Grant{Team: "T0EVIL", Token: "xoxb-evil", BotUser: "UB"})
		}

		cookie, _ := x.start(t, "luca", "bianchi")
		grant("c1")
		_, err := x.callback(t, "luca", cookie, url.Values{"code": {"c1"}, "state": {"forged"}})
		require.Equal(t, "forged", reason(err), "a state that is not the one started here")

		cookie, state := x.start(t, "luca", "bianchi")
		_, err = x.callback(t, "mallory", cookie, url.Values{"code": {"c1"}, "state": {state}})
		require.Equal(t, "other_account", reason(err), "the cookie copied to another account")

		_, err = x.callback(t, "luca", nil, url.Values{"code": {"c1"}, "state": {state}})
		require.Equal(t, "expired", reason(err), "no cookie: another browser")

		tampered := *cookie
		tampered.Value = cookie.Value[:len(cookie.Value)-4] + "AAAA"
		_, err = x.callback(t, "luca", &tampered, url.Values{"code": {"c1"}, "state": {state}})
		require.Equal(t, "forged", reason(err), "a cookie changed in the browser")

		_, err = x.callback(t, "luca", cookie, url.Values{"error": {"access_denied"}, "state": {state}})
		require.Equal(t, "denied", reason(err))

		_, err = x.callback(t, "luca", cookie, url.Values{"code": {"c1"}, "state": {state}})
		require.NoError(t, err)
		_, err = x.callback(t, "luca", cookie, url.Values{"code": {"c1"}, "state": {state}})
		require.Equal(t, "exchange", reason(err), "a code works once")

		old := x.installer.Now
		x.installer.Now = func() time.Time { return time.Now().Add(-11 * time.Minute) }
		cookie, state = x.start(t, "luca", "")
		x.installer.Now = old
		grant("c2")
		_, err = x.callback(t, "luca", cookie, url.Values{"code": {"c2"}, "state": {state}})
		require.Equal(t, "expired", reason(err), "a flow older than ten minutes")

		bad := *x.installer
		bad.ClientSecret = "wrong"
		x.installer = &bad
		cookie, state = x.start(t, "luca", "")
		_, err = x.callback(t, "luca", cookie, url.Values{"code": {"c2"}, "state": {state}})
		require.Equal(t, "exchange", reason(err))
		require.Contains(t, err.Error(), "bad_client_secret")

		all, err := x.st.SlackInstalls(ctx)
		require.NoError(t, err)
		require.Len(t, all, 1, "only the one good exchange stored anything")
		require.Equal(t, "T0EVIL", all[0].Team)
		require.False(t, strings.Contains(err2s(x.st.SlackInstalls(ctx)), "xoxb-evil"))
	})
}

func err2s(v []store.SlackInstall, _ error) string {
	b, _ := json.Marshal(v)
	return string(b)
}
