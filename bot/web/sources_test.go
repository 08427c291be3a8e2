package web_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/bot/web"
	"github.com/whybot/whybot/knowledge/secret"
	"github.com/whybot/whybot/knowledge/source"
	"github.com/whybot/whybot/knowledge/source/pull"
	"github.com/whybot/whybot/knowledge/source/sourcetest"
	"github.com/whybot/whybot/knowledge/store/storetest"
)

type sourcesBundle struct {
	*bundle
	oauth *sourcetest.OAuth
	ga4   *sourcetest.GA4
	keys  *secret.Keyring
}

// setupSources serves the console with meccanica_rossi declaring a GA4 and a Meta source,
// a Google OAuth app pointed at a fake provider, and pulls against a fake GA4.
func setupSources(t *testing.T, be storetest.Backend) *sourcesBundle {
	t.Helper()
	st := be.Open(t)
	storetest.SeedSample(t, st, "workspace: meccanica_rossi", "workspace: meccanica_rossi\nsources:\n  - {name: ga4_web, kind: ga4, property: \"123456\", by: [channel], backfill_months: 3}\n  - {name: meta, kind: meta_ads, account: act_555}",
		"slack: U0ANNA", "slack: U0ANNA, web: sara")
	storetest.SeedSample(t, st, "workspace: meccanica_rossi", "workspace: "+bianchi, "company: Meccanica Rossi S.r.l.", "company: Forno Bianchi")
	now := addAccounts(t, st)
	ga4 := sourcetest.NewGA4(t, sourcetest.NewData())
	o := sourcetest.NewOAuth(t, ga4.Token)
	keys, err := secret.Parse(secret.NewKey("k1"))
	require.NoError(t, err)
	app := &oauth2.Config{ClientID: o.ClientID, ClientSecret: o.ClientSecret, Endpoint: oauth2.Endpoint{AuthURL: o.URL + "/authorize", TokenURL: o.TokenURL(), AuthStyle: oauth2.AuthStyleInParams}}
	log := slog.New(slog.DiscardHandler)
	p := &pull.Puller{Store: st, Keys: keys, Log: log, Now: func() time.Time { return time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC) }, Env: source.Env{Endpoints: map[string]string{"ga4": ga4.URL}, OAuth: map[string]*oauth2.Config{"google": app}}}
	clk := &clock{t: now}
	eng := conversation.New(st, conversation.WithLogger(log), conversation.WithAccounts(st), conversation.WithClock(clk.now))
	srv, err := web.New(web.Config{Store: st, Engine: eng, Log: log, Now: clk.now, SessionTTL: time.Hour,
		Sources: &web.Sources{Store: st, Keys: keys, OAuth: map[string]*oauth2.Config{"google": app}, Puller: p, PublicURL: "https://whybot.example.it"}})
	require.NoError(t, err)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &sourcesBundle{bundle: &bundle{st: st, srv: hs, clock: clk, engine: eng}, oauth: o, ga4: ga4, keys: keys}
}

