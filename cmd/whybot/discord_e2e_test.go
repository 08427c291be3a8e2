package main_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/discord"
	"github.com/whybot/whybot/bot/discord/discordfake"
	"github.com/whybot/whybot/bot/slack/slackfake"
	"github.com/whybot/whybot/knowledge/sample"
)

const (
	dGuild  = "2000000000000000001"
	dAsked  = "5000000000000000001"
	dReview = "3000000000000000001"
	dAnna   = "1000000000000000003"
	dGiulia = "1000000000000000001"
	dLuca   = "1000000000000000004"
)

// discordServe starts `whybot serve` on the sample workspace with Discord settings.
func discordServe(t *testing.T, fake *discordfake.Fake, env ...string) *lockedBuffer {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "rossi")
	_, _, err := sample.Write(dir)
	require.NoError(t, err)
	cmd := exec.Command(bin, "serve", "--db", filepath.Join(t.TempDir(), "w.db"), "--workspace", dir, "--poll", "100ms")
	cmd.Env = append(os.Environ(), append([]string{"DATABASE_URL=", "DISCORD_BOT_TOKEN=" + discordfake.Token, "DISCORD_APP_ID=" + discordfake.AppID,
		"DISCORD_API_URL=" + fake.URL(), "WHYBOT_LOG_LEVEL=info"}, env...)...)
	var serr lockedBuffer
	cmd.Stderr = &serr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		require.NoError(t, cmd.Wait(), serr.String())
	})
	return &serr
}

func TestServeDiscordHTTP(t *testing.T) {
	t.Parallel()
	fake := discordfake.New(t)
	pub, priv, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	addr := freeAddr(t)
	serr := discordServe(t, fake, "DISCORD_PUBLIC_KEY="+hex.EncodeToString(pub), "DISCORD_LISTEN="+addr)
	require.Eventually(t, func() bool { return serr.Contains("Discord interactions over HTTP on " + addr) }, 20*time.Second, 50*time.Millisecond, serr.String())
	send := func(v map[string]any) map[string]any {
		body, _ := json.Marshal(v)
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/discord/interactions", bytes.NewReader(body))
		req.Header.Set("X-Signature-Timestamp", ts)
		req.Header.Set("X-Signature-Ed25519", discord.Sign(priv, ts, body))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode)
		var out map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		return out
	}
	member := func(id string) map[string]any {
		return map[string]any{"user": map[string]any{"id": id, "username": "u" + id}, "roles": []string{}}
	}

	// PING, then /why: deferred, then the question and its thread
	require.EqualValues(t, 1, send(map[string]any{"id": "1", "type": 1, "application_id": discordfake.AppID, "token": "t"})["type"])
	fake.Interaction("tok-why", dAsked)
	out := send(map[string]any{"id": "1400000000000000001", "application_id": discordfake.AppID, "type": 2, "token": "tok-why", "guild_id": dGuild, "channel_id": dAsked,
		"member": member(dAnna), "data": map[string]any{"id": "1", "name": "why", "type": 1, "options": []map[string]any{{"name": "question", "type": 3, "value": "perché i lead sono aumentati del 30%?"}}}})
	require.EqualValues(t, 5, out["type"])
	require.Eventually(t, func() bool {
		return len(fake.Messages(dAsked)) == 1 && fake.Thread(fake.Messages(dAsked)[0].ID) == dAsked
	}, 10*time.Second, 20*time.Millisecond, serr.String())
	thread := fake.Messages(dAsked)[0].ID
	require.Eventually(t, func() bool { return len(fake.Messages(thread)) == 1 }, 10*time.Second, 20*time.Millisecond)
	require.Contains(t, fake.Messages(thread)[0].Content(), "<@"+dGiulia+">")

	// /why inside the thread is the next turn: the asker wants an answer anyway
	fake.Interaction("tok-why2", thread)
	send(map[string]any{"id": "1400000000000000002", "application_id": discordfake.AppID, "type": 2, "token": "tok-why2", "guild_id": dGuild, "channel_id": thread,
		"member": member(dAnna), "data": map[string]any{"id": "1", "name": "why", "type": 1, "options": []map[string]any{{"name": "question", "type": 3, "value": "perché i lead sono aumentati del 30%? rispondi comunque"}}}})
	require.Eventually(t, func() bool { return len(fake.Messages(dReview)) >= 1 }, 10*time.Second, 20*time.Millisecond, serr.String())
	card := fake.Messages(dReview)[0]
	var draft string
	for _, row := range card.Body["components"].([]any) {
		for _, b := range row.(map[string]any)["components"].([]any) {
			if id := b.(map[string]any)["custom_id"].(string); len(id) > len("whybot:approve:") && id[:15] == "whybot:approve:" {
				draft = id[15:]
			}
		}
	}
	require.NotEmpty(t, draft, jsonOf(card.Body))

	// Approve: the answer is posted once in its thread, the card edited
	out = send(map[string]any{"id": "1400000000000000003", "application_id": discordfake.AppID, "type": 3, "token": "tok-ok", "guild_id": dGuild, "channel_id": dReview,
		"member": member(dLuca), "message": map[string]any{"id": card.ID, "channel_id": dReview}, "data": map[string]any{"custom_id": "whybot:approve:" + draft, "component_type": 2}})
	require.EqualValues(t, 6, out["type"])
	require.Eventually(t, func() bool {
		return len(fake.Calls("PATCH /channels/"+dReview+"/messages/"+card.ID)) >= 1 && len(fake.Calls("POST /channels/")) > 0 && fake.Messages(dReview)[0].Edits >= 1
	}, 10*time.Second, 20*time.Millisecond, serr.String())
	posted := func() (n int) {
		for _, m := range fake.Messages(thread) {
			if strings.Contains(m.Content(), "Prossimo passo") { // the answer (every bot message carries a nonce)
				n++
			}
		}
		return n
	}
	require.Eventually(t, func() bool { return posted() == 1 }, 10*time.Second, 20*time.Millisecond, serr.String())
	require.Eventually(t, func() bool {
		return bytes.Contains([]byte(jsonOf(fake.Messages(dReview)[0].Body)), []byte("Approvata da"))
	}, 10*time.Second, 20*time.Millisecond)
	time.Sleep(300 * time.Millisecond) // a second post would have landed by now (poll is 100 ms)
	require.Equal(t, 1, posted(), "posted once")
}

