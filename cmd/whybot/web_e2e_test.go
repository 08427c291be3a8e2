package main_test

import (
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/sample"
	"github.com/whybot/whybot/knowledge/store/pgstore/pgtest"
)

// `whybot demo` through the built binary: it prints where to go and a password that
// signs in, and stops cleanly.
func TestDemo(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	out := started(t, []string{"DATABASE_URL="}, "demo", "--addr", addr)
	require.Eventually(t, func() bool { return out.Contains("Sign in   demo / ") }, 20*time.Second, 50*time.Millisecond, out.String())
	require.Contains(t, out.String(), "http://"+addr+"/")
	require.Contains(t, out.String(), "why did leads rise 30%?")
	password := regexp.MustCompile(`Sign in   demo / (\S+)`).FindStringSubmatch(out.String())[1]

	webLogin(t, addr, "demo", password)
}

// webLogin signs in to a console through its form and checks the redirect to the inbox.
func webLogin(t *testing.T, addr, name, password string) {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get("http://" + addr + "/login")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(string(body))[1]
	req, _ := http.NewRequest("POST", "http://"+addr+"/login", strings.NewReader(url.Values{"csrf": {csrf}, "name": {name}, "password": {password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range resp.Cookies() {
		req.AddCookie(c)
	}
	resp, err = client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "the password signs in")
	require.Equal(t, "/inbox", resp.Header.Get("Location"))
}

// serve --web --ops: the console next to the job worker, with an account made by `user
// add`, and the health endpoints.
func TestServeWeb(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "w.db")
	ws := filepath.Join(dir, "rossi")
	_, _, err := sample.Write(ws)
	require.NoError(t, err)
	addr, opsAddr := freeAddr(t), freeAddr(t)
	out := started(t, []string{"DATABASE_URL="}, "serve", "--db", db, "--workspace", ws, "--web", addr, "--ops", opsAddr, "--poll", "100ms")
	require.Eventually(t, func() bool { return out.Contains("web console on http://" + addr) }, 20*time.Second, 50*time.Millisecond, out.String())
	require.Contains(t, out.String(), "the web console has no accounts yet: create one with `whybot user add")
	_, stderr, code := runIn(t, "a-long-enough-password\n", []string{"DATABASE_URL="}, "user", "add", "sara", "--db", db, "--workspace", "meccanica_rossi", "--password-stdin")
	require.Zero(t, code, stderr)
	webLogin(t, addr, "sara", "a-long-enough-password")

	// the ops address, and the console's, answer the orchestrator's probes
	for path, want := range map[string]string{"http://" + opsAddr + "/healthz": "ok", "http://" + opsAddr + "/readyz": `"ready":true`,
		"http://" + addr + "/healthz": "ok", "http://" + addr + "/readyz": `{"check":"database","status":"ok"}`} {
		resp, err := http.Get(path)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
		require.Contains(t, string(body), want, path)
	}
	// the container's HEALTHCHECK: ready here, not where nothing listens
	hout, herr, code := runWith(t, []string{"WHYBOT_OPS_LISTEN=" + opsAddr}, "health")
	require.Zero(t, code, herr)
	require.Equal(t, "ready\n", hout)
	_, herr, code = runWith(t, nil, "health", "--url", "http://"+freeAddr(t)+"/readyz")
	require.Equal(t, 1, code)
	require.Contains(t, herr, "not healthy")
}

// `whybot user`: accounts only for stored workspaces, a generated password shown once,
// a password from stdin, listing and removal.
func TestUserCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "w.db")
	prof, data, err := sample.Write(filepath.Join(dir, "ws"))
	require.NoError(t, err)
	_, stderr, code := run(t, "", "user", "add", "sara", "--db", db, "--workspace", "meccanica_rossi")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "workspace meccanica_rossi is not stored: load it first")
	_, stderr, code = run(t, "", "ask", "--db", db, "--profile", prof, "--data", data, "why did leads rise 30%?")
	require.Zero(t, code, stderr)

	out, stderr, code := run(t, "", "user", "add", "Sara", "--db", db, "--workspace", "meccanica_rossi")
	require.Zero(t, code, stderr)
	require.Regexp(t, `Password: [A-Za-z0-9]{20}\n`, out)
	_, stderr, code = run(t, "short\n", "user", "add", "bob", "--db", db, "--all", "--password-stdin")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "at least 12 characters")
	out, stderr, code = run(t, "a-long-enough-password\n", "user", "add", "bob", "--db", db, "--all", "--password-stdin")
	require.Zero(t, code, stderr)
	require.NotContains(t, out, "Password:")
	_, stderr, code = run(t, "", "user", "add", "carl", "--db", db)
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "--workspace ID (repeatable) or --all")

	out, _, code = run(t, "", "user", "list", "--db", db)
	require.Zero(t, code)
	require.Regexp(t, `(?m)^bob\s+\*$`, out)
	require.Regexp(t, `(?m)^sara\s+meccanica_rossi$`, out)
	_, _, code = run(t, "", "user", "remove", "bob", "--db", db)
	require.Zero(t, code)
	_, stderr, code = run(t, "", "user", "remove", "bob", "--db", db)
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "there is no account bob")
}