// A reviewer connects GA4 from the console: the consent URL carries a state and a PKCE
// challenge, the callback is checked against the sealed cookie, the code is exchanged with
// the verifier, the refresh token is stored sealed, and the next pull signs in with it.
func TestConnectSourceByOAuth(t *testing.T) {
	t.Parallel()
	b := setupSources(t, storetest.Backends()[0])
	br := b.browser(t)
	require.Equal(t, http.StatusSeeOther, br.login("sara", saraPassword).StatusCode)
	resp, page := br.do("GET", "/w/"+rossi+"/sources", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, page, "ga4_web")
	require.Contains(t, page, "not pulled yet")
	require.Contains(t, page, "whybot source connect meta", "Meta has no OAuth app here: the command is named")
	require.Contains(t, page, `href="/w/`+rossi+`/sources/ga4_web/connect"`)

	resp, _ = br.do("GET", "/w/"+rossi+"/sources/ga4_web/connect", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	loc := resp.Header.Get("Location")
	require.True(t, strings.HasPrefix(loc, b.oauth.URL+"/authorize?"), loc)
	code, redirect, state := b.oauth.Authorize(t, loc)
	require.Equal(t, "https://whybot.example.it/oauth/callback", redirect)
	require.Contains(t, loc, url.QueryEscape("https://www.googleapis.com/auth/analytics.readonly"))

	// a forged state is refused, and nothing is stored
	resp, page = br.do("GET", "/oauth/callback?state=forged&code="+code, nil)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, page, "does not belong")
	_, ok, err := b.st.Credential(context.Background(), rossi, "ga4_web")
	require.NoError(t, err)
	require.False(t, ok)

	// the real answer, in a fresh flow
	resp, _ = br.do("GET", "/w/"+rossi+"/sources/ga4_web/connect", nil)
	code, _, state = b.oauth.Authorize(t, resp.Header.Get("Location"))
	resp, _ = br.do("GET", "/oauth/callback?state="+url.QueryEscape(state)+"&code="+code, nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "the verifier matched the challenge")
	require.Equal(t, "/w/"+rossi+"/sources?notice=connected:ga4_web", resp.Header.Get("Location"))
	c, ok, err := b.st.Credential(context.Background(), rossi, "ga4_web")
	require.NoError(t, err)
	require.True(t, ok)
	require.NotContains(t, c.Sealed, b.oauth.RefreshToken)
	plain, err := b.keys.Open(c.Sealed, rossi, "ga4_web")
	require.NoError(t, err)
	var cred source.Credential
	require.NoError(t, json.Unmarshal(plain, &cred))
	require.Equal(t, b.oauth.RefreshToken, cred.OAuth.RefreshToken)

	// the code cannot be used twice
	resp, _ = br.do("GET", "/oauth/callback?state="+url.QueryEscape(state)+"&code="+code, nil)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)

	// pull now, then the page shows the version
	_, page = br.do("GET", "/w/"+rossi+"/sources", nil)
	resp, page = br.do("POST", "/w/"+rossi+"/sources/ga4_web/pull", url.Values{"csrf": {csrfOf(t, page)}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, page)
	_, page = br.do("GET", "/w/"+rossi+"/sources", nil)
	require.Contains(t, page, "GA4 Data API v1beta, properties/123456:runReport")
	require.Equal(t, 3, b.ga4.Count(), "three months of backfill")

	// a draft on a pulled number says where it came from, to the reviewer too
	_, page = br.do("GET", "/w/"+rossi+"/chat", nil)
	resp, _ = br.do("POST", "/w/"+rossi+"/chat", url.Values{"csrf": {csrfOf(t, page)}, "as": {"anna"}, "text": {"quante sessioni a ottobre 2026?"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	thread := strings.TrimPrefix(resp.Header.Get("Location"), "/w/"+rossi+"/chat?thread=")
	_, page = br.do("GET", "/w/"+rossi+"/threads/"+thread, nil)
	m := regexp.MustCompile(`/w/` + rossi + `/drafts/(d_[a-z0-9]+)`).FindStringSubmatch(page)
	require.NotNil(t, m, "a draft went to review:\n%s", page)
	_, page = br.do("GET", m[0], nil)
	require.Contains(t, page, "Pulled from")
	require.Contains(t, page, "<strong>ga4_web</strong> (version 1): GA4 Data API v1beta, properties/123456:runReport, 2026-12-02")
	require.Contains(t, page, `<a href="/w/`+rossi+`/sources#source-ga4_web"><code class="src">source:ga4_web`, "each pulled number links to its source")

	// disconnect
	resp, _ = br.do("POST", "/w/"+rossi+"/sources/ga4_web/disconnect", url.Values{"csrf": {csrfOf(t, page)}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, ok, _ = b.st.Credential(context.Background(), rossi, "ga4_web")
	require.False(t, ok)
}

// Another account cannot see or connect a workspace's sources, nor finish a flow someone
// else started.
func TestSourcesAreTheWorkspacesOwn(t *testing.T) {
	t.Parallel()
	b := setupSources(t, storetest.Backends()[0])
	sara, bob := b.browser(t), b.browser(t)
	sara.login("sara", saraPassword)
	bob.login("bob", bobPassword)
	resp, _ := bob.do("GET", "/w/"+rossi+"/sources", nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = bob.do("GET", "/w/"+rossi+"/sources/ga4_web/connect", nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	resp, _ = sara.do("GET", "/w/"+rossi+"/sources/ga4_web/connect", nil)
	code, _, state := b.oauth.Authorize(t, resp.Header.Get("Location"))
	bob.cookies["whybot_oauth"] = sara.cookies["whybot_oauth"] // the cookie copied to another account
	resp, page := bob.do("GET", "/oauth/callback?state="+url.QueryEscape(state)+"&code="+code, nil)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, page, "another account")
	_, ok, _ := b.st.Credential(context.Background(), rossi, "ga4_web")
	require.False(t, ok)
}
