package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/web"
	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/storetest"
)

// chromium finds Debian's Chromium; deploy/test.sh installs it, so CI never skips this.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium found: install it (sudo apt-get install -y chromium) or run bash deploy/test.sh, which does")
	return ""
}

// axeSource is axe-core's script: $WHYBOT_AXE (deploy/test.sh sets it), else where
// deploy/axe.sh installs it. Never skipped.
func axeSource(t *testing.T) string {
	t.Helper()
	path := os.Getenv("WHYBOT_AXE")
	if path == "" {
		path = "../../deploy/.cache/axe/node_modules/axe-core/axe.min.js"
	}
	b, err := os.ReadFile(path)
	require.NoError(t, err, "axe-core is missing: run bash deploy/axe.sh (deploy/test.sh does)")
	return string(b)
}

// artifacts is where screenshots go: $WHYBOT_ARTIFACTS, else a folder in the temp dir.
func artifacts(t *testing.T) string {
	dir := os.Getenv("WHYBOT_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "whybot-artifacts")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// tab is one browser tab driven by a test. Every step waits for the state it then asserts
// (a changed text, a new URL), never for an element the old page also had.
type tab struct {
	t     *testing.T
	ctx   context.Context
	base  string
	shots string
}

// newTab opens a tab in its own browser context (own cookies) on allocator actx.
func newTab(t *testing.T, actx context.Context, base string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	ctx, cancel = context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(cancel)
	return &tab{t: t, ctx: ctx, base: base, shots: artifacts(t)}
}

// browserAllocator starts Chromium once for a test's tabs.
func browserAllocator(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium(t)), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 900), chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("lang", "en-US"))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	return actx
}

func (b *tab) run(what string, actions ...chromedp.Action) {
	b.t.Helper()
	require.NoError(b.t, chromedp.Run(b.ctx, actions...), what)
}

// settle runs read-only steps after a click that navigates: a query that lands while the
// old page is torn down fails (its context or its nodes are gone), and is tried again.
func (b *tab) settle(what string, actions ...chromedp.Action) {
	b.t.Helper()
	var err error
	for range 5 {
		if err = chromedp.Run(b.ctx, actions...); err == nil || !navigating(err) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	require.NoError(b.t, err, what)
}

// until evaluates js until it is true; errors while the page navigates are expected.
func (b *tab) until(js string) {
	b.t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		var ok bool
		if err := chromedp.Run(b.ctx, chromedp.Evaluate(js, &ok)); err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("timed out waiting for %s", js)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// textOf reads an element's text through the page's own JavaScript, once it is there.
func (b *tab) textOf(sel string) string {
	b.t.Helper()
	var out string
	b.until(fmt.Sprintf(`!!document.querySelector(%q)`, sel))
	b.settle(sel, chromedp.Evaluate(fmt.Sprintf(`(document.querySelector(%q) || {innerText: ""}).innerText`, sel), &out))
	return out
}

// has waits until the element's text contains want.
func (b *tab) has(sel, want string) {
	b.t.Helper()
	b.until(fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.innerText.includes(%q); })()`, sel, want))
}

// open navigates to a path and waits until the page's URL and body are the new page's.
func (b *tab) open(path, ready string) {
	b.t.Helper()
	b.run("open "+path, chromedp.Navigate(b.base+path))
	b.until(fmt.Sprintf(`document.readyState === "complete" && !!document.querySelector(%q)`, ready))
}

// urlIs waits until the tab's address contains part.
func (b *tab) urlIs(part string) {
	b.t.Helper()
	b.until(fmt.Sprintf(`location.href.includes(%q) && document.readyState === "complete"`, part))
}

func (b *tab) shot(name string) {
	b.t.Helper()
	var png []byte
	b.settle("screenshot "+name, chromedp.FullScreenshot(&png, 100))
	require.NoError(b.t, os.WriteFile(filepath.Join(b.shots, name), png, 0o644))
}

func (b *tab) key(keys string) {
	b.t.Helper()
	b.run("keys "+keys, chromedp.KeyEvent(keys))
}

func (b *tab) signIn(name, password, heading string) {
	b.t.Helper()
	b.open("/inbox", "input[name=name]")
	b.run("sign in as "+name,
		chromedp.SendKeys(`input[name=name]`, name, chromedp.ByQuery),
		chromedp.SendKeys(`input[name=password]`, password, chromedp.ByQuery),
		chromedp.Submit(`input[name=password]`, chromedp.ByQuery))
	b.has("h1", heading)
}

// say sends a message in the chat as someone and waits for the next page to show it.
func (b *tab) say(as, msg string) {
	b.t.Helper()
	b.run("say "+msg,
		chromedp.SetValue(`#as`, as, chromedp.ByQuery),
		chromedp.SendKeys(`#text`, msg, chromedp.ByQuery),
		chromedp.Click(`#send`, chromedp.ByQuery))
	b.until(fmt.Sprintf(`(() => { const c = document.querySelector("ol.chat"), t = document.querySelector("#text");
		return !!c && !!t && t.value === "" && c.innerText.includes(%q); })()`, msg))
}