func TestServeDiscordGateway(t *testing.T) {
	t.Parallel()
	fake := discordfake.New(t)
	serr := discordServe(t, fake)
	require.Eventually(t, func() bool { return serr.Contains("Discord over the gateway as whybot") }, 20*time.Second, 50*time.Millisecond, serr.String())
	require.Contains(t, serr.String(), "does not have the Message Content intent")
	fake.Connected(t)
	require.Len(t, fake.Identify(), 1)

	// a mention over the gateway starts a conversation in a thread
	fake.Dispatch(t, "MESSAGE_CREATE", map[string]any{"id": "1500000000000000001", "channel_id": dAsked, "guild_id": dGuild, "type": 0,
		"content": "<@" + discordfake.BotUser + "> why did leads rise 30%?", "author": map[string]any{"id": dAnna, "username": "anna"},
		"mentions": []map[string]any{{"id": discordfake.BotUser}}})
	require.Eventually(t, func() bool { return len(fake.Messages("1500000000000000001")) == 1 }, 10*time.Second, 20*time.Millisecond, serr.String())
	require.Contains(t, fake.Messages("1500000000000000001")[0].Content(), "<@"+dGiulia+">")
}

func TestServeDiscordSettingsRefused(t *testing.T) {
	t.Parallel()
	_, stderr, code := runWith(t, []string{"DISCORD_BOT_TOKEN=Bot abc.def.secretsecretsecretsecret", "DISCORD_APP_ID=12"}, "serve")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "the Discord settings are not usable")
	require.Contains(t, stderr, `DISCORD_BOT_TOKEN starts with "Bot "`)
	require.Contains(t, stderr, `DISCORD_APP_ID "12" is not an application id`)
	require.NotContains(t, stderr, "secretsecret")

	// a token Discord refuses stops start-up with what to do
	fake := discordfake.New(t)
	dir := filepath.Join(t.TempDir(), "ws")
	_, _, err := sample.Write(dir)
	require.NoError(t, err)
	_, stderr, code = runWith(t, []string{"DATABASE_URL=", "DISCORD_BOT_TOKEN=MTAwMDAwMDAwMDAwMDAwMDAwMQ.GfAkEt.revoked-token-0000000000000000", "DISCORD_APP_ID=" + discordfake.AppID,
		"DISCORD_API_URL=" + fake.URL()}, "serve", "--db", filepath.Join(t.TempDir(), "w.db"), "--workspace", dir)
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "DISCORD_BOT_TOKEN was refused by Discord (401)")

	// registering /why: globally and in the workspace's server
	stdout, stderr, code := runWith(t, []string{"DISCORD_BOT_TOKEN=" + discordfake.Token, "DISCORD_APP_ID=" + discordfake.AppID, "DISCORD_API_URL=" + fake.URL()},
		"discord", "register", "--workspace", dir)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "registered /why globally")
	require.Contains(t, stdout, dGuild)
	require.Len(t, fake.Calls("PUT /applications/"+discordfake.AppID+"/guilds/"+dGuild+"/commands"), 1)
}

func jsonOf(v any) string { b, _ := json.Marshal(v); return string(b) }

// Discord unreachable at start-up (its API and then its gateway answer 500) does not stop
// the replica: Slack and the health endpoints serve at once, /readyz says why Discord is
// not ready, and the gateway connects in the background as soon as Discord answers.
func TestServeDiscordUnreachableAtStart(t *testing.T) {
	t.Parallel()
	fake := discordfake.New(t)
	fake.Fail("GET", "/users/@me", 2)
	fake.Fail("GET", "/gateway", 2)
	sfake := slackfake.New(t)
	slackAddr, opsAddr := freeAddr(t), freeAddr(t)
	serr := discordServe(t, fake, "SLACK_BOT_TOKEN=xoxb-test", "SLACK_API_URL="+sfake.URL(), "SLACK_SIGNING_SECRET="+signingSecret,
		"SLACK_LISTEN="+slackAddr, "WHYBOT_OPS_LISTEN="+opsAddr)
	require.Eventually(t, func() bool { return serr.Contains("Discord not reachable yet: connecting in the background") }, 20*time.Second, 50*time.Millisecond, serr.String())

	// Slack works meanwhile
	verify := []byte(`{"type":"url_verification","challenge":"c-123"}`)
	require.Equal(t, 200, signed(t, "http://"+slackAddr, "/slack/events", "application/json", verify))
	readyz := func() (int, string) {
		resp, err := http.Get("http://" + opsAddr + "/readyz")
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := readyz()
	if code == http.StatusServiceUnavailable { // unless Discord already answered
		require.Contains(t, body, `"check":"discord"`)
		require.Contains(t, body, "retrying")
	}
	fake.Connected(t)
	require.Eventually(t, func() bool { code, _ := readyz(); return code == http.StatusOK }, 30*time.Second, 100*time.Millisecond, serr.String())
	require.Contains(t, serr.String(), "Discord answered; connecting")
	require.GreaterOrEqual(t, len(fake.Calls("GET /gateway")), 2, "the gateway was tried again")
}
