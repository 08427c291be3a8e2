package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/bot/web"
	"github.com/whybot/whybot/bot/web/auth"
	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/storetest"
)

const (
	saraPassword = "sara-correct-horse-42"
	bobPassword  = "bob-battery-staple-77"
	rossi        = "meccanica_rossi"
	bianchi      = "forno_bianchi"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type bundle struct {
	st     store.Store
	srv    *httptest.Server
	clock  *clock
	engine *conversation.Engine
}

// setup serves the console over two workspaces: sara may see meccanica_rossi (and speaks
// as each of its people in the chat), bob only forno_bianchi.
func setup(t testing.TB, b storetest.Backend) *bundle {
	t.Helper()
	return setupLinked(t, b, "slack: U0GIULIA", "slack: U0GIULIA, web: sara", "slack: U0MARCO", "slack: U0MARCO, web: sara",
		"slack: U0ANNA", "slack: U0ANNA, web: sara", "slack: U0LUCA", "slack: U0LUCA, web: sara")
}

// setupLinked is setup with meccanica_rossi's profile edited by replacements (old, new, …).
func setupLinked(t testing.TB, b storetest.Backend, rossiEdits ...string) *bundle {
	t.Helper()
	return setupConsole(t, b, nil, rossiEdits...)
}

// setupConsole is setupLinked with the console's configuration changed by edit.
func setupConsole(t testing.TB, b storetest.Backend, edit func(*web.Config), rossiEdits ...string) *bundle {
	t.Helper()
	st := b.Open(t)
	storetest.SeedSample(t, st, rossiEdits...)
	storetest.SeedSample(t, st, "workspace: meccanica_rossi", "workspace: "+bianchi, "company: Meccanica Rossi S.r.l.", "company: Forno Bianchi")
	now := addAccounts(t, st)
	clk := &clock{t: now}
	log := slog.New(slog.DiscardHandler)
	eng := conversation.New(st, conversation.WithLogger(log), conversation.WithAccounts(st), conversation.WithPoster("web", web.Poster{}), conversation.WithClock(clk.now))
	cfg := web.Config{Store: st, Engine: eng, Log: log, Now: clk.now, SessionTTL: time.Hour}
	if edit != nil {
		edit(&cfg)
	}
	srv, err := web.New(cfg)
	require.NoError(t, err)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &bundle{st: st, srv: hs, clock: clk, engine: eng}
}

// addAccounts adds sara (who may see meccanica_rossi) and bob (forno_bianchi).
func addAccounts(t testing.TB, st store.Store) time.Time {
	t.Helper()
	now := time.Now().UTC()
	for name, c := range map[string]struct {
		pw string
		ws []string
	}{"sara": {saraPassword, []string{rossi}}, "bob": {bobPassword, []string{bianchi}}} {
		h, err := auth.Hash(c.pw)
		require.NoError(t, err)
		require.NoError(t, st.PutAccount(context.Background(), store.Account{Name: name, PasswordHash: h, Workspaces: c.ws, CreatedAt: now, UpdatedAt: now}))
	}
	return now
}

// browser keeps cookies by hand: the console's cookies are Secure, which Go's cookie jar
// keeps off plain-HTTP test servers (browsers treat loopback as secure).
type browser struct {
	t       testing.TB
	base    string
	cookies map[string]string
	client  *http.Client
}

func (b *bundle) browser(t testing.TB) *browser {
	return &browser{t: t, base: b.srv.URL, cookies: map[string]string{}, client: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (br *browser) do(method, path string, form url.Values, hdr ...string) (*http.Response, string) {
	br.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, br.base+path, body)
	require.NoError(br.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept-Language", "en-GB,en;q=0.9") // the English pages, unless a test asks otherwise
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	for k, v := range br.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := br.client.Do(req)
	require.NoError(br.t, err)
	defer resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(br.cookies, c.Name)
		} else {
			br.cookies[c.Name] = c.Value
		}
	}
	b, err := io.ReadAll(resp.Body)
	require.NoError(br.t, err)
	return resp, string(b)
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t testing.TB, page string) string {
	t.Helper()
	m := csrfRe.FindStringSubmatch(page)
	require.NotNil(t, m, "no CSRF token in the page")
	return m[1]
}

func (br *browser) login(name, password string) *http.Response {
	br.t.Helper()
	_, page := br.do("GET", "/login", nil)
	resp, _ := br.do("POST", "/login", url.Values{"csrf": {csrfOf(br.t, page)}, "name": {name}, "password": {password}})
	return resp
}

// askForDraft runs a conversation in the chat until a draft waits: anna asks; giulia, marco and luca
// answer. It returns the thread and the draft.
func (br *browser) askForDraft(ws string) (thread, draft string) {
	br.t.Helper()
	_, page := br.do("GET", "/w/"+ws+"/chat", nil)
	resp, _ := br.do("POST", "/w/"+ws+"/chat", url.Values{"csrf": {csrfOf(br.t, page)}, "as": {"anna"}, "text": {"perché i lead sono aumentati del 30%?"}})
	require.Equal(br.t, http.StatusSeeOther, resp.StatusCode)
	loc := resp.Header.Get("Location")
	thread = strings.TrimPrefix(loc, "/w/"+ws+"/chat?thread=")
	_, page = br.do("GET", loc, nil)
	require.Contains(br.t, page, "giulia", "the bot asks marketing")
	for _, a := range []struct{ as, text string }{{"giulia", "solo il 40% è in target"}, {"marco", "ne abbiamo richiamati un quarto"}, {"luca", "sì, sono la stessa fonte: sistemiamo le UTM"}} {
		resp, _ = br.do("POST", "/w/"+ws+"/chat", url.Values{"csrf": {csrfOf(br.t, page)}, "thread": {thread}, "as": {a.as}, "text": {a.text}})
		require.Equal(br.t, http.StatusSeeOther, resp.StatusCode)
		_, page = br.do("GET", loc, nil)
	}
	require.Contains(br.t, page, `class="ev-review"`, "the asker sees the answer is in review")
	_, audit := br.do("GET", "/w/"+ws+"/threads/"+thread, nil)
	m := regexp.MustCompile(`/w/` + ws + `/drafts/(d_[a-z0-9]+)`).FindStringSubmatch(audit)
	require.NotNil(br.t, m, "a draft went to review:\n%s", audit)
	require.NotContains(br.t, page, m[1], "the chat does not show the unapproved draft")
	return thread, m[1]
}

func TestConsole(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		t.Run("SignInChatReviewAudit", func(t *testing.T) {
			t.Parallel()
			b := setup(t, be)
			br := b.browser(t)
			resp, _ := br.do("GET", "/inbox", nil)
			require.Equal(t, http.StatusSeeOther, resp.StatusCode)
			require.Equal(t, "/login?next=%2Finbox", resp.Header.Get("Location"))

			resp = br.login("sara", "wrong password!!")
			require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
			resp = br.login("Sara", saraPassword)
			require.Equal(t, http.StatusSeeOther, resp.StatusCode)
			require.Equal(t, "/inbox", resp.Header.Get("Location"))
			require.Contains(t, resp.Header.Get("Set-Cookie"), "HttpOnly")
			require.Contains(t, resp.Header.Get("Set-Cookie"), "Secure")
			require.Contains(t, resp.Header.Get("Set-Cookie"), "SameSite=Lax")
			resp, page := br.do("GET", "/inbox", nil)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.Contains(t, resp.Header.Get("Content-Security-Policy"), "script-src 'self'")
			require.Contains(t, page, "Nothing here")

			thread, draft := br.askForDraft(rossi)
			_, page = br.do("GET", "/inbox", nil)
			require.Contains(t, page, "/w/"+rossi+"/drafts/"+draft)
			require.Contains(t, page, "Low lead quality", "rules as words")
			require.Contains(t, page, "perché i lead sono aumentati del 30%?", "the question")
			require.Contains(t, page, `class="badge sev-`, "the severity")
			require.Contains(t, page, "anna")

			// edit: the changes are shown before anything is approved
			_, page = br.do("GET", "/w/"+rossi+"/drafts/"+draft, nil)
			require.Contains(t, page, "Rules fired")
			require.Contains(t, page, "giulia")
			require.Contains(t, page, "What was read from the answers")
			require.Contains(t, page, "(leads in target): read as 40% — from: &#34;solo il 40% è in target&#34; (rules)")
			require.Contains(t, page, "Written by the rules")
			require.Contains(t, page, "lead_quality_low", "the rule id beside its words")
			// the trend's chart, with its alt text, the same picture the chat platforms get
			require.Contains(t, page, `src="/w/`+rossi+`/drafts/`+draft+`/chart.png"`)
			require.Regexp(t, `alt="Chart: Leads from \d{4}-\d{2} to 2026-10; latest value 78`, page)
			resp, img := br.do("GET", "/w/"+rossi+"/drafts/"+draft+"/chart.png", nil)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.Equal(t, "image/png", resp.Header.Get("Content-Type"))
			require.True(t, strings.HasPrefix(img, "\x89PNG"))
			edited := "Ciao Anna <script>alert(1)</script>: i lead sono saliti del 30%, ma solo il 40% è in target."
			resp, page = br.do("POST", "/w/"+rossi+"/drafts/"+draft+"/edit", url.Values{"csrf": {csrfOf(t, page)}, "text": {edited}})
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.Contains(t, page, "<ins>")
			require.Contains(t, page, "&lt;script&gt;alert(1)&lt;/script&gt;", "escaped")
			require.NotContains(t, page, "<script>alert(1)")
			d, err := b.st.Draft(context.Background(), rossi, draft)
			require.NoError(t, err)
			require.Equal(t, store.DraftPending, d.State, "a preview changes nothing")

			require.Contains(t, page, `id="approve-edited"`)
			resp, _ = br.do("POST", "/w/"+rossi+"/drafts/"+draft+"/approve", url.Values{"csrf": {csrfOf(t, page)}, "text": {edited}, "confirm": {"yes"}})
			require.Equal(t, http.StatusSeeOther, resp.StatusCode)
			require.Equal(t, "/inbox?notice=posted_last%3A"+draft, resp.Header.Get("Location"), "no other draft: back to the inbox, saying what was done")
			d, err = b.st.Draft(context.Background(), rossi, draft)
			require.NoError(t, err)
			require.Equal(t, store.DraftPosted, d.State, "approved and posted to the chat thread")
			require.Equal(t, record.Actor("web:sara"), d.DecidedBy)
			require.True(t, d.Edited)
			require.Equal(t, edited, d.FinalText)

			_, page = br.do("GET", "/inbox?notice=posted_last%3A"+draft, nil)
			require.Contains(t, page, "Draft "+draft+" approved and posted. No other draft is waiting.")
			// after an edit the page shows the text that was approved first
			_, page = br.do("GET", "/w/"+rossi+"/drafts/"+draft, nil)
			require.Less(t, strings.Index(page, `id="final-text"`), strings.Index(page, "The draft before the edit"))
			require.Contains(t, page, "Ciao Anna &lt;script&gt;")
			// posted once: approving again changes nothing
			resp, _ = br.do("POST", "/w/"+rossi+"/drafts/"+draft+"/approve", url.Values{"csrf": {csrfOf(t, page)}, "confirm": {"yes"}})
			require.Equal(t, http.StatusSeeOther, resp.StatusCode)
			evs, err := b.st.Events(context.Background(), rossi, thread)
			require.NoError(t, err)
			posted := 0
			for _, e := range evs {
				if e.Kind == store.EventPosted {
					posted++
				}
			}
			require.Equal(t, 1, posted)

			_, page = br.do("GET", "/w/"+rossi+"/chat?thread="+thread, nil)
			require.Contains(t, page, `class="text final posted"`)
			require.Contains(t, page, `<img class="chart" src="/w/`+rossi+`/drafts/`+draft+`/chart.png"`, "the posted answer's chart, as Slack and Discord get it")
			require.Contains(t, page, "solo il 40% è in target.")
			require.NotContains(t, page, `{&#34;`, "no record data in the chat")
			require.NotContains(t, page, `"draft":`)
			_, page = br.do("GET", "/w/"+rossi+"/threads/"+thread, nil)
			require.Contains(t, page, "rule(s) evaluated", "rule evaluations are one line")
			require.NotContains(t, page, `{&#34;`, "the audit page shows no raw JSON")
			resp, body := br.do("GET", "/w/"+rossi+"/threads/"+thread+"/audit.json", nil)
			require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			var audit struct {
				Thread store.Thread  `json:"thread"`
				Events []store.Event `json:"events"`
				Drafts []store.Draft `json:"drafts"`
			}
			require.NoError(t, json.Unmarshal([]byte(body), &audit))
			kinds := map[store.EventKind]bool{}
			for _, e := range audit.Events {
				kinds[e.Kind] = true
			}
			for _, k := range []store.EventKind{store.EventQuestion, store.EventData, store.EventRule, store.EventQuestionAsked, store.EventAnswer, store.EventDraft, store.EventPosted} {
				require.True(t, kinds[k], "audit trail has %s", k)
			}
			require.Equal(t, record.Actor("web:sara"), audit.Drafts[len(audit.Drafts)-1].DecidedBy)

			// workspace page: KPIs with sparklines, the profile
			_, page = br.do("GET", "/w/"+rossi, nil)
			require.Contains(t, page, "<svg class=\"spark\"")
			require.Contains(t, page, "Meccanica Rossi")
			require.Contains(t, page, "giulia")
		})

		t.Run("ApprovedSlackDraftPostsToSlackOnce", func(t *testing.T) {
			t.Parallel()
			b := setup(t, be)
			ctx := context.Background()
			rec := &recorder{}
			eng := conversation.New(b.st, conversation.WithLogger(slog.New(slog.DiscardHandler)), conversation.WithAccounts(b.st),
				conversation.WithPoster("slack", rec), conversation.WithClock(b.clock.now))
			srv, err := web.New(web.Config{Store: b.st, Engine: eng, Log: slog.New(slog.DiscardHandler), Now: b.clock.now})
			require.NoError(t, err)
			hs := httptest.NewServer(srv)
			t.Cleanup(hs.Close)
			ws := storetest.SeedSample(t, b.st)
			r, err := eng.Ask(ctx, ws, conversation.Request{As: "anna", Text: "perché i lead sono aumentati del 30%? rispondi comunque", Transport: "slack", Channel: "C0SALES"})
			require.NoError(t, err)
			if r.Draft == nil {
				r, err = eng.Ask(ctx, ws, conversation.Request{ThreadID: r.Thread, As: "anna", Text: "rispondi comunque"})
				require.NoError(t, err)
			}
			require.NotNil(t, r.Draft)
			br := &browser{t: t, base: hs.URL, cookies: map[string]string{}, client: b.browser(t).client}
			require.Equal(t, http.StatusSeeOther, br.login("sara", saraPassword).StatusCode)
			_, page := br.do("GET", "/inbox", nil)
			require.Contains(t, page, "asked by anna on Slack")
			_, page = br.do("GET", "/w/"+rossi+"/drafts/"+r.Draft.ID, nil)
			resp, page := br.do("POST", "/w/"+rossi+"/drafts/"+r.Draft.ID+"/approve", url.Values{"csrf": {csrfOf(t, page)}})
			require.Equal(t, http.StatusOK, resp.StatusCode, "the first press asks for confirmation")
			require.Contains(t, page, `id="confirm-approve"`)
			require.Empty(t, rec.all(), "nothing posted before the confirmation")
			for range 2 {
				br.do("POST", "/w/"+rossi+"/drafts/"+r.Draft.ID+"/approve", url.Values{"csrf": {csrfOf(t, page)}, "confirm": {"yes"}})
			}
			posts := rec.all()
			require.Len(t, posts, 1, "posted once")
			require.Equal(t, "C0SALES", posts[0].Channel, "to the channel the question came from")
			require.Equal(t, record.Actor("web:sara"), posts[0].ApprovedBy)
		})

		t.Run("WorkspaceShowsProfileErrors", func(t *testing.T) {
			t.Parallel()
			b := setup(t, be)
			ws := storetest.SeedSample(t, b.st)
			br := b.browser(t)
			require.Equal(t, http.StatusSeeOther, br.login("sara", saraPassword).StatusCode)
			_, page := br.do("GET", "/w/"+rossi, nil)
			require.NotContains(t, page, "Problems in the profile")
			y, err := os.ReadFile(ws.Profile.File)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(ws.Profile.File, []byte(strings.Replace(string(y), "role: marketing", "role: wizard", 1)), 0o644))
			_, page = br.do("GET", "/w/"+rossi, nil)
			require.Contains(t, page, "Problems in the profile")
			require.Regexp(t, `company\.yaml:\d+`, page, "with the line")
			require.Contains(t, page, "wizard")
		})

		t.Run("PeopleAddedFromChatShown", func(t *testing.T) {
			t.Parallel()
			b := setup(t, be)
			now := b.clock.now()
			require.NoError(t, b.st.PutChatPerson(context.Background(), store.ChatPerson{Workspace: rossi, Handle: "chiara", Name: "Chiara Fontana", Role: "sales",
				Slack: "U0CHIARA", AddedBy: "anna", AddedAt: now, ChangedBy: "anna", ChangedAt: now}))
			require.NoError(t, b.st.PutChatPerson(context.Background(), store.ChatPerson{Workspace: rossi, Handle: "marco", Name: "Marco Altro", Role: "owner",
				Slack: "U0MARCO", AddedBy: "anna", AddedAt: now, ChangedBy: "anna", ChangedAt: now}))
			br := b.browser(t)
			require.Equal(t, http.StatusSeeOther, br.login("sara", saraPassword).StatusCode)
			_, page := br.do("GET", "/w/"+rossi, nil)
			require.Contains(t, page, "<td>chiara</td><td>Chiara Fontana</td><td>sales</td><td></td><td>chat, by anna,", "roles in words")
			require.NotContains(t, page, "Marco Altro", "company.yaml's marco wins")
			require.Contains(t, page, "Changes made from chat")
			require.Contains(t, page, "anna added chiara as sales")
		})

		t.Run("LanguageOfThePages", func(t *testing.T) {
			t.Parallel()
			b := setup(t, be)
			br := b.browser(t)
			_, page := br.do("GET", "/login", nil, "Accept-Language", "it-IT,it;q=0.9,en;q=0.5")
			require.Contains(t, page, `<html lang="it">`)
			require.Contains(t, page, "Accedi")
			require.Equal(t, http.StatusSeeOther, br.login("sara", saraPassword).StatusCode)
			resp, page := br.do("GET", "/inbox", nil, "Accept-Language", "it")
			require.Equal(t, "it", resp.Header.Get("Content-Language"))
			require.Contains(t, page, "<h1>Bozze da rivedere</h1>")
			require.Contains(t, page, "Niente da mostrare con questi filtri.")
			// the account's choice wins over the browser's, on every page after it
			resp, _ = br.do("POST", "/account/language", url.Values{"csrf": {csrfOf(t, page)}, "lang": {"it"}, "next": {"/inbox?state=posted"}})
			require.Equal(t, http.StatusSeeOther, resp.StatusCode)
			require.Equal(t, "/inbox?state=posted", resp.Header.Get("Location"))
			_, page = br.do("GET", "/inbox?state=posted", nil, "Accept-Language", "en")
			require.Contains(t, page, `<html lang="it">`)
			require.Contains(t, page, `<option value="posted" selected>pubblicata</option>`, "states as words")
			resp, _ = br.do("POST", "/account/language", url.Values{"csrf": {csrfOf(t, page)}, "lang": {"fr"}})
			require.Equal(t, http.StatusBadRequest, resp.StatusCode)
			resp, _ = br.do("POST", "/account/language", url.Values{"csrf": {csrfOf(t, page)}, "lang": {"en"}, "next": {"//evil.example/"}})
			require.Equal(t, "/inbox", resp.Header.Get("Location"), "only a path of the console")
			// a notice is only the catalogue's, with its argument as text
			_, page = br.do("GET", "/inbox?notice=posted_last:d_1", nil)
			require.Contains(t, page, "Draft d_1 approved and posted. No other draft is waiting.")
			_, page = br.do("GET", "/inbox?notice=hello:world", nil)
			require.NotContains(t, page, `<p class="notice"`, "an unknown notice shows nothing")
		})

		t.Run("RejectNeedsReason", func(t *testing.T) {
			t.Parallel()
			b := setup(t, be)
			br := b.browser(t)
			require.Equal(t, http.StatusSeeOther, br.login("sara", saraPassword).StatusCode)
			_, draft := br.askForDraft(rossi)
			_, page := br.do("GET", "/w/"+rossi+"/drafts/"+draft, nil)
			resp, page := br.do("POST", "/w/"+rossi+"/drafts/"+draft+"/reject", url.Values{"csrf": {csrfOf(t, page)}, "reason": {"  "}})
			require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
			require.Contains(t, page, "needs a reason")
			resp, _ = br.do("POST", "/w/"+rossi+"/drafts/"+draft+"/reject", url.Values{"csrf": {csrfOf(t, page)}, "reason": {"numbers are from last month"}})
			require.Equal(t, http.StatusSeeOther, resp.StatusCode)
			d, err := b.st.Draft(context.Background(), rossi, draft)
			require.NoError(t, err)
			require.Equal(t, store.DraftRejected, d.State)
			require.Equal(t, "numbers are from last month", d.Reason)
			_, page = br.do("GET", "/inbox?state=rejected", nil)
			require.Contains(t, page, draft)
		})

		t.Run("CSRF", func(t *testing.T) {
			t.Parallel()
			b := setup(t, be)
			br := b.browser(t)
			require.Equal(t, http.StatusSeeOther, br.login("sara", saraPassword).StatusCode)
			_, draft := br.askForDraft(rossi)
			_, page := br.do("GET", "/w/"+rossi+"/drafts/"+draft, nil)
			path := "/w/" + rossi + "/drafts/" + draft + "/approve"
			resp, _ := br.do("POST", path, url.Values{})
			require.Equal(t, http.StatusForbidden, resp.StatusCode, "no token")
			resp, _ = br.do("POST", path, url.Values{"csrf": {"forged"}})
			require.Equal(t, http.StatusForbidden, resp.StatusCode, "wrong token")
			resp, _ = br.do("POST", path, url.Values{"csrf": {csrfOf(t, page)}}, "Origin", "https://evil.example")
			require.Equal(t, http.StatusForbidden, resp.StatusCode, "another site")
			other := b.browser(t)
			require.Equal(t, http.StatusSeeOther, other.login("sara", saraPassword).StatusCode)
			resp, _ = other.do("POST", path, url.Values{"csrf": {csrfOf(t, page)}})
			require.Equal(t, http.StatusForbidden, resp.StatusCode, "another session's token")
			resp, _ = br.do("POST", "/logout", url.Values{})
			require.Equal(t, http.StatusForbidden, resp.StatusCode, "even sign-out needs the token")
			// a login form posted without its cookie is refused too
			fresh := b.browser(t)
			resp, _ = fresh.do("POST", "/login", url.Values{"csrf": {"x"}, "name": {"sara"}, "password": {saraPassword}})
			require.Equal(t, http.StatusForbidden, resp.StatusCode)
			d, err := b.st.Draft(context.Background(), rossi, draft)
			require.NoError(t, err)
			require.Equal(t, store.DraftPending, d.State, "nothing was approved")
		})

		t.Run("SessionExpiryAndSignOut", func(t *testing.T) {
			t.Parallel()
			b := setup(t, be)
			br := b.browser(t)
			require.Equal(t, http.StatusSeeOther, br.login("sara", saraPassword).StatusCode)
			resp, page := br.do("GET", "/inbox", nil)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			token := csrfOf(t, page)
			b.clock.add(61 * time.Minute)
			resp, _ = br.do("GET", "/inbox", nil)
			require.Equal(t, http.StatusSeeOther, resp.StatusCode, "expired: back to sign-in")
			resp, _ = br.do("POST", "/w/"+rossi+"/chat", url.Values{"csrf": {token}, "as": {"anna"}, "text": {"why?"}})
			require.Equal(t, http.StatusUnauthorized, resp.StatusCode)

			require.Equal(t, http.StatusSeeOther, br.login("sara", saraPassword).StatusCode)
			_, page = br.do("GET", "/inbox", nil)
			resp, _ = br.do("POST", "/logout", url.Values{"csrf": {csrfOf(t, page)}})
			require.Equal(t, http.StatusSeeOther, resp.StatusCode)
			resp, _ = br.do("GET", "/inbox", nil)
			require.Equal(t, http.StatusSeeOther, resp.StatusCode, "signed out")
		})

		t.Run("LockOut", func(t *testing.T) {
			t.Parallel()
			b := setup(t, be)
			br := b.browser(t)
			for range web.LockoutFailures {
				require.Equal(t, http.StatusUnauthorized, br.login("sara", "not the password").StatusCode)
			}
			require.Equal(t, http.StatusTooManyRequests, br.login("sara", saraPassword).StatusCode, "locked even with the right password")
			require.Equal(t, http.StatusSeeOther, b.browser(t).login("bob", bobPassword).StatusCode, "other accounts are not locked")
			b.clock.add(web.LockoutWindow + time.Second)
			require.Equal(t, http.StatusSeeOther, br.login("sara", saraPassword).StatusCode, "the lock ends with the window")
		})

		t.Run("InboxInPages", func(t *testing.T) {
			t.Parallel()
			b := setup(t, be)
			ctx := context.Background()
			for i := range store.DraftPage + 7 { // straight into the store: 57 pending drafts
				th := store.Thread{Workspace: rossi, ID: fmt.Sprintf("t%03d", i), Asker: "anna", Language: "it", Transport: store.TransportWeb, Channel: "web:x",
					State: store.ThreadPendingApproval, Intent: json.RawMessage(`{}`), CreatedAt: b.clock.now(), UpdatedAt: b.clock.now()}
				_, err := b.st.SaveTurn(ctx, store.Turn{Thread: th, New: true, Draft: &store.Draft{ID: fmt.Sprintf("d_page%03d", i), Text: "draft", Language: "it",
					Evidence: json.RawMessage(`{}`), CreatedAt: b.clock.now().Add(time.Duration(i) * time.Second)}})
				require.NoError(t, err)
			}
			sara := b.browser(t)
			require.Equal(t, http.StatusSeeOther, sara.login("sara", saraPassword).StatusCode)
			_, page := sara.do("GET", "/inbox", nil)
			require.Equal(t, store.DraftPage, strings.Count(page, `class="open question"`), "a page of 50")
			require.Contains(t, page, "d_page000")
			require.NotContains(t, page, "drafts/d_page050")
			next := regexp.MustCompile(`rel="next" href="([^"]+)"`).FindStringSubmatch(page)
			require.NotNil(t, next, "a link to the next page")
			_, page = sara.do("GET", html.UnescapeString(next[1]), nil)
			require.Equal(t, 7, strings.Count(page, `class="open question"`))
			require.Contains(t, page, "d_page056")
			require.NotContains(t, page, "drafts/d_page049")
			require.NotContains(t, page, `rel="next"`, "the last page")
			resp, _ := sara.do("GET", "/inbox?after=nope/x", nil)
			require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		})

		t.Run("SetAsideWorkspaceListed", func(t *testing.T) {
			t.Parallel()
			b := setup(t, be)
			ctx := context.Background()
			rows, _, err := b.st.KPI(ctx, rossi)
			require.NoError(t, err)
			week, err := kpi.ParsePeriod("2026-W45")
			require.NoError(t, err)
			require.NoError(t, b.st.ReplaceKPI(ctx, rossi, append(rows, kpi.Row{Period: week, Metric: "leads", Value: 1, File: "weekly.csv", Line: 2}), b.clock.now()))
			sara := b.browser(t)
			require.Equal(t, http.StatusSeeOther, sara.login("sara", saraPassword).StatusCode)
			_, page := sara.do("GET", "/w/"+rossi+"/chat", nil)
			resp, page := sara.do("POST", "/w/"+rossi+"/chat", url.Values{"csrf": {csrfOf(t, page)}, "as": {"anna"}, "text": {"perché i lead sono aumentati?"}})
			require.Equal(t, http.StatusConflict, resp.StatusCode, "no turn on a workspace set aside")
			require.Contains(t, page, "weekly.csv:2", "the console's reviewers see why")
			_, page = sara.do("GET", "/inbox", nil)
			require.Contains(t, page, "Set aside until fixed")
			require.Contains(t, page, "workspace "+rossi+" is set aside until its profile or data is fixed")
			require.Contains(t, page, "weekly.csv:2")
			bob := b.browser(t)
			require.Equal(t, http.StatusSeeOther, bob.login("bob", bobPassword).StatusCode)
			_, page = bob.do("GET", "/inbox", nil)
			require.NotContains(t, page, "Set aside until fixed", "another agency's client is not shown")
		})

		t.Run("CrossWorkspace", func(t *testing.T) {
			t.Parallel()
			b := setup(t, be)
			sara := b.browser(t)
			require.Equal(t, http.StatusSeeOther, sara.login("sara", saraPassword).StatusCode)
			thread, draft := sara.askForDraft(rossi)

			bob := b.browser(t)
			require.Equal(t, http.StatusSeeOther, bob.login("bob", bobPassword).StatusCode)
			_, page := bob.do("GET", "/inbox", nil)
			require.NotContains(t, page, draft)
			require.NotContains(t, page, "Meccanica Rossi")
			_, page = bob.do("GET", "/inbox?workspace="+rossi, nil)
			require.NotContains(t, page, draft)
			token := csrfOf(t, page)
			for _, path := range []string{"/w/" + rossi, "/w/" + rossi + "/drafts/" + draft, "/w/" + rossi + "/threads/" + thread,
				"/w/" + rossi + "/threads/" + thread + "/audit.json", "/w/" + rossi + "/chat?thread=" + thread} {
				resp, body := bob.do("GET", path, nil)
				require.Equal(t, http.StatusNotFound, resp.StatusCode, path)
				require.NotContains(t, body, "perché i lead", path)
			}
			for _, path := range []string{"/approve", "/reject", "/edit"} {
				resp, _ := bob.do("POST", "/w/"+rossi+"/drafts/"+draft+path, url.Values{"csrf": {token}, "reason": {"mine now"}, "text": {"hijacked"}})
				require.Equal(t, http.StatusNotFound, resp.StatusCode, path)
			}
			resp, _ := bob.do("POST", "/w/"+rossi+"/chat", url.Values{"csrf": {token}, "as": {"anna"}, "text": {"why did leads rise?"}})
			require.Equal(t, http.StatusNotFound, resp.StatusCode)
			d, err := b.st.Draft(context.Background(), rossi, draft)
			require.NoError(t, err)
			require.Equal(t, store.DraftPending, d.State)

			// the engine checks the grant too, whatever the transport says
			_, err = b.engine.Decide(context.Background(), rossi, draft, record.Account("bob"), conversation.Action{Approve: true})
			require.ErrorIs(t, err, conversation.ErrNotReviewer)
		})
	})
}