// TestBrowser runs the console in a real headless Chromium.
func TestBrowser(t *testing.T) {
	t.Parallel()
	actx := browserAllocator(t)
	t.Run("ReviewPath", func(t *testing.T) { reviewPath(t, actx) })
	t.Run("KeyboardTriage", func(t *testing.T) { keyboardTriage(t, actx) })
	t.Run("PhonesAndAccessibility", func(t *testing.T) { phonesAndAccessibility(t, actx) })
}

// reviewPath: sign in, ask in the chat, answer as marketing, sales and the agency, find
// the draft in the inbox, edit it and approve it after seeing the changes, see it posted
// in the chat and in the audit trail; reject a second draft with a reason; another account
// cannot open the first workspace's drafts. The chat never shows the unapproved draft.
func reviewPath(t *testing.T, actx context.Context) {
	b := setup(t, storetest.Backends()[0])
	tb := newTab(t, actx, b.srv.URL)
	conversation := func() {
		t.Helper()
		tb.open("/w/"+rossi+"/chat", "#text")
		tb.say("anna", "perché i lead sono aumentati del 30%?")
		text := tb.textOf("ol.chat")
		require.Contains(t, text, "asks giulia")
		require.Contains(t, text, "asks marco")
		tb.say("giulia", "solo il 40% è in target")
		tb.say("marco", "ne abbiamo richiamati un quarto")
		tb.say("luca", "sì, sono la stessa fonte")
		tb.has("ol.chat", "Your answer is being reviewed")
		require.NotContains(t, tb.textOf("ol.chat"), "Anna,", "the unapproved draft is not in the chat")
	}

	tb.signIn("sara", saraPassword, "Drafts to review")
	conversation()

	// the inbox, keyboard-driven: j selects the first draft, Enter opens it
	tb.open("/inbox", "ol.inbox")
	text := tb.textOf("ol.inbox")
	require.Contains(t, text, "Low lead quality")
	require.Contains(t, text, "perché i lead sono aumentati del 30%?")
	tb.shot("inbox-en.png")
	tb.key("j")
	tb.key("\r")
	tb.until(`!!document.querySelector("#approve") && location.pathname.includes("/drafts/")`)
	text = tb.textOf("aside.evidence")
	require.Contains(t, text, "Rules fired")
	require.Contains(t, text, "Facts people gave")
	tb.shot("draft-en.png")
	var url string
	tb.settle("url", chromedp.Location(&url))
	draftID := url[strings.LastIndex(url, "/")+1:]

	// edit, see the changes, approve the edited text
	edited := "Ciao Anna: i lead sono saliti del 30%, ma solo il 40% è in target e un quarto è stato richiamato."
	tb.run("edit", chromedp.Click(`#edit-open`, chromedp.ByQuery), chromedp.WaitVisible(`#edit-text`, chromedp.ByQuery),
		chromedp.SetValue(`#edit-text`, edited, chromedp.ByQuery), chromedp.Click(`#preview`, chromedp.ByQuery))
	tb.until(`!!document.querySelector("#approve-edited")`)
	require.Contains(t, tb.textOf("p.diff"), "Ciao Anna")
	tb.shot("diff-en.png")
	d, err := b.st.Draft(context.Background(), rossi, draftID)
	require.NoError(t, err)
	require.Equal(t, store.DraftPending, d.State, "the preview changed nothing")
	tb.run("approve", chromedp.Click(`#approve-edited`, chromedp.ByQuery))
	tb.urlIs("/inbox?notice=")
	tb.has("p.notice", "approved and posted")
	d, err = b.st.Draft(context.Background(), rossi, draftID)
	require.NoError(t, err)
	require.Equal(t, store.DraftPosted, d.State)
	require.Equal(t, record.Actor("web:sara"), d.DecidedBy)
	require.Equal(t, edited, d.FinalText)

	tb.open("/w/"+rossi+"/threads/"+d.ThreadID, "ol.lines")
	text = tb.textOf("main")
	for _, want := range []string{"question", "rule(s) evaluated", "question asked", "answer", "draft " + draftID + " written", "answer " + draftID + " posted", "web:sara"} {
		require.Contains(t, text, want)
	}
	tb.shot("audit-en.png")
	tb.open("/w/"+rossi+"/chat?thread="+d.ThreadID, ".posted")
	require.Equal(t, edited, strings.TrimSpace(tb.textOf(".posted")))
	require.NotContains(t, tb.textOf("main"), "{", "no record data in the chat")

	// reject a second draft: the reason is required by the form and by the server
	conversation()
	tb.open("/inbox", "ol.inbox a.open")
	tb.run("second draft", chromedp.Click(`ol.inbox a.open`, chromedp.ByQuery))
	tb.until(`!!document.querySelector("#reject-open") && location.pathname.includes("/drafts/")`)
	tb.run("reject", chromedp.Click(`#reject-open`, chromedp.ByQuery), chromedp.WaitVisible(`#reject-reason`, chromedp.ByQuery),
		chromedp.SendKeys(`#reject-reason`, "the October data is still being corrected", chromedp.ByQuery), chromedp.Click(`#reject`, chromedp.ByQuery))
	tb.urlIs("/inbox?notice=")
	tb.has("p.notice", "declined")
	tb.open("/w/"+rossi+"/chat?thread="+d.ThreadID, "ol.chat")

	// another account: the first workspace's draft is not there for it
	tb.run("sign out", chromedp.Click(`form.logout button`, chromedp.ByQuery))
	tb.until(`!!document.querySelector("input[name=name]")`)
	tb.run("sign in as bob",
		chromedp.SendKeys(`input[name=name]`, "bob", chromedp.ByQuery),
		chromedp.SendKeys(`input[name=password]`, bobPassword, chromedp.ByQuery),
		chromedp.Submit(`input[name=password]`, chromedp.ByQuery))
	tb.until(`!!document.querySelector("form.filters")`)
	tb.open("/w/"+rossi+"/drafts/"+draftID, "h1")
	text = tb.textOf("main")
	require.Contains(t, text, "Not found")
	require.NotContains(t, text, edited)
	t.Logf("screenshots in %s", tb.shots)
}

