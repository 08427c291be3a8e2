package main_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/slack/slackfake"
	"github.com/whybot/whybot/knowledge/sample"
	"github.com/whybot/whybot/knowledge/store/pgstore/pgtest"
)

// gate sits between one replica and the fake Slack. It can hold that replica's
// chat.postMessage calls, so a test knows which replica is about to post and can stop
// it there; a held call whose replica died is dropped, as Slack never received it.
type gate struct {
	srv  *httptest.Server
	mu   sync.Mutex
	hold chan struct{} // closed: let held posts through; nil: not holding
	held chan struct{} // a post is being held
	gone chan struct{} // a held post's replica went away: the post was dropped
	sent []string      // bodies of the posts that went through
	came []string      // bodies of every post that reached the gate
}

// arrived counts the posts that reached the gate (held, sent or not) containing parts.
func (g *gate) arrived(parts ...string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return countWith(g.came, parts)
}

// forwarded counts the posts that went through containing every one of parts.
func (g *gate) forwarded(parts ...string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return countWith(g.sent, parts)
}

func countWith(bodies, parts []string) int {
	n := 0
next:
	for _, b := range bodies {
		for _, p := range parts {
			if !strings.Contains(b, p) {
				continue next
			}
		}
		n++
	}
	return n
}

type failedKey struct{}

func newGate(t *testing.T, fake *slackfake.Server) *gate {
	t.Helper()
	target, err := url.Parse(fake.URL())
	require.NoError(t, err)
	g := &gate{held: make(chan struct{}, 100), gone: make(chan struct{}, 100)}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ErrorHandler = func(w http.ResponseWriter, r *http.Request, _ error) {
		*r.Context().Value(failedKey{}).(*bool) = true // the replica went away mid-call
		w.WriteHeader(http.StatusBadGateway)
	}
	quit := make(chan struct{})
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/chat.postMessage") {
			proxy.ServeHTTP(w, r)
			return
		}
		// the body is read first: then the server notices when the replica goes away
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		g.mu.Lock()
		hold := g.hold
		form, _ := url.QueryUnescape(string(body))
		g.came = append(g.came, form)
		g.mu.Unlock()
		if hold != nil {
			g.held <- struct{}{}
			select {
			case <-hold:
			case <-quit:
				return
			case <-r.Context().Done():
				g.gone <- struct{}{}
				return // the replica is gone: Slack never gets this post
			}
		}
		failed := false
		proxy.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), failedKey{}, &failed)))
		if !failed {
			g.mu.Lock()
			g.sent = append(g.sent, form)
			g.mu.Unlock()
		}
	}))
	t.Cleanup(g.srv.Close)
	t.Cleanup(func() { close(quit) }) // runs first: held posts let go, so Close returns
	return g
}

// Hold starts holding posts; the returned func lets them (and later ones) through.
func (g *gate) Hold() func() {
	g.mu.Lock()
	defer g.mu.Unlock()
	ch := make(chan struct{})
	g.hold = ch
	return func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.hold == ch {
			g.hold = nil
		}
		close(ch)
	}
}

// replica is one `whybot serve` process in Slack HTTP mode.
type replica struct {
	name       string
	cmd        *exec.Cmd
	stderr     *lockedBuffer
	base, ops  string // http://… of the Slack endpoints and of the health endpoints
	gate       *gate
	done       chan struct{}
	exitErr    error
	slackAddr  string
	env        []string
	workspaces string
}

func startReplica(t *testing.T, name string, g *gate, env []string, dir string) *replica {
	t.Helper()
	r := &replica{name: name, gate: g, slackAddr: freeAddr(t), ops: "http://" + freeAddr(t), env: env, workspaces: dir}
	r.base = "http://" + r.slackAddr
	r.start(t)
	return r
}

func (r *replica) start(t *testing.T) {
	t.Helper()
	r.cmd = exec.Command(bin, "serve", "--workspace", r.workspaces, "--poll", "100ms")
	r.cmd.Env = append(os.Environ(), append([]string{"SLACK_BOT_TOKEN=xoxb-test", "SLACK_API_URL=" + r.gate.srv.URL + "/",
		"SLACK_SIGNING_SECRET=" + signingSecret, "SLACK_LISTEN=" + r.slackAddr, "WHYBOT_OPS_LISTEN=" + strings.TrimPrefix(r.ops, "http://"),
		"WHYBOT_LOG_LEVEL=info"}, r.env...)...)
	r.stderr = &lockedBuffer{}
	r.cmd.Stderr = r.stderr
	require.NoError(t, r.cmd.Start())
	r.done = make(chan struct{})
	go func() { r.exitErr = r.cmd.Wait(); close(r.done) }()
	t.Cleanup(func() {
		select {
		case <-r.done:
			return
		default:
		}
		_ = r.cmd.Process.Signal(syscall.SIGTERM)
		<-r.done
	})
	require.Eventually(t, func() bool { return r.stderr.Contains("Slack over HTTP on " + r.slackAddr) }, 30*time.Second, 50*time.Millisecond, r.stderr.String())
}

