package discord_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/discord"
	"github.com/whybot/whybot/bot/discord/discordfake"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/storetest"
)

// The gateway: events dispatched from the fake gateway websocket reach the same responder
// and inbox as the HTTP endpoint's, through discordgo's real client.
func TestGateway(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		f := newFlow(t, be)
		ctx, cancel := context.WithCancel(context.Background())
		s, err := discord.NewSession(discord.Config{BotToken: discordfake.Token, APIURL: f.fake.URL()})
		require.NoError(t, err)
		quiet := slog.New(slog.DiscardHandler)
		inbox := &recording{Receiver: f.st}
		g := &discord.Gateway{Session: s, Responder: &discord.Responder{Store: f.st, Wake: f.worker.Wake, Log: quiet}, Inbox: inbox, Wake: f.worker.Wake, Log: quiet}
		done := make(chan error, 1)
		go func() { done <- g.Run(ctx) }()
		t.Cleanup(func() {
			cancel()
			require.NoError(t, <-done)
		})
		f.fake.Connected(t)
		id := f.fake.Identify()[0]
		require.Equal(t, "Bot "+discordfake.Token, id["token"])
		intents := discordgo.Intent(id["intents"].(float64))
		require.Equal(t, discord.Intents(false), intents, "no privileged intent the application does not have")
		require.Zero(t, intents&discordgo.IntentsMessageContent)

		// /why over the gateway: answered with the interaction callback, recorded for the worker
		f.fake.Interaction("tok-gw1", asked)
		f.fake.Dispatch(t, "INTERACTION_CREATE", map[string]any{"id": "1300000000000000001", "application_id": discordfake.AppID, "type": 2, "token": "tok-gw1",
			"guild_id": guild, "channel_id": asked, "member": map[string]any{"user": map[string]any{"id": anna, "username": "anna"}, "roles": []string{}},
			"data": map[string]any{"id": "1", "name": "why", "type": 1, "options": []map[string]any{{"name": "question", "type": 3, "value": "why did leads rise 30%?"}}}})
		require.Eventually(t, func() bool { return len(f.fake.Calls("POST /interactions/1300000000000000001/tok-gw1/callback")) == 1 }, 5*time.Second, 10*time.Millisecond)
		cb := f.fake.Calls("POST /interactions/1300000000000000001/tok-gw1/callback")[0]
		require.EqualValues(t, 5, cb.Body["type"], "deferred")

		// a mention from the gateway; the bot's own messages and other bots' are not recorded
		f.fake.Dispatch(t, "MESSAGE_CREATE", map[string]any{"id": "1300000000000000002", "channel_id": asked, "guild_id": guild, "type": 0,
			"content": "<@" + discordfake.BotUser + "> why did CAC rise?", "author": map[string]any{"id": marco, "username": "marco"},
			"mentions": []map[string]any{{"id": discordfake.BotUser}}})
		f.fake.Dispatch(t, "MESSAGE_CREATE", map[string]any{"id": "1300000000000000003", "channel_id": asked, "guild_id": guild, "type": 0,
			"content": "beep", "author": map[string]any{"id": discordfake.BotUser, "username": "whybot", "bot": true}})
		// (the interaction went through the responder, which records it in the store itself)
		require.Eventually(t, func() bool { return strings.Join(inbox.Keys(), ",") == "message:1300000000000000002" }, 5*time.Second, 20*time.Millisecond)

		// the worker handles both as it does HTTP deliveries
		f.drain(t)
		asks := f.fake.Messages(asked)
		require.Len(t, asks, 1)
		require.Contains(t, asks[0].Content(), "<@"+anna+"> ha chiesto: why did leads rise 30%?")
		require.Equal(t, asked, f.fake.Thread("1300000000000000002"), "a thread made from the mention")
		require.NotEmpty(t, f.fake.Messages("1300000000000000002"), "the conversation goes on in it")
	})
}

func TestStartUpCheck(t *testing.T) {
	t.Parallel()
	fake := discordfake.New(t)
	ctx := context.Background()
	s, err := discord.NewSession(discord.Config{BotToken: discordfake.Token, APIURL: fake.URL()})
	require.NoError(t, err)
	id, err := discord.Check(ctx, s, discordfake.AppID)
	require.NoError(t, err)
	require.Equal(t, discordfake.BotUser, id.BotUser)
	require.False(t, id.MessageContent)
	fake.Flags = 1 << 19
	id, err = discord.Check(ctx, s, discordfake.AppID)
	require.NoError(t, err)
	require.True(t, id.MessageContent)

	_, err = discord.Check(ctx, s, "7000000000000000999")
	require.ErrorContains(t, err, "DISCORD_APP_ID 7000000000000000999 is not the application of this bot token")

	bad, err := discord.NewSession(discord.Config{BotToken: "MTAwMDAwMDAwMDAwMDAwMDAwMQ.GfAkEt.some-other-token-000000000000", APIURL: fake.URL()})
	require.NoError(t, err)
	_, err = discord.Check(ctx, bad, discordfake.AppID)
	require.ErrorContains(t, err, "DISCORD_BOT_TOKEN was refused by Discord (401)")
	require.NotContains(t, err.Error(), "some-other-token", "the secret is not echoed")
	require.Len(t, fake.Calls("GET /users/@me"), 4, "every call went to DISCORD_API_URL")
}

func TestRegisterCommands(t *testing.T) {
	t.Parallel()
	fake := discordfake.New(t)
	s, err := discord.NewSession(discord.Config{BotToken: discordfake.Token, APIURL: fake.URL()})
	require.NoError(t, err)
	require.NoError(t, discord.Register(context.Background(), s, discordfake.AppID, []string{guild}))
	global := fake.Calls("PUT /applications/" + discordfake.AppID + "/commands")
	inGuild := fake.Calls("PUT /applications/" + discordfake.AppID + "/guilds/" + guild + "/commands")
	require.Len(t, global, 1)
	require.Len(t, inGuild, 1)
	var cmds []map[string]any
	require.NoError(t, json.Unmarshal(global[0].Raw, &cmds))
	require.Len(t, cmds, 1)
	require.Equal(t, "why", cmds[0]["name"])
	opt := cmds[0]["options"].([]any)[0].(map[string]any)
	require.Equal(t, "question", opt["name"])
	require.EqualValues(t, 3, opt["type"], "a string")
	require.Equal(t, true, opt["required"])
	require.JSONEq(t, string(global[0].Raw), string(inGuild[0].Raw))
}

func TestReadmeInviteMatchesPermissions(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	n := strconv.FormatInt(discord.BotPermissions, 10)
	require.Contains(t, string(readme), "permissions integer **"+n+"**")
	require.Contains(t, string(readme), "scope=bot+applications.commands&permissions="+n)
}

// recording is the gateway's inbox, noting the keys it records.
type recording struct {
	discord.Receiver
	mu   sync.Mutex
	keys []string
}

func (r *recording) Receive(ctx context.Context, in store.Inbound) (bool, error) {
	fresh, err := r.Receiver.Receive(ctx, in)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err == nil && fresh {
		r.keys = append(r.keys, in.Key)
	}
	return fresh, err
}

func (r *recording) Keys() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.keys...)
}