// seedDrafts stores n pending drafts of a workspace with findings of every severity, as a
// turn would, created one second apart from start.
func seedDrafts(t *testing.T, st store.Store, ws string, n int, start time.Time) {
	t.Helper()
	sev := []string{"critical", "warning", "info"}
	for i := range n {
		ev := fmt.Sprintf(`{"findings":[{"rule":"lead_quality_low","severity":%q,"message":"solo il 40%% dei lead è in target"}],"observed":[],"facts":[]}`, sev[i%3])
		th := store.Thread{Workspace: ws, ID: fmt.Sprintf("t_%s_%d", ws, i), Asker: "anna", Language: "it", Transport: store.TransportWeb, Channel: "web",
			State: store.ThreadPendingApproval, Intent: json.RawMessage(`{}`), Question: fmt.Sprintf("perché i lead di %s sono saliti? (%d)", ws, i),
			CreatedAt: start, UpdatedAt: start}
		_, err := st.SaveTurn(context.Background(), store.Turn{Thread: th, New: true, Draft: &store.Draft{ID: fmt.Sprintf("d_%s%d", strings.ReplaceAll(ws, "_", ""), i),
			Text: fmt.Sprintf("Ciao Anna, bozza numero %d per %s.", i, ws), Language: "it", Evidence: json.RawMessage(ev), CreatedAt: start.Add(time.Duration(i) * time.Second)}})
		require.NoError(t, err)
	}
}

