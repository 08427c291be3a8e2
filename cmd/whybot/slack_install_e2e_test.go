package main_test

import (
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/slack"
	"github.com/whybot/whybot/bot/slack/slackfake"
	"github.com/whybot/whybot/knowledge/sample"
)

// consoleClient is a browser for the console over plain HTTP: it keeps the cookies by hand
// (they are Secure) and does not follow redirects.
type consoleClient struct {
	t       *testing.T
	base    string
	cookies map[string]string
	http    *http.Client
}

func (c *consoleClient) do(method, path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.base+path, body)
	require.NoError(c.t, err)
	if form != nil {
		req.Header.Set("Content-Type", ctForm)
	}
	req.Header.Set("Accept-Language", "en")
	for k, v := range c.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := c.http.Do(req)
	require.NoError(c.t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if ck.MaxAge < 0 {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck.Value
		}
	}
	return resp, string(b)
}

// serve with SLACK_CLIENT_ID and no SLACK_BOT_TOKEN: a reviewer installs the app from the
// console (OAuth v2 against the fake's oauth.v2.access), and the team's messages are then
// answered with the token its install gave.
func TestServeSlackInstall(t *testing.T) {
	t.Parallel()
	fake := slackfake.New(t)
	dir := t.TempDir()
	ws := filepath.Join(dir, "rossi")
	_, _, err := sample.Write(ws)
	require.NoError(t, err)
	db := filepath.Join(dir, "w.db")
	addr, web := freeAddr(t), freeAddr(t)
	env := []string{"DATABASE_URL=", "SLACK_BOT_TOKEN=", "SLACK_APP_TOKEN=", "SLACK_API_URL=" + fake.URL(), "SLACK_CLIENT_ID=" + slackfake.ClientID,
		"SLACK_CLIENT_SECRET=" + slackfake.ClientSecret, "SLACK_SIGNING_SECRET=" + signingSecret, "SLACK_LISTEN=" + addr,
		"WHYBOT_PUBLIC_URL=https://whybot.example.com", "WHYBOT_SECRET_KEY=k1:QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="}
	out := started(t, env, "serve", "--db", db, "--workspace", ws, "--web", web, "--poll", "100ms")
	require.Eventually(t, func() bool { return out.Contains("web console on http://"+web) && out.Contains("Slack over HTTP") }, 20*time.Second, 50*time.Millisecond, out.String())
	_, stderr, code := runIn(t, "a-long-enough-password\n", env, "user", "add", "luca", "--db", db, "--all", "--password-stdin")
	require.Zero(t, code, stderr)

	c := &consoleClient{t: t, base: "http://" + web, cookies: map[string]string{}, http: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	_, page := c.do("GET", "/login", nil)
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)[1]
	resp, _ := c.do("POST", "/login", url.Values{"csrf": {csrf}, "name": {"luca"}, "password": {"a-long-enough-password"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	_, page = c.do("GET", "/slack", nil)
	require.Contains(t, page, "No Slack workspace has installed whybot yet.")
	resp, _ = c.do("GET", slack.InstallPath, nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	consent, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "https://whybot.example.com/slack/oauth/callback", consent.Query().Get("redirect_uri"))
	fake.Grant("code-1", slackfake.Grant{Team: "T0ROSSI", TeamName: "Rossi", Token: "xoxb-rossi-77", BotUser: "UBOT", Installer: "U0LUCA",
		RedirectURI: "https://whybot.example.com/slack/oauth/callback"})
	resp, _ = c.do("GET", slack.CallbackPath+"?"+url.Values{"code": {"code-1"}, "state": {consent.Query().Get("state")}}.Encode(), nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, out.String())
	_, page = c.do("GET", resp.Header.Get("Location"), nil)
	require.Contains(t, page, "whybot is installed in the Slack workspace Rossi.")
	require.Contains(t, page, "connected")

	// the team's question is answered with its own token
	require.Equal(t, 200, signed(t, "http://"+addr, "/slack/events", "application/json", mentionEvent("Ev1", "U0ANNA", "1700000200.000001", "", "<@UBOT> perché i lead sono aumentati del 30%?")))
	require.Eventually(t, func() bool { return len(fake.Posts("C1", "1700000200.000001")) == 1 }, 10*time.Second, 20*time.Millisecond, out.String())
	var tokens []string
	for _, call := range fake.Calls("chat.postMessage") {
		tokens = append(tokens, call.Token)
	}
	require.Equal(t, []string{"xoxb-rossi-77"}, tokens)
	require.NotContains(t, out.String(), "xoxb-rossi-77", "the token is never logged")
}
