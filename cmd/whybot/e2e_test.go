package main_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/sample"
)

var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "whybot-e2e-")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "whybot")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		panic("build whybot: " + err.Error() + "\n" + string(out))
	}
	if err := buildPeakRSS(dir); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func run(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	return runIn(t, stdin, []string{"DATABASE_URL="}, args...)
}

// runIn runs the binary with stdin and extra environment settings; it returns stdout,
// stderr and the exit code.
func runIn(t *testing.T, stdin string, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(append(os.Environ(), "WHYBOT_DB="+filepath.Join(t.TempDir(), "unused.db")), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return out.String(), errb.String(), code
}

// started runs the binary in the background with extra environment settings, its stdout
// and stderr in one buffer; the test's end stops it with SIGTERM and requires a clean exit.
func started(t *testing.T, env []string, args ...string) *lockedBuffer {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		require.NoError(t, cmd.Wait(), out.String())
	})
	return &out
}

func TestAskReviewAuditContract(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "w.db")
	_, _, code := run(t, "", "init", filepath.Join(dir, "ws"))
	require.Zero(t, code)
	prof, data := filepath.Join(dir, "ws", "company.yaml"), filepath.Join(dir, "ws", "kpis.csv")

	out, stderr, code := run(t, "", "ask", "--profile", prof, "--data", data, "--db", db, "--json", "why did leads rise 30%?")
	require.Zero(t, code, stderr)
	var r map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	for _, k := range []string{"thread", "language", "state", "intent", "observed", "findings", "questions", "draft"} {
		require.Contains(t, r, k)
	}
	require.Equal(t, "awaiting_answers", r["state"])
	require.Equal(t, "en", r["language"])
	intent := r["intent"].(map[string]any)
	require.Equal(t, "leads", intent["metric"])
	require.Equal(t, 30.0, intent["claimed_change_pct"])
	obs := r["observed"].([]any)[0].(map[string]any)
	require.Equal(t, 78.0, obs["value"])
	require.Equal(t, 30.0, obs["change_pct"])
	thread := r["thread"].(string)

	out, stderr, code = run(t, "", "ask", "--db", db, "--thread", thread, "--as", "giulia", "--json", "about 60% were qualified and sales called all of them")
	require.Zero(t, code, stderr)
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	out, stderr, code = run(t, "", "ask", "--db", db, "--thread", thread, "--json", "answer anyway")
	require.Zero(t, code, stderr)
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	require.Equal(t, "pending_approval", r["state"])
	draft := r["draft"].(map[string]any)["id"].(string)

	_, stderr, code = run(t, "", "review", "approve", draft, "--as", "giulia", "--db", db)
	require.NotZero(t, code)
	require.Contains(t, stderr, "not a reviewer")

	out, _, code = run(t, "", "review", "list", "--db", db, "--json")
	require.Zero(t, code)
	require.Contains(t, out, draft)

	out, stderr, code = run(t, "", "review", "approve", draft, "--as", "luca", "--db", db)
	require.Zero(t, code, stderr)
	require.Equal(t, 1, strings.Count(out, "=== posted in thread"))
	out, _, code = run(t, "", "review", "approve", draft, "--as", "luca", "--db", db)
	require.Zero(t, code)
	require.NotContains(t, out, "=== posted")

	out, _, code = run(t, "", "audit", thread, "--db", db, "--json")
	require.Zero(t, code)
	var audit struct {
		Events []struct{ Kind, By, At string } `json:"events"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &audit))
	var kinds []string
	for _, e := range audit.Events {
		require.NotEmpty(t, e.At)
		require.NotEmpty(t, e.By)
		kinds = append(kinds, e.Kind)
	}
	require.Equal(t, "question", kinds[0])
	require.Equal(t, "posted", kinds[len(kinds)-1])
	require.Subset(t, kinds, []string{"data", "rule", "question_asked", "answer", "draft", "approved"})
}

func TestChatSample(t *testing.T) {
	t.Parallel()
	in := "Perché i lead sono aumentati del 30%?\n/as giulia solo il 40% è in target, le vendite ne hanno richiamati un quarto\n/anyway\n/approve\n/as luca /approve\n/as luca /approve\n/quit\n"
	out, stderr, code := run(t, in, "chat")
	require.Zero(t, code, stderr)
	require.Contains(t, out, "Giulia, dei 78 lead di ottobre 2026")
	require.Contains(t, out, "lead_quality_low")
	require.Contains(t, out, "Possono approvare, modificare o rifiutare le bozze di Meccanica Rossi S.r.l. solo: luca.", "the refusal in the company's language")
	require.Equal(t, 1, strings.Count(out, "=== posted in thread"), out)
	require.Contains(t, out, "Questa bozza è già stata approvata da @luca")
}

func TestBadInputIsRejectedWhole(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	run(t, "", "init", filepath.Join(dir, "ws"))
	bad := filepath.Join(dir, "bad.csv")
	require.NoError(t, os.WriteFile(bad, []byte("period,metric,value\n2026-10,leads,abc\n"), 0o644))
	_, stderr, code := run(t, "", "validate", "--profile", filepath.Join(dir, "ws", "company.yaml"), "--data", bad)
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "bad.csv:2: metric leads: value \"abc\" is not a number")
	db := filepath.Join(dir, "w.db")
	_, _, code = run(t, "", "ask", "--profile", filepath.Join(dir, "ws", "company.yaml"), "--data", bad, "--db", db, "why?")
	require.Equal(t, 2, code)
	out, _, _ := run(t, "", "review", "list", "--db", db, "--json")
	require.Equal(t, "[]\n", out, "nothing half-written")
}

// A data file rewritten with a quoted field cut short used to panic the reader, and so
// the server at every reload and restart. Now the reload is refused with file:line, the
// last good snapshot stays and the server keeps answering.
func TestServeReloadMeetsTruncatedFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ws := filepath.Join(dir, "rossi")
	_, _, err := sample.Write(ws)
	require.NoError(t, err)
	opsAddr := freeAddr(t)
	out := started(t, []string{"DATABASE_URL=", "WHYBOT_LOG_LEVEL=info"},
		"serve", "--db", filepath.Join(dir, "w.db"), "--workspace", ws, "--ops", opsAddr, "--poll", "50ms", "--kpi-reload", "200ms")
	healthy := func() bool {
		resp, err := http.Get("http://" + opsAddr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
	require.Eventually(t, healthy, 20*time.Second, 50*time.Millisecond, out.String())
	require.NoError(t, os.WriteFile(filepath.Join(ws, "kpis.csv"), []byte("period,leads\n2026-09,5\n\"2026-10,7"), 0o644))
	require.Eventually(t, func() bool { return strings.Count(out.String(), "KPI reload refused") >= 2 }, 20*time.Second, 50*time.Millisecond, out.String())
	require.Contains(t, out.String(), "kpis.csv:3: extraneous or missing \\\" in quoted-field")
	require.True(t, healthy(), "the server keeps answering")
	require.NotContains(t, out.String(), "panic")
}

// review list in pages: --limit, then --after the last id of the page.
func TestReviewListPages(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "w.db")
	_, _, code := run(t, "", "init", filepath.Join(dir, "ws"))
	require.Zero(t, code)
	prof, data := filepath.Join(dir, "ws", "company.yaml"), filepath.Join(dir, "ws", "kpis.csv")
	var drafts []string
	for range 3 {
		out, stderr, code := run(t, "", "ask", "--profile", prof, "--data", data, "--db", db, "--json", "why did leads rise 30%?")
		require.Zero(t, code, stderr)
		var r map[string]any
		require.NoError(t, json.Unmarshal([]byte(out), &r))
		out, stderr, code = run(t, "", "ask", "--db", db, "--thread", r["thread"].(string), "--json", "answer anyway")
		require.Zero(t, code, stderr)
		require.NoError(t, json.Unmarshal([]byte(out), &r))
		drafts = append(drafts, r["draft"].(map[string]any)["id"].(string))
	}
	ids := func(args ...string) []string {
		out, stderr, code := run(t, "", append([]string{"review", "list", "--db", db, "--json"}, args...)...)
		require.Zero(t, code, stderr)
		var list []map[string]any
		require.NoError(t, json.Unmarshal([]byte(out), &list))
		var got []string
		for _, d := range list {
			got = append(got, d["id"].(string))
			require.Equal(t, "anna", d["asker"], "the sample's default asker, from the thread")
		}
		return got
	}
	require.Equal(t, drafts, ids(), "all, oldest first")
	require.Equal(t, drafts[:2], ids("--limit", "2"))
	require.Equal(t, drafts[2:], ids("--limit", "2", "--after", drafts[1]))
	_, stderr, code := run(t, "", "review", "list", "--db", db, "--limit", "501")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "--limit takes 1 to 500")
}

// A workspace folder that does not validate is set aside at start, named with its
// file:line problem, and the others are served; config check names it too.
func TestServeSetsABadWorkspaceAside(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "rossi"), filepath.Join(dir, "bianchi")
	_, _, err := sample.Write(good)
	require.NoError(t, err)
	prof, data, err := sample.Write(bad)
	require.NoError(t, err)
	y, err := os.ReadFile(prof)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(prof, []byte(strings.Replace(string(y), "workspace: meccanica_rossi", "workspace: forno_bianchi", 1)), 0o644))
	require.NoError(t, os.WriteFile(data, []byte("period,metric,value\n2026-10,leads,molti\n"), 0o644))

	out, _, code := runWith(t, []string{"DATABASE_URL=", "WHYBOT_WORKSPACES=" + good + ":" + bad}, "config", "check", "--db", filepath.Join(dir, "c.db"))
	require.Equal(t, 2, code, out)
	require.Contains(t, out, "FAIL  workspace "+bad)
	require.Contains(t, out, "kpis.csv:2")
	require.Contains(t, out, "ok    workspace "+good)

	opsAddr := freeAddr(t)
	log := started(t, []string{"DATABASE_URL="}, "serve", "--db", filepath.Join(dir, "w.db"), "--workspace", good, "--workspace", bad, "--ops", opsAddr, "--poll", "50ms")
	require.Eventually(t, func() bool { return log.Contains("whybot: serving") }, 20*time.Second, 50*time.Millisecond, log.String())
	require.Contains(t, log.String(), "workspace folder "+bad+" is set aside until it is fixed; the others are served")
	require.Contains(t, log.String(), "kpis.csv:2")
	resp, err := http.Get("http://" + opsAddr + "/readyz")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "ready for the others")
	require.Contains(t, string(body), `"warnings":["workspaces: folder `+bad+` is set aside until it is fixed`)

	_, stderr, code := runWith(t, []string{"DATABASE_URL="}, "serve", "--db", filepath.Join(dir, "x.db"), "--workspace", bad)
	require.Equal(t, 2, code, "every folder set aside: nothing to serve")
	require.Contains(t, stderr, "kpis.csv:2")
}

// config check builds every stored workspace as serve would: one whose data no longer
// validates is named, with its file:line.
func TestConfigCheckNamesAStoredWorkspaceSetAside(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "w.db")
	prof, data, err := sample.Write(filepath.Join(dir, "ws"))
	require.NoError(t, err)
	_, stderr, code := runWith(t, []string{"DATABASE_URL="}, "ask", "--profile", prof, "--data", data, "--db", db, "why did leads rise 30%?")
	require.Zero(t, code, stderr)
	out, _, code := runWith(t, []string{"DATABASE_URL=", "WHYBOT_WORKSPACES="}, "config", "check", "--db", db)
	require.Zero(t, code, out)
	require.Contains(t, out, "ok    stored workspace meccanica_rossi")
	require.NoError(t, os.WriteFile(data, []byte("period,metric,value\n2026-10,leads,molti\n"), 0o644))
	out, _, code = runWith(t, []string{"DATABASE_URL=", "WHYBOT_WORKSPACES="}, "config", "check", "--db", db)
	require.Equal(t, 2, code, out)
	require.Contains(t, out, "FAIL  stored workspace meccanica_rossi: workspace meccanica_rossi is set aside until its profile or data is fixed")
	require.Contains(t, out, "kpis.csv:2")
}