// keyboardTriage: an agency reviewer clears ten drafts of two clients with the keyboard
// only, in Italian (the account's language): j and Enter open the first, a asks and Enter
// confirms, r and a reason reject; each decision goes on to the next draft.
func keyboardTriage(t *testing.T, actx context.Context) {
	b := setup(t, storetest.Backends()[0])
	ctx := context.Background()
	acc, err := b.st.Account(ctx, "sara")
	require.NoError(t, err)
	acc.Workspaces = []string{rossi, bianchi}
	require.NoError(t, b.st.PutAccount(ctx, acc))
	require.NoError(t, b.st.SetAccountLanguage(ctx, "sara", "it", b.clock.now()))
	start := b.clock.now().Add(-time.Hour)
	seedDrafts(t, b.st, rossi, 5, start)
	seedDrafts(t, b.st, bianchi, 5, start.Add(10*time.Second))

	tb := newTab(t, actx, b.srv.URL)
	tb.signIn("sara", saraPassword, "Bozze da rivedere")
	tb.open("/inbox", "ol.inbox")
	text := tb.textOf("ol.inbox")
	require.Contains(t, text, "Meccanica Rossi")
	require.Contains(t, text, "Forno Bianchi")
	require.Contains(t, text, "Critica")
	require.Contains(t, text, "Attenzione")
	require.Contains(t, text, "Lead poco qualificati")
	tb.shot("triage-inbox-it.png")
	tb.key("j")
	tb.key("\r")
	decided := map[string]bool{}
	for i := range 10 {
		tb.until(`location.pathname.includes("/drafts/") && !!document.querySelector("#approve") && document.readyState === "complete"`)
		var path string
		tb.settle("where", chromedp.Evaluate(`location.pathname`, &path))
		id := path[strings.LastIndex(path, "/")+1:]
		require.False(t, decided[id], "each draft once")
		decided[id] = true
		if i == 0 {
			require.Contains(t, tb.textOf(".decide"), "a approva (chiede conferma)", "the shortcuts are shown")
			tb.shot("triage-draft-it.png")
		}
		if i%5 == 4 { // reject
			tb.key("r")
			tb.until(`document.activeElement && document.activeElement.id === "reject-reason"`)
			tb.run("reason", chromedp.SendKeys(`#reject-reason`, "numeri da ricontrollare", chromedp.ByQuery))
			tb.key("\t")
			tb.until(`document.activeElement && document.activeElement.id === "reject"`)
			tb.key("\r")
		} else {
			tb.key("a")
			tb.until(`!!document.querySelector("#confirm-approve") && document.activeElement && document.activeElement.id === "confirm-approve"`)
			if i == 0 {
				require.Contains(t, tb.textOf(".decide"), "Approvare e pubblicare")
				tb.shot("triage-confirm-it.png")
				d, err := b.st.Draft(ctx, rossi, id)
				require.NoError(t, err)
				require.Equal(t, store.DraftPending, d.State, "asking changed nothing")
			}
			tb.key("\r")
		}
		if i < 9 {
			tb.until(fmt.Sprintf(`location.pathname.includes("/drafts/") && !location.pathname.endsWith(%q) && !!document.querySelector("p.notice")`, "/"+id))
		}
	}
	tb.urlIs("/inbox?notice=")
	tb.has("p.notice", "Non ci sono altre bozze in attesa")
	tb.has("main", "Niente da mostrare")
	require.Len(t, decided, 10)
	posted, rejected := 0, 0
	for _, ws := range []string{rossi, bianchi} {
		ds, err := b.st.Drafts(ctx, ws)
		require.NoError(t, err)
		for _, d := range ds {
			switch d.State {
			case store.DraftPosted:
				posted++
			case store.DraftRejected:
				rejected++
				require.Equal(t, "numeri da ricontrollare", d.Reason)
			}
		}
	}
	require.Equal(t, 8, posted)
	require.Equal(t, 2, rejected)
}