type recorder struct {
	mu    sync.Mutex
	posts []conversation.Post
}

func (r *recorder) Post(_ context.Context, p conversation.Post) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.posts = append(r.posts, p)
	return "ts1", nil
}

func (r *recorder) all() []conversation.Post {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]conversation.Post(nil), r.posts...)
}

// An account speaks in the chat only as the people linked to it (web: in company.yaml):
// not as the owner, not as the reviewer; an account linked to nobody may review but not
// chat; the audit trail records the account with each message.
func TestChatSpeaksOnlyAsLinkedPeople(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		b := setupLinked(t, be, "slack: U0GIULIA", "slack: U0GIULIA, web: sara")
		ctx := context.Background()
		h, err := auth.Hash("marta-password-1234")
		require.NoError(t, err)
		now := time.Now().UTC()
		require.NoError(t, b.st.PutAccount(ctx, store.Account{Name: "marta", PasswordHash: h, Workspaces: []string{rossi}, CreatedAt: now, UpdatedAt: now}))

		br := b.browser(t)
		br.login("sara", saraPassword)
		_, page := br.do("GET", "/w/"+rossi+"/chat", nil)
		require.Contains(t, page, `<option value="giulia"`)
		for _, other := range []string{"anna", "luca", "marco"} {
			require.NotContains(t, page, `<option value="`+other+`"`, "only the linked person is offered")
			resp, page := br.do("POST", "/w/"+rossi+"/chat", url.Values{"csrf": {csrfOf(t, page)}, "as": {other}, "text": {"perché i lead sono aumentati del 30%?"}})
			require.Equal(t, http.StatusForbidden, resp.StatusCode, other)
			require.Contains(t, page, "may speak only as the people linked to it")
		}
		drafts, err := b.st.Drafts(ctx, rossi)
		require.NoError(t, err)
		require.Empty(t, drafts)
		resp, _ := br.do("POST", "/w/"+rossi+"/chat", url.Values{"csrf": {csrfOf(t, page)}, "as": {"giulia"}, "text": {"perché i lead sono aumentati del 30%?"}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		thread := strings.TrimPrefix(resp.Header.Get("Location"), "/w/"+rossi+"/chat?thread=")
		evs, err := b.st.Events(ctx, rossi, thread)
		require.NoError(t, err)
		require.Equal(t, store.EventQuestion, evs[0].Kind)
		require.Equal(t, record.Actor("giulia"), evs[0].By)
		var q struct{ Account string }
		require.NoError(t, json.Unmarshal(evs[0].Data, &q))
		require.Equal(t, "sara", q.Account, "the audit records the account")

		other := b.browser(t)
		other.login("marta", "marta-password-1234")
		_, page = other.do("GET", "/w/"+rossi+"/chat", nil)
		require.Contains(t, page, `id="not-linked"`)
		require.NotContains(t, page, `name="text"`)
		resp, page = other.do("POST", "/w/"+rossi+"/chat", url.Values{"csrf": {csrfOf(t, page)}, "as": {"anna"}, "text": {"approve everything"}})
		require.Equal(t, http.StatusForbidden, resp.StatusCode)
		require.Contains(t, page, "speaks for nobody in Meccanica Rossi")
	})
}

