package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/store/pgstore/pgtest"
)

// runWith runs the binary with extra environment settings.
func runWith(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	return runIn(t, "", env, args...)
}

func TestDatabaseURLSchemes(t *testing.T) {
	t.Parallel()
	_, stderr, code := runWith(t, []string{"DATABASE_URL=mysql://u@h/db"}, "migrate", "status")
	require.NotZero(t, code)
	require.Contains(t, stderr, `DATABASE_URL scheme "mysql" is not supported`)
	require.Contains(t, stderr, "postgres://")
	require.Contains(t, stderr, "leave DATABASE_URL empty")

	db := filepath.Join(t.TempDir(), "w.db")
	out, stderr, code := runWith(t, []string{"DATABASE_URL="}, "migrate", "status", "--db", db)
	require.Equal(t, 2, code, stderr)
	require.Contains(t, out, fmt.Sprintf("sqlite schema: version 0 of %d", latestSchema(t)))
	require.Contains(t, stderr, "run `whybot migrate up`")
	out, stderr, code = runWith(t, []string{"DATABASE_URL="}, "migrate", "up", "--db", db)
	require.Zero(t, code, stderr)
	require.Contains(t, out, fmt.Sprintf("version 0 → %d", latestSchema(t)))

	// serve on the embedded store: the in-process job worker, stopped by SIGTERM
	cmd := exec.Command(bin, "serve", "--db", db, "--poll", "100ms")
	cmd.Env = append(os.Environ(), "DATABASE_URL=")
	var serr lockedBuffer
	cmd.Stderr = &serr
	require.NoError(t, cmd.Start())
	require.Eventually(t, func() bool { return serr.Contains("SQLite store, jobs in-process") }, 10*time.Second, 50*time.Millisecond)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), serr.String())
}

// lockedBuffer is a bytes.Buffer safe to read while a process writes to it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *lockedBuffer) Contains(s string) bool { return strings.Contains(l.String(), s) }

func TestPostgresEndToEnd(t *testing.T) {
	t.Parallel()
	env := []string{"DATABASE_URL=" + pgtest.Schema(t)}
	dir := t.TempDir()
	_, _, code := runWith(t, env, "init", filepath.Join(dir, "ws"))
	require.Zero(t, code)
	prof, data := filepath.Join(dir, "ws", "company.yaml"), filepath.Join(dir, "ws", "kpis.csv")

	// an unmigrated database is refused, with the command that fixes it
	_, stderr, code := runWith(t, env, "serve")
	require.NotZero(t, code)
	require.Contains(t, stderr, fmt.Sprintf("this whybot needs %d: run `whybot migrate up`", latestSchema(t)))
	_, stderr, code = runWith(t, env, "ask", "--profile", prof, "--data", data, "why did leads rise 30%?")
	require.NotZero(t, code)
	require.Contains(t, stderr, "whybot migrate up")

	out, stderr, code := runWith(t, env, "migrate", "up", "--json")
	require.Zero(t, code, stderr)
	var st map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &st))
	require.Equal(t, "postgres", st["backend"])
	require.EqualValues(t, latestSchema(t), st["current"])

	out, stderr, code = runWith(t, env, "ask", "--profile", prof, "--data", data, "--json", "perché i lead sono aumentati del 30%?")
	require.Zero(t, code, stderr)
	var r map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	out, stderr, code = runWith(t, env, "ask", "--thread", r["thread"].(string), "--as", "anna", "--json", "rispondi comunque")
	require.Zero(t, code, stderr)
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	require.Equal(t, "pending_approval", r["state"])
	cites := r["knowledge"].([]any)
	require.NotEmpty(t, cites, "the draft cites the company's documents")
	require.Equal(t, "doc:playbook-commerciale.md", cites[0].(map[string]any)["source"])
	require.Contains(t, r["draft"].(map[string]any)["text"], "Playbook commerciale")

	out, stderr, code = runWith(t, env, "review", "show", r["draft"].(map[string]any)["id"].(string))
	require.Zero(t, code, stderr)
	require.Contains(t, out, "company knowledge quoted:\n  doc:playbook-commerciale.md (Playbook commerciale): ", "the reviewer sees the source")

	out, stderr, code = runWith(t, env, "knowledge", "list")
	require.Zero(t, code, stderr)
	require.Contains(t, out, "doc:playbook-commerciale.md")
	require.Contains(t, out, "whybot-ngram-v1 (256 dimensions)")

	out, stderr, code = runWith(t, env, "review", "approve", r["draft"].(map[string]any)["id"].(string), "--as", "luca")
	require.Zero(t, code, stderr)
	require.Contains(t, out, "=== posted")
	out, stderr, code = runWith(t, env, "knowledge", "search", "--json", "perché i lead sono aumentati")
	require.Zero(t, code, stderr)
	require.Contains(t, out, `"source": "answer:`, "the approved answer is now company knowledge")

	// a changed embedder is refused until reindexed
	_, stderr, code = runWith(t, append(env, "WHYBOT_EMBEDDER=openai", "WHYBOT_EMBED_MODEL=text-embedding-3-small", "WHYBOT_EMBED_DIM=512", "OPENAI_BASE_URL=http://127.0.0.1:1/v1"), "knowledge", "search", "lead")
	require.NotZero(t, code)
	require.Contains(t, stderr, "embed with openai:text-embedding-3-small")

	// serve starts on the migrated database and stops cleanly on SIGTERM
	cmd := exec.Command(bin, "serve", "--poll", "200ms")
	cmd.Env = append(os.Environ(), env...)
	var serr lockedBuffer
	cmd.Stderr = &serr
	require.NoError(t, cmd.Start())
	// a loaded CI machine (every package's tests at once) can take many seconds to get here
	require.Eventually(t, func() bool { return serr.Contains("PostgreSQL store, jobs on River") }, time.Minute, 50*time.Millisecond, "serve's log: %s", &serr)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), serr.String())
}

// latestSchema is the version the migrations bring a database to: their count (both
// backends have the same, mirrored).
func latestSchema(t *testing.T) int {
	t.Helper()
	m, err := filepath.Glob("../../knowledge/store/sqlitestore/migrations/*.sql")
	require.NoError(t, err)
	p, err := filepath.Glob("../../knowledge/store/pgstore/migrations/*.sql")
	require.NoError(t, err)
	require.Len(t, p, len(m), "the two backends' migrations are mirrored")
	return len(m)
}