// phonesAndAccessibility opens every page in Italian and English, on a desktop and on a
// 390 px phone: no page scrolls sideways, and axe-core finds no serious or critical
// violation (labels, contrast, names, landmarks).
func phonesAndAccessibility(t *testing.T, actx context.Context) {
	var b *bundle
	b = setupConsole(t, storetest.Backends()[0], func(c *web.Config) {
		c.Sources = &web.Sources{Store: c.Store.(store.Store)}
		c.Slack = &web.SlackApp{Installer: nil, Store: c.Store.(store.Store)}
	}, "slack: U0GIULIA", "slack: U0GIULIA, web: sara", "slack: U0MARCO", "slack: U0MARCO, web: sara",
		"slack: U0ANNA", "slack: U0ANNA, web: sara", "slack: U0LUCA", "slack: U0LUCA, web: sara", "  team: T0ROSSI\n", "")
	ctx := context.Background()
	acc, err := b.st.Account(ctx, "sara")
	require.NoError(t, err)
	acc.Workspaces = []string{store.AllWorkspaces}
	require.NoError(t, b.st.PutAccount(ctx, acc))
	seedDrafts(t, b.st, rossi, 2, b.clock.now().Add(-3*time.Hour))
	require.NoError(t, b.st.PutSlackInstall(ctx, store.SlackInstall{Team: "T0CLIENT", TeamName: "Cliente Uno", BotUser: "UB", State: store.InstallActive, KeyID: "k", Sealed: "x",
		InstalledAt: b.clock.now(), UpdatedAt: b.clock.now()}))
	axe := axeSource(t)

	// a real thread: asked, answered, drafted
	br := b.browser(t)
	require.Equal(t, 303, br.login("sara", saraPassword).StatusCode)
	thread, draft := br.askForDraft(rossi)

	pages := []struct{ name, path, ready string }{
		{"inbox", "/inbox", "ol.inbox"},
		{"draft", "/w/" + rossi + "/drafts/" + draft, "#approve"},
		{"confirm", "/w/" + rossi + "/drafts/" + draft + "?confirm=approve", "#confirm-approve"},
		{"audit", "/w/" + rossi + "/threads/" + thread, "ol.lines"},
		{"chat", "/w/" + rossi + "/chat?thread=" + thread, "ol.chat"},
		{"workspace", "/w/" + rossi, "section.kpis"},
		{"sources", "/w/" + rossi + "/sources", "h1"},
		{"slack", "/slack", "ul.installs"},
		{"notfound", "/w/nope/drafts/x", "p.problem"},
	}
	for _, lang := range []string{"it", "en"} {
		require.NoError(t, b.st.SetAccountLanguage(ctx, "sara", lang, b.clock.now()))
		for _, screen := range []struct {
			name          string
			width, height int64
			mobile        bool
		}{{"desktop", 1280, 900, false}, {"phone", 390, 844, true}} {
			tb := newTab(t, actx, b.srv.URL)
			emulate := chromedp.EmulateViewport(screen.width, screen.height)
			if screen.mobile {
				emulate = chromedp.EmulateViewport(screen.width, screen.height, chromedp.EmulateMobile, chromedp.EmulateScale(2))
			}
			tb.run("viewport", emulate)
			tb.open("/login", "input[name=name]")
			check(t, tb, axe, lang+"-"+screen.name+"-login", screen.width)
			heading := map[string]string{"it": "Bozze da rivedere", "en": "Drafts to review"}[lang]
			tb.run("sign in", chromedp.SendKeys(`input[name=name]`, "sara", chromedp.ByQuery),
				chromedp.SendKeys(`input[name=password]`, saraPassword, chromedp.ByQuery), chromedp.Submit(`input[name=password]`, chromedp.ByQuery))
			tb.has("h1", heading)
			for _, p := range pages {
				tb.open(p.path, p.ready)
				var htmlLang string
				tb.settle("lang", chromedp.Evaluate(`document.documentElement.lang`, &htmlLang))
				require.Equal(t, lang, htmlLang, p.name)
				check(t, tb, axe, lang+"-"+screen.name+"-"+p.name, screen.width)
				if p.name == "draft" { // the decision is in reach: in the first screen, and still there at the bottom
					var top float64
					tb.settle("approve", chromedp.Evaluate(`document.querySelector("#approve").getBoundingClientRect().bottom`, &top))
					require.Less(t, top, float64(screen.height), "%s %s: Approve is above the fold", lang, screen.name)
					tb.settle("scroll", chromedp.Evaluate(`window.scrollTo(0, document.body.scrollHeight); document.querySelector(".decide").getBoundingClientRect().top`, &top))
					require.GreaterOrEqual(t, top, 0.0)
					require.Less(t, top, float64(screen.height)/2, "%s %s: the decision bar stays on screen", lang, screen.name)
				}
			}
		}
	}
	d, err := b.st.Draft(ctx, rossi, draft)
	require.NoError(t, err)
	require.Equal(t, store.DraftPending, d.State, "looking at pages decided nothing")
}

// check measures that the page does not scroll sideways at its width, runs axe-core on it
// and fails on any serious or critical violation, naming the rule and the elements.
func check(t *testing.T, tb *tab, axe, name string, width int64) {
	t.Helper()
	var scroll int64
	tb.settle("scroll width", chromedp.Evaluate(`document.documentElement.scrollWidth`, &scroll))
	require.LessOrEqual(t, scroll, width, "%s scrolls sideways: %d px wide at %d", name, scroll, width)
	var loaded bool
	tb.settle("axe", chromedp.Evaluate(axe+";typeof axe === 'object'", &loaded))
	require.True(t, loaded)
	var report string
	tb.settle("axe run", chromedp.Evaluate(`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}).then(r =>
		JSON.stringify(r.violations.filter(v => v.impact === "serious" || v.impact === "critical").map(v => v.id + ": " + v.nodes.map(n => n.target.join(" ")).join(", "))))`,
		&report, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	var serious []string
	require.NoError(t, json.Unmarshal([]byte(report), &serious))
	require.Empty(t, serious, "%s: axe-core's serious violations", name)
	tb.shot(name + ".png")
}

// navigating reports whether a browser error comes from a page being replaced under the
// query: its execution context or the node it found are gone.
func navigating(err error) bool {
	for _, s := range []string{"Cannot find context", "No node with given id", "does not belong to the document", "Execution context was destroyed"} {
		if strings.Contains(err.Error(), s) {
			return true
		}
	}
	return false
}
