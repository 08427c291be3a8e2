package web_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

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

// artifacts is where screenshots go: $WHYBOT_ARTIFACTS, else a folder in the temp dir.
func artifacts(t *testing.T) string {
	dir := os.Getenv("WHYBOT_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "whybot-artifacts")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// The whole review path in a real headless Chromium: sign in, ask in the chat, answer as
// marketing, sales and the agency, find the draft in the inbox, edit it and approve it
// after seeing the changes, see it posted in the chat and in the audit trail; reject a
// second draft with a reason; another account cannot open the first workspace's drafts.
// Every step waits for the result it then asserts (a changed text, a new URL), never for an
// element the old page also had: `go test -race -count=20 -run TestBrowser ./bot/web/`
// passed 20 of 20 on the 2-core machine, with a fuzzer busy on the other core.
func TestBrowser(t *testing.T) {
	t.Parallel()
	b := setup(t, storetest.Backends()[0])
	shots := artifacts(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium(t)), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 900), chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	ctx, cancel = context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(cancel)

	base := b.srv.URL
	run := func(what string, actions ...chromedp.Action) {
		t.Helper()
		require.NoError(t, chromedp.Run(ctx, actions...), what)
	}
	// settle runs read-only steps after a click that navigates: a query that lands while
	// the old page is torn down fails (its context or its nodes are gone), and is tried again
	settle := func(what string, actions ...chromedp.Action) {
		t.Helper()
		var err error
		for range 5 {
			if err = chromedp.Run(ctx, actions...); err == nil || !navigating(err) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		require.NoError(t, err, what)
	}
	shot := func(name string) chromedp.Action {
		var png []byte
		return chromedp.ActionFunc(func(ctx context.Context) error {
			if err := chromedp.FullScreenshot(&png, 100).Do(ctx); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(shots, name), png, 0o644)
		})
	}
	// until evaluates js until it is true; errors while the page navigates are expected
	until := func(js string) {
		t.Helper()
		deadline := time.Now().Add(45 * time.Second)
		for {
			var ok bool
			if err := chromedp.Run(ctx, chromedp.Evaluate(js, &ok)); err == nil && ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", js)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// textOf reads an element's text through the page's own JavaScript, once it is there:
	// no DOM node id of chromedp's, which a page replaced under it invalidates
	textOf := func(sel string) string {
		t.Helper()
		var out string
		until(fmt.Sprintf(`!!document.querySelector(%q)`, sel))
		settle(sel, chromedp.Evaluate(fmt.Sprintf(`(document.querySelector(%q) || {innerText: ""}).innerText`, sel), &out))
		return out
	}
	var text string
	say := func(as, msg string) {
		t.Helper()
		run("say "+msg,
			chromedp.SetValue(`#as`, as, chromedp.ByQuery),
			chromedp.SendKeys(`#text`, msg, chromedp.ByQuery),
			chromedp.Click(`#send`, chromedp.ByQuery))
		// the next page: the box is empty again and the message is in the conversation
		until(fmt.Sprintf(`(() => { const c = document.querySelector("ol.chat"), t = document.querySelector("#text");
			return !!c && !!t && t.value === "" && c.innerText.includes(%q); })()`, msg))
	}
	signIn := func(name, password string) {
		t.Helper()
		run("sign in as "+name,
			chromedp.Navigate(base+"/inbox"),
			chromedp.WaitVisible(`input[name=name]`, chromedp.ByQuery),
			chromedp.SendKeys(`input[name=name]`, name, chromedp.ByQuery),
			chromedp.SendKeys(`input[name=password]`, password, chromedp.ByQuery),
			chromedp.Submit(`input[name=password]`, chromedp.ByQuery),
			chromedp.WaitVisible(`form.filters`, chromedp.ByQuery),
			chromedp.Text(`h1`, &text, chromedp.ByQuery))
		require.Equal(t, "Drafts to review", text)
	}
	conversation := func() {
		t.Helper()
		run("open the chat", chromedp.Navigate(base+"/w/"+rossi+"/chat"), chromedp.WaitVisible(`#text`, chromedp.ByQuery))
		say("anna", "perché i lead sono aumentati del 30%?")
		text = textOf("ol.chat") // through the page's JavaScript: a node id dies with a replaced page
		require.Contains(t, text, "asks giulia")
		require.Contains(t, text, "asks marco")
		say("giulia", "solo il 40% è in target")
		say("marco", "ne abbiamo richiamati un quarto")
		say("luca", "sì, sono la stessa fonte")
		until(`(() => { const d = document.querySelector("ul.drafts"); return !!d && d.innerText.includes("pending_approval"); })()`)
		text = textOf("ul.drafts")
		require.Contains(t, text, "pending_approval")
	}

	signIn("sara", saraPassword)
	conversation()

	// the inbox, keyboard-driven: j selects the first draft, Enter opens it
	run("inbox", chromedp.Navigate(base+"/inbox"), chromedp.WaitVisible(`table.inbox`, chromedp.ByQuery),
		chromedp.Text(`table.inbox`, &text, chromedp.ByQuery), shot("inbox.png"))
	require.Contains(t, text, "lead_quality_low")
	run("open with the keyboard", chromedp.KeyEvent("j"), chromedp.KeyEvent("\r"), chromedp.WaitVisible(`#approve`, chromedp.ByQuery),
		chromedp.Text(`section.evidence`, &text, chromedp.ByQuery), shot("draft.png"))
	require.Contains(t, text, "Rules fired")
	require.Contains(t, text, "Facts people gave")
	var url string
	run("url", chromedp.Location(&url))
	draftID := url[strings.LastIndex(url, "/")+1:]

	// edit, see the changes, approve the edited text
	edited := "Ciao Anna: i lead sono saliti del 30%, ma solo il 40% è in target e un quarto è stato richiamato."
	run("edit", chromedp.Click(`#edit-box summary`, chromedp.ByQuery), chromedp.WaitVisible(`#edit-text`, chromedp.ByQuery),
		chromedp.SetValue(`#edit-text`, edited, chromedp.ByQuery), chromedp.Click(`#preview`, chromedp.ByQuery),
		chromedp.WaitVisible(`#approve-edited`, chromedp.ByQuery), chromedp.Text(`p.diff`, &text, chromedp.ByQuery), shot("diff.png"))
	require.Contains(t, text, "Ciao Anna")
	d, err := b.st.Draft(context.Background(), rossi, draftID)
	require.NoError(t, err)
	require.Equal(t, store.DraftPending, d.State, "the preview changed nothing")
	run("approve", chromedp.Click(`#approve-edited`, chromedp.ByQuery))
	// wait for the new page's state, not for the element (the old page has one too)
	until(`(() => { const s = document.querySelector("strong.state"); return !!s && s.innerText === "posted"; })()`)
	text = textOf("strong.state")
	require.Equal(t, "posted", text)
	d, err = b.st.Draft(context.Background(), rossi, draftID)
	require.NoError(t, err)
	require.Equal(t, record.Actor("web:sara"), d.DecidedBy)
	require.Equal(t, edited, d.FinalText)

	run("audit", chromedp.Navigate(base+"/w/"+rossi+"/threads/"+d.ThreadID), chromedp.WaitVisible(`ol.lines`, chromedp.ByQuery),
		chromedp.Text(`main`, &text, chromedp.ByQuery), shot("audit.png"))
	for _, want := range []string{"question", "rule", "question_asked", "answer", "draft", "posted", edited, "web:sara"} {
		require.Contains(t, text, want)
	}
	run("posted in the chat", chromedp.Navigate(base+"/w/"+rossi+"/chat?thread="+d.ThreadID), chromedp.WaitVisible(`.posted`, chromedp.ByQuery),
		chromedp.Text(`.posted`, &text, chromedp.ByQuery))
	require.Equal(t, edited, strings.TrimSpace(text))

	// reject a second draft: the reason is required by the form and by the server
	conversation()
	run("second draft", chromedp.Navigate(base+"/inbox"), chromedp.Click(`table.inbox a.open`, chromedp.ByQuery), chromedp.WaitVisible(`#reject-box`, chromedp.ByQuery),
		chromedp.Click(`#reject-box summary`, chromedp.ByQuery), chromedp.SendKeys(`#reject-reason`, "the October data is still being corrected", chromedp.ByQuery),
		chromedp.Click(`#reject`, chromedp.ByQuery))
	until(`(() => { const m = document.querySelector("p.meta"); return !!m && m.innerText.includes("rejected"); })()`)
	text = textOf("p.meta")
	require.Contains(t, text, "rejected")
	require.Contains(t, text, "the October data is still being corrected")

	// another account: the first workspace's draft is not there for it
	run("sign out", chromedp.Click(`form.logout button`, chromedp.ByQuery), chromedp.WaitVisible(`input[name=name]`, chromedp.ByQuery))
	run("sign in as bob",
		chromedp.SendKeys(`input[name=name]`, "bob", chromedp.ByQuery),
		chromedp.SendKeys(`input[name=password]`, bobPassword, chromedp.ByQuery),
		chromedp.Submit(`input[name=password]`, chromedp.ByQuery),
		chromedp.WaitVisible(`form.filters`, chromedp.ByQuery))
	run("refused", chromedp.Navigate(base+"/w/"+rossi+"/drafts/"+draftID), chromedp.WaitVisible(`h1`, chromedp.ByQuery),
		chromedp.Text(`main`, &text, chromedp.ByQuery), shot("refused.png"))
	require.Contains(t, text, "Not found")
	require.NotContains(t, text, edited)
	t.Logf("screenshots in %s", shots)
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