func (r *replica) exited() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// readiness is what /readyz says, for a failure's message.
func (r *replica) readiness() string {
	resp, err := http.Get(r.ops + "/readyz")
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.Status + " " + string(b)
}

func (r *replica) ready() int {
	resp, err := http.Get(r.ops + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// twoReplicas starts two `whybot serve` processes on one migrated PostgreSQL schema,
// each behind its own gate to one fake Slack.
func twoReplicas(t *testing.T, extraEnv ...string) (*slackfake.Server, [2]*replica) {
	t.Helper()
	fake := slackfake.New(t)
	dbEnv := []string{"DATABASE_URL=" + pgtest.Schema(t)}
	_, stderr, code := runWith(t, dbEnv, "migrate", "up")
	require.Zero(t, code, stderr)
	dir := filepath.Join(t.TempDir(), "rossi")
	prof, _, err := sample.Write(dir)
	require.NoError(t, err)
	y, err := os.ReadFile(prof)
	require.NoError(t, err)
	// anna, the owner, reviews too: two reviewers
	y2 := strings.Replace(string(y), "role: owner, slack: U0ANNA", "role: owner, reviewer: true, slack: U0ANNA", 1)
	require.NotEqual(t, string(y), y2)
	require.NoError(t, os.WriteFile(prof, []byte(y2), 0o644))
	env := append(dbEnv, extraEnv...)
	var rs [2]*replica
	var wg sync.WaitGroup
	for i, name := range []string{"a", "b"} {
		g := newGate(t, fake)
		wg.Go(func() { rs[i] = startReplica(t, name, g, env, dir) })
	}
	wg.Wait()
	for _, r := range rs {
		require.NotNil(t, r, "a replica did not start")
	}
	return fake, rs
}

// heldBy waits until one of the replicas has a post held at its gate, and returns it.
func heldBy(t *testing.T, rs [2]*replica) *replica {
	t.Helper()
	select {
	case <-rs[0].gate.held:
		return rs[0]
	case <-rs[1].gate.held:
		return rs[1]
	case <-time.After(30 * time.Second):
		t.Fatalf("no replica tried to post\n--- a:\n%s\n--- b:\n%s", rs[0].stderr, rs[1].stderr)
		return nil
	}
}

// stays checks that cond still holds after a while (nothing else arrives late).
func stays(t *testing.T, d time.Duration, cond func() bool, msg string) {
	t.Helper()
	require.Never(t, func() bool { return !cond() }, d, 50*time.Millisecond, msg)
}

// askAndDraft asks a question through replica r, answers it and returns the review card.
func askAndDraft(t *testing.T, fake *slackfake.Server, r *replica, id, q string) map[string]string {
	t.Helper()
	cards := len(fake.Posts("C0REVIEW", ""))
	require.Equal(t, 200, signed(t, r.base, "/slack/events", "application/json", mentionEvent(id+"q", "U0ANNA", q, "", "<@UBOT> perché i lead sono aumentati del 30%?")))
	require.Eventually(t, func() bool { return len(fake.Posts("C1", q)) == 1 }, 30*time.Second, 20*time.Millisecond)
	require.Equal(t, 200, signed(t, r.base, "/slack/events", "application/json", mentionEvent(id+"a1", "U0GIULIA", q+"1", q, "solo il 40% è in target")))
	require.Equal(t, 200, signed(t, r.base, "/slack/events", "application/json", mentionEvent(id+"a2", "U0ANNA", q+"2", q, "rispondi comunque")))
	return latestCard(t, fake, cards)
}

// latestCard waits for the review cards after the first `before` to stop coming and
// returns the last. Two answers of one thread may be handled in either order (on either
// replica): when "answer anyway" comes first, the answer after it makes a new draft that
// supersedes the first, and a second card.
func latestCard(t *testing.T, fake *slackfake.Server, before int) map[string]string {
	t.Helper()
	require.Eventually(t, func() bool { return len(fake.Posts("C0REVIEW", "")) > before }, 30*time.Second, 20*time.Millisecond)
	n := len(fake.Posts("C0REVIEW", ""))
	require.Eventually(t, func() bool { // no further card for a while: both answers handled
		m := len(fake.Posts("C0REVIEW", ""))
		defer func() { n = m }()
		return m == n
	}, 10*time.Second, 1500*time.Millisecond)
	require.LessOrEqual(t, n-before, 2, "one draft per order of the two answers, at most")
	return fake.Posts("C0REVIEW", "")[n-1]
}

// answers are the approved answers posted in a thread (they carry the draft's key).
func answers(fake *slackfake.Server, q string) int {
	n := 0
	for _, p := range fake.Posts("C1", q) {
		if strings.Contains(p["metadata"], "whybot_answer") {
			n++
		}
	}
	return n
}

// TestTwoReplicas runs two `whybot serve` processes against one PostgreSQL, in Slack HTTP
// mode, and checks what a load balancer in front of them would put them through.
func TestTwoReplicas(t *testing.T) {
	t.Parallel()
	fake, rs := twoReplicas(t, "WHYBOT_LEASE=3s", "WHYBOT_SWEEP_EVERY=1s", "WHYBOT_SHUTDOWN_DRAIN=1s")
	a, b := rs[0], rs[1]
	for _, r := range rs { // as a load balancer does, wait for each to say it is ready
		require.Eventually(t, func() bool { return r.ready() == 200 }, 20*time.Second, 50*time.Millisecond, "%s\n/readyz: %s", r.stderr, r.readiness())
	}

	// 1. the same signed event on both replicas at once (a Slack retry landing on the
	// other replica): one thread, one set of clarifying questions
	const q1 = "1700000300.000001"
	ev := mentionEvent("EvR1", "U0ANNA", q1, "", "<@UBOT> perché i lead sono aumentati del 30%?")
	var wg sync.WaitGroup
	for _, r := range rs {
		wg.Go(func() { require.Equal(t, 200, signed(t, r.base, "/slack/events", "application/json", ev)) })
	}
	wg.Wait()
	require.Eventually(t, func() bool { return len(fake.Posts("C1", q1)) == 1 }, 30*time.Second, 20*time.Millisecond, "a:\n%s\nb:\n%s", a.stderr, b.stderr)
	stays(t, 1500*time.Millisecond, func() bool { return len(fake.Posts("C1", q1)) == 1 }, "the retry on the other replica asked again")
	require.Contains(t, fake.Posts("C1", q1)[0]["text"], "<@U0GIULIA>")

	// the answers arrive on alternating replicas; the latest card is the one to review
	require.Equal(t, 200, signed(t, b.base, "/slack/events", "application/json", mentionEvent("EvR1a1", "U0GIULIA", q1+"1", q1, "solo il 40% è in target")))
	require.Equal(t, 200, signed(t, a.base, "/slack/events", "application/json", mentionEvent("EvR1a2", "U0ANNA", q1+"2", q1, "rispondi comunque")))
	card := latestCard(t, fake, 0)
	value := cardDraft(t, card)

	// 2. two reviewers press Approve at the same moment, on different replicas: one post
	start := make(chan struct{})
	for i, who := range []string{"U0LUCA", "U0ANNA"} {
		wg.Go(func() {
			<-start
			require.Equal(t, 200, signed(t, rs[i].base, "/slack/interactions", ctForm, approveForm(who, card, value)))
		})
	}
	close(start)
	wg.Wait()
	require.Eventually(t, func() bool { return answers(fake, q1) == 1 }, 30*time.Second, 20*time.Millisecond, "a:\n%s\nb:\n%s", a.stderr, b.stderr)
	stays(t, 2*time.Second, func() bool { return answers(fake, q1) == 1 }, "a concurrent approval posted twice")

	// 3. the replica posting an approved answer is killed (SIGKILL) before Slack has it:
	// the survivor posts it, exactly once, when the lease runs out
	const q2 = "1700000400.000001"
	card2 := askAndDraft(t, fake, a, "EvR2", q2)
	release := [2]func(){a.gate.Hold(), b.gate.Hold()}
	require.Equal(t, 200, signed(t, a.base, "/slack/interactions", ctForm, approveForm("U0LUCA", card2, cardDraft(t, card2))))
	victim := heldBy(t, rs)
	survivor := a
	if victim == a {
		survivor = b
	}
	require.NoError(t, victim.cmd.Process.Kill())
	<-victim.done
	select {
	case <-victim.gate.gone:
	case <-time.After(10 * time.Second):
		t.Fatal("the killed replica's post is still held")
	}
	for _, r := range release {
		r()
	}
	require.Eventually(t, func() bool { return answers(fake, q2) == 1 }, 60*time.Second, 50*time.Millisecond, "survivor %s:\n%s", survivor.name, survivor.stderr)
	stays(t, 2*time.Second, func() bool { return answers(fake, q2) == 1 }, "the answer was posted twice")
	require.Zero(t, victim.gate.forwarded(q2, "whybot_answer"), "the killed replica's post never reached Slack")
	require.Equal(t, 1, survivor.gate.forwarded(q2, "whybot_answer"), "the survivor posted it")

	// the killed replica restarts; nothing of the above is posted again
	victim.start(t)
	stays(t, 2*time.Second, func() bool { return answers(fake, q1) == 1 && answers(fake, q2) == 1 }, "a restart re-posted")

	// 4. SIGTERM while a question's post is held past the call timeout (a quarter of the
	// lease, at least 1 s): the replica stops being ready, gives up on the post and exits
	// cleanly within its grace; the delivery is retried on the other replica, and the
	// question is asked once
	const q3 = "1700000500.000001"
	rel := [2]func(){a.gate.Hold(), b.gate.Hold()}
	require.Equal(t, 200, signed(t, a.base, "/slack/events", "application/json", mentionEvent("EvR3", "U0ANNA", q3, "", "<@UBOT> perché i lead sono aumentati del 30%?")))
	busy := heldBy(t, rs)
	require.NoError(t, busy.cmd.Process.Signal(syscall.SIGTERM))
	require.Eventually(t, func() bool { return busy.ready() == 503 }, 5*time.Second, 10*time.Millisecond, "not ready once told to stop")
	select {
	case <-busy.done:
		require.NoError(t, busy.exitErr, busy.stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("the replica did not stop")
	}
	for _, r := range rel {
		r()
	}
	require.Eventually(t, func() bool { return len(fake.Posts("C1", q3)) == 1 }, 30*time.Second, 20*time.Millisecond)
	require.Contains(t, fake.Posts("C1", q3)[0]["text"], "<@U0GIULIA>")
	busy.start(t)
	stays(t, 1500*time.Millisecond, func() bool { return len(fake.Posts("C1", q3)) == 1 }, "the question was handled twice")

	// 5. Slack takes longer than the lease to answer an approved answer's post: the
	// replica gives up at its call timeout, and the retry (either replica) finds the post in
	// the thread by its key instead of posting again
	const q4 = "1700000600.000001"
	card4 := askAndDraft(t, fake, a, "EvR4", q4)
	fake.Slow("C1", 4*time.Second)
	require.Equal(t, 200, signed(t, b.base, "/slack/interactions", ctForm, approveForm("U0LUCA", card4, cardDraft(t, card4))))
	require.Eventually(t, func() bool { return answers(fake, q4) == 1 }, 30*time.Second, 20*time.Millisecond)
	require.Eventually(t, func() bool { return posted(t, a, "slack-C1-"+q4) }, 60*time.Second, 200*time.Millisecond, "a:\n%s\nb:\n%s", a.stderr, b.stderr)
	fake.Slow("", 0)
	require.Equal(t, 1, answers(fake, q4), "posted once, though Slack answered after the lease")

	// 6. SIGKILL while Slack is processing the post: after the lease, the survivor finds
	// the post in the thread and records it; nothing is posted twice, also after a restart
	const q5 = "1700000700.000001"
	card5 := askAndDraft(t, fake, a, "EvR5", q5)
	fake.Slow("C1", 20*time.Second)
	require.Equal(t, 200, signed(t, a.base, "/slack/interactions", ctForm, approveForm("U0LUCA", card5, cardDraft(t, card5))))
	var dying *replica
	require.Eventually(t, func() bool {
		for _, r := range rs {
			if r.gate.arrived(q5, "whybot_answer") > 0 {
				dying = r
			}
		}
		return dying != nil
	}, 30*time.Second, 5*time.Millisecond)
	require.NoError(t, dying.cmd.Process.Kill())
	<-dying.done
	fake.Slow("", 0)
	require.Equal(t, 1, answers(fake, q5), "Slack has it")
	require.Eventually(t, func() bool { return posted(t, survivorOf(rs, dying), "slack-C1-"+q5) }, 60*time.Second, 200*time.Millisecond, "a:\n%s\nb:\n%s", a.stderr, b.stderr)
	dying.start(t)
	stays(t, 2*time.Second, func() bool { return answers(fake, q5) == 1 }, "posted twice after the kill")
}

func survivorOf(rs [2]*replica, dead *replica) *replica {
	if rs[0] == dead {
		return rs[1]
	}
	return rs[0]
}

// posted reports whether a thread's audit trail ends in a post (whybot audit on the
// replicas' database).
func posted(t *testing.T, r *replica, thread string) bool {
	t.Helper()
	out, _, code := runWith(t, r.env, "audit", thread, "--json")
	return code == 0 && strings.Contains(out, `"kind": "posted"`)
}
