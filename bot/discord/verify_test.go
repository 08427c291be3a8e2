package discord_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/discord"
	"github.com/whybot/whybot/bot/ops"
)

func TestVerify(t *testing.T) {
	t.Parallel()
	pub, priv, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	otherPub, _, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"type":1,"id":"1"}`)
	ts := strconv.FormatInt(now.Unix(), 10)
	h := func(sig, ts string) http.Header {
		x := http.Header{}
		if sig != "" {
			x.Set("X-Signature-Ed25519", sig)
		}
		if ts != "" {
			x.Set("X-Signature-Timestamp", ts)
		}
		return x
	}
	sig := discord.Sign(priv, ts, body)
	require.NoError(t, discord.Verify(h(sig, ts), body, pub, now))

	// discordgo's own check agrees on the valid request (it does not check freshness)
	req, _ := http.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	req.Header = h(sig, ts)
	require.True(t, discordgo.VerifyInteraction(req, pub))

	for name, c := range map[string]struct {
		h    http.Header
		body []byte
		key  ed25519.PublicKey
		now  time.Time
		want string
	}{
		"tampered body": {h(sig, ts), []byte(`{"type":1,"id":"2"}`), pub, now, "does not match"},
		"wrong key":     {h(sig, ts), body, otherPub, now, "does not match"},
		"stale":         {h(sig, ts), body, pub, now.Add(6 * time.Minute), "off"},
		"future":        {h(sig, ts), body, pub, now.Add(-6 * time.Minute), "off"},
		"no signature":  {h("", ts), body, pub, now, "missing"},
		"no timestamp":  {h(sig, ""), body, pub, now, "missing"},
		"not hex":       {h("zz"+sig[2:], ts), body, pub, now, "not hex"},
		"bad timestamp": {h(sig, "yesterday"), body, pub, now, "not a number"},
	} {
		require.ErrorContains(t, discord.Verify(c.h, c.body, c.key, c.now), c.want, name)
	}
	k, err := discord.ParseKey(hex.EncodeToString(pub))
	require.NoError(t, err)
	require.Equal(t, pub, k)
	_, err = discord.ParseKey("abc")
	require.Error(t, err)
}

func TestConfig(t *testing.T) {
	t.Parallel()
	env := ops.Pairs
	const token = "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB"
	ok := discord.FromEnv(env("DISCORD_BOT_TOKEN", token, "DISCORD_APP_ID", "1234567890123456789"))
	require.NoError(t, ok.Validate())
	require.False(t, ok.HTTPMode())
	key := hex.EncodeToString(make([]byte, 32))
	httpMode := discord.FromEnv(env("DISCORD_BOT_TOKEN", token, "DISCORD_APP_ID", "1234567890123456789", "DISCORD_PUBLIC_KEY", key, "DISCORD_LISTEN", ":8081"))
	require.NoError(t, httpMode.Validate())
	require.True(t, httpMode.HTTPMode())

	err := discord.FromEnv(env("DISCORD_BOT_TOKEN", "Bot "+token, "DISCORD_APP_ID", "my-app", "DISCORD_PUBLIC_KEY", "xyz", "DISCORD_LISTEN", ":1", "DISCORD_REVIEW_CHANNEL", "#review")).Validate()
	require.ErrorContains(t, err, `DISCORD_BOT_TOKEN starts with "Bot "`)
	require.ErrorContains(t, err, `DISCORD_APP_ID "my-app" is not an application id`)
	require.ErrorContains(t, err, "DISCORD_PUBLIC_KEY is not a public key")
	require.ErrorContains(t, err, `DISCORD_REVIEW_CHANNEL "#review" is not a channel id`)
	require.NotContains(t, err.Error(), token, "secrets are not echoed")
	err = discord.FromEnv(env("DISCORD_BOT_TOKEN", "client-secret-abc", "DISCORD_LISTEN", ":1")).Validate()
	require.ErrorContains(t, err, "does not look like a bot token")
	require.ErrorContains(t, err, "DISCORD_APP_ID is empty")
	require.ErrorContains(t, err, "DISCORD_PUBLIC_KEY is empty")
	require.NotContains(t, err.Error(), "client-secret-abc")
}