// `whybot version` names the version, the commit and the Go release; build args set the
// first two (the container build passes them).
func TestVersion(t *testing.T) {
	t.Parallel()
	out, _, code := run(t, "", "version")
	require.Zero(t, code)
	require.Regexp(t, `^whybot \S+ \(commit \S+, go1\.\d+`, out)
	withArgs := filepath.Join(t.TempDir(), "whybot")
	pkg := "github.com/whybot/whybot/cmd/whybot/cli"
	b, err := exec.Command("go", "build", "-ldflags", "-X "+pkg+".Version=1.2.3 -X "+pkg+".Commit=0123456789abcdef", "-o", withArgs, ".").CombinedOutput()
	require.NoError(t, err, string(b))
	b, err = exec.Command(withArgs, "version").Output()
	require.NoError(t, err)
	require.Regexp(t, `^whybot 1\.2\.3 \(commit 0123456789ab, go1\.\d+`, string(b))
}

func TestConfigCheck(t *testing.T) {
	t.Parallel()
	out, stderr, code := runWith(t, []string{"DATABASE_URL=postgres://x:hunter2secret@127.0.0.1:1/db", "SLACK_BOT_TOKEN=xoxp-user-secret", "SLACK_APP_TOKEN=xapp-1",
		"WHYBOT_LEASE=abc", "WHYBOT_OPS_LISTEN=9090"}, "config", "check")
	require.Equal(t, 2, code, stderr)
	require.Contains(t, out, `FAIL  shutdown, lease and sweep: WHYBOT_LEASE="abc" is not a duration`)
	require.Contains(t, out, `FAIL  WHYBOT_OPS_LISTEN: WHYBOT_OPS_LISTEN="9090" is not an address`)
	require.Contains(t, out, `FAIL  Slack: SLACK_BOT_TOKEN starts with "xoxp-", not xoxb-`)
	require.Contains(t, out, "FAIL  database: ")
	require.Contains(t, stderr, "4 setting(s) to fix")
	require.NotContains(t, out+stderr, "user-secret")
	require.NotContains(t, out+stderr, "hunter2secret")

	// a usable configuration on a migrated PostgreSQL, with a workspace folder
	db := []string{"DATABASE_URL=" + pgtest.Schema(t)}
	_, stderr, code = runWith(t, db, "migrate", "up")
	require.Zero(t, code, stderr)
	dir := filepath.Join(t.TempDir(), "ws")
	_, _, err := sample.Write(dir)
	require.NoError(t, err)
	out, stderr, code = runWith(t, append(db, "WHYBOT_WORKSPACES="+dir, "WHYBOT_LOG_FORMAT=json", "WHYBOT_OPS_LISTEN=:9090"), "config", "check")
	require.Zero(t, code, out+stderr)
	require.Contains(t, out, "ok    workspace "+dir+": meccanica_rossi")
	require.Contains(t, out, "ok    database: PostgreSQL reachable, schema current")
	require.Contains(t, out, "the configuration is usable")

	// the README's table comes from the binary
	out, _, code = run(t, "", "config", "table")
	require.Zero(t, code)
	require.Contains(t, out, "| `WHYBOT_SHUTDOWN_DRAIN` | `0s` |")
}