// A 2 MB question is refused before anything is read or stored; a long one under the form
// limit is refused by the engine with the limit.
func TestChatMessageLimits(t *testing.T) {
	t.Parallel()
	b := setup(t, storetest.Backends()[0])
	br := b.browser(t)
	br.login("sara", saraPassword)
	_, page := br.do("GET", "/w/"+rossi+"/chat", nil)
	resp, _ := br.do("POST", "/w/"+rossi+"/chat", url.Values{"csrf": {csrfOf(t, page)}, "as": {"anna"}, "text": {strings.Repeat("perché? ", 250_000)}})
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	resp, page = br.do("POST", "/w/"+rossi+"/chat", url.Values{"csrf": {csrfOf(t, page)}, "as": {"anna"}, "text": {strings.Repeat("perché? ", 600)}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, page, "the message is too long (4799 characters, at most 4000)")
	drafts, err := b.st.Drafts(context.Background(), rossi)
	require.NoError(t, err)
	require.Empty(t, drafts)
}

// A sign-in whose next was made to leave the site goes to the inbox.
func TestLoginNextStaysOnSite(t *testing.T) {
	t.Parallel()
	b := setup(t, storetest.Backends()[0])
	br := b.browser(t)
	_, page := br.do("GET", "/login?next=%2F%09%2Fevil.example", nil)
	require.NotContains(t, page, "evil.example", "the form does not carry it on")
	resp, _ := br.do("POST", "/login?next=%2F%09%2Fevil.example", url.Values{"csrf": {csrfOf(t, page)}, "name": {"sara"}, "password": {saraPassword}, "next": {"/\t/evil.example"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/inbox", resp.Header.Get("Location"))
}

// The chat offers the quick answers of the open number questions put to the people the
// account speaks for; a click is that person's answer, read by the button; a click on a
// question put to someone else is refused.
func TestChatQuickAnswers(t *testing.T) {
	t.Parallel()
	b := setup(t, storetest.Backends()[0])
	ctx := context.Background()
	br := b.browser(t)
	br.login("sara", saraPassword)
	_, page := br.do("GET", "/w/"+rossi+"/chat", nil)
	resp, _ := br.do("POST", "/w/"+rossi+"/chat", url.Values{"csrf": {csrfOf(t, page)}, "as": {"anna"}, "text": {"perché i lead sono aumentati del 30%?"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	loc := resp.Header.Get("Location")
	thread := strings.TrimPrefix(loc, "/w/"+rossi+"/chat?thread=")
	_, page = br.do("GET", loc, nil)
	require.Contains(t, page, `aria-label="Quick answer for giulia"`)
	require.Contains(t, page, `aria-label="Quick answer for marco"`)
	require.Contains(t, page, `value="few" class="pick">Pochi</button>`)

	resp, page = br.do("POST", "/w/"+rossi+"/chat", url.Values{"csrf": {csrfOf(t, page)}, "thread": {thread}, "as": {"marco"}, "topic": {"lead_quality"}, "pick": {"few"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, page, "put to someone else")
	resp, _ = br.do("POST", "/w/"+rossi+"/chat", url.Values{"csrf": {csrfOf(t, page)}, "thread": {thread}, "as": {"marco"}, "topic": {"sales_followup"}, "pick": {"percent"}, "percent": {"80"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	facts, err := b.st.Facts(ctx, rossi, thread)
	require.NoError(t, err)
	require.Len(t, facts, 1)
	require.Equal(t, "marco", facts[0].By)
	require.InDelta(t, 0.8, *facts[0].Value, 1e-9)
	require.Equal(t, "button", facts[0].Reading.By)
	_, page = br.do("GET", loc, nil)
	require.NotContains(t, page, `aria-label="Quick answer for marco"`, "answered: no more quick answers")
	require.Contains(t, page, `aria-label="Quick answer for giulia"`)
}
