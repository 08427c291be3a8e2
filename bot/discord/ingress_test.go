package discord_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/bot/discord"
	"github.com/whybot/whybot/knowledge/sample"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/storetest"
	"github.com/whybot/whybot/knowledge/workspace"
)

const (
	guild = "2000000000000000001"
	anna  = "1000000000000000003"
	luca  = "1000000000000000004"
)

type bench struct {
	st    store.Store
	srv   *httptest.Server
	priv  ed25519.PrivateKey
	draft store.Draft
}

// setup serves the interactions endpoint on the sample workspace, with one draft pending.
func setup(t *testing.T, be storetest.Backend) *bench {
	t.Helper()
	ctx := context.Background()
	prof, data, err := sample.Write(filepath.Join(t.TempDir(), "ws"))
	require.NoError(t, err)
	ws, err := workspace.Load(prof, []string{data})
	require.NoError(t, err)
	st := be.Open(t)
	eng := conversation.New(st, conversation.WithLogger(slog.New(slog.DiscardHandler)), conversation.WithQueuedDelivery(nil))
	r, err := eng.Ask(ctx, ws, conversation.Request{As: "anna", Text: "why did leads rise 30%?", Transport: "discord", Channel: "5000000000000000001"})
	require.NoError(t, err)
	r, err = eng.Ask(ctx, ws, conversation.Request{ThreadID: r.Thread, As: "anna", Text: "answer anyway"})
	require.NoError(t, err)
	require.NotNil(t, r.Draft)
	d, err := st.Draft(ctx, ws.Profile.Workspace, r.Draft.ID)
	require.NoError(t, err)
	pub, priv, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	in := &discord.Ingress{Key: pub, Responder: &discord.Responder{Store: st, Log: slog.New(slog.DiscardHandler)}, Log: slog.New(slog.DiscardHandler)}
	srv := httptest.NewServer(in.Handler())
	t.Cleanup(srv.Close)
	return &bench{st: st, srv: srv, priv: priv, draft: d}
}

// post sends an interaction signed with key (the app's own unless given) at time at.
func (b *bench) post(t *testing.T, body []byte, key ed25519.PrivateKey, at time.Time) (int, map[string]any) {
	t.Helper()
	if key == nil {
		key = b.priv
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	req, err := http.NewRequest(http.MethodPost, b.srv.URL+"/discord/interactions", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Signature-Timestamp", ts)
	req.Header.Set("X-Signature-Ed25519", discord.Sign(key, ts, body))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func (b *bench) inbox(t *testing.T) []store.Inbound {
	t.Helper()
	in, err := b.st.ClaimInbound(context.Background(), "discord", time.Now(), time.Second, 100)
	require.NoError(t, err)
	return in
}

func interaction(id string, typ int, user string, bot bool, data map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"id": id, "application_id": "9000000000000000001", "type": typ, "token": "tok-" + id,
		"guild_id": guild, "channel_id": "3000000000000000001", "data": data,
		"member": map[string]any{"user": map[string]any{"id": user, "username": "u" + user, "bot": bot}, "roles": []string{}}})
	return b
}

func button(id, user string, bot bool, action, draft string) []byte {
	return interaction(id, 3, user, bot, map[string]any{"custom_id": "whybot:" + action + ":" + draft, "component_type": 2})
}

func TestInteractionsEndpoint(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		b := setup(t, be)
		now := time.Now()
		ping := []byte(`{"id":"1","type":1,"application_id":"9000000000000000001","token":"t"}`)

		// invalid requests: 401, nothing recorded
		_, other, err := ed25519.GenerateKey(nil)
		require.NoError(t, err)
		why := interaction("1100000000000000001", 2, anna, false, map[string]any{"name": "why", "type": 1, "options": []map[string]any{{"name": "question", "type": 3, "value": "why did leads rise 30%?"}}})
		code, _ := b.post(t, why, other, now)
		require.Equal(t, http.StatusUnauthorized, code, "wrong key")
		code, _ = b.post(t, why, nil, now.Add(-6*time.Minute))
		require.Equal(t, http.StatusUnauthorized, code, "stale timestamp")
		req, _ := http.NewRequest(http.MethodPost, b.srv.URL+"/discord/interactions", bytes.NewReader(why))
		ts := strconv.FormatInt(now.Unix(), 10)
		req.Header.Set("X-Signature-Timestamp", ts)
		req.Header.Set("X-Signature-Ed25519", discord.Sign(b.priv, ts, []byte(`{"id":"other"}`)))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "tampered body")
		require.Empty(t, b.inbox(t), "refused requests leave no trace")

		// signed but malformed bodies: 400, nothing recorded
		for name, body := range map[string][]byte{"not JSON": []byte("{not json"), "no user": []byte(`{"id":"1100000000000000020","type":2,"token":"t"}`),
			"foreign custom id": interaction("1100000000000000021", 3, luca, false, map[string]any{"custom_id": "other:approve:d_1", "component_type": 2}),
			"unknown type":      interaction("1100000000000000022", 77, anna, false, nil),
			"wrong field type":  []byte(`{"id":"1100000000000000023","type":"two","token":"t"}`)} {
			code, _ := b.post(t, body, nil, now)
			require.Equal(t, http.StatusBadRequest, code, name)
		}
		require.Empty(t, b.inbox(t), "malformed requests leave no trace")

		// PING → PONG
		code, out := b.post(t, ping, nil, now)
		require.Equal(t, http.StatusOK, code)
		require.EqualValues(t, 1, out["type"])

		// /why is deferred and recorded once, even if delivered twice
		code, out = b.post(t, why, nil, now)
		require.Equal(t, http.StatusOK, code)
		require.EqualValues(t, 5, out["type"], "deferred channel message")
		code, _ = b.post(t, why, nil, now)
		require.Equal(t, http.StatusOK, code)
		in := b.inbox(t)
		require.Len(t, in, 1)
		require.Equal(t, "discord", in[0].Source)
		require.Equal(t, "interaction:1100000000000000001", in[0].Key)

		// a non-reviewer and a bot (even with a reviewer's id) are refused, ephemerally
		code, out = b.post(t, button("1100000000000000002", anna, false, "approve", b.draft.ID), nil, now)
		require.Equal(t, http.StatusOK, code)
		require.EqualValues(t, 4, out["type"])
		data := out["data"].(map[string]any)
		require.EqualValues(t, 64, data["flags"], "ephemeral")
		require.Contains(t, data["content"], "Solo i revisori")
		require.Contains(t, data["content"], "<@"+luca+">")
		code, out = b.post(t, button("1100000000000000003", luca, true, "approve", b.draft.ID), nil, now)
		require.Equal(t, http.StatusOK, code)
		require.Contains(t, out["data"].(map[string]any)["content"], "Un bot o un'app")
		require.Empty(t, b.inbox(t), "refusals queue nothing")

		// Edit opens a modal holding the draft; Reject one asking the reason; Approve is deferred
		code, out = b.post(t, button("1100000000000000004", luca, false, "edit", b.draft.ID), nil, now)
		require.Equal(t, http.StatusOK, code)
		require.EqualValues(t, 9, out["type"], "modal")
		raw, _ := json.Marshal(out)
		require.Contains(t, string(raw), `"custom_id":"whybot:edit:`+b.draft.ID+`"`)
		var m struct {
			Data struct {
				Components []struct {
					Components []struct {
						Value string `json:"value"`
					} `json:"components"`
				} `json:"components"`
			} `json:"data"`
		}
		require.NoError(t, json.Unmarshal(raw, &m))
		require.Equal(t, b.draft.Text, m.Data.Components[0].Components[0].Value)
		code, out = b.post(t, button("1100000000000000005", luca, false, "reject", b.draft.ID), nil, now)
		require.Equal(t, http.StatusOK, code)
		require.EqualValues(t, 9, out["type"])
		code, out = b.post(t, button("1100000000000000006", luca, false, "approve", b.draft.ID), nil, now)
		require.Equal(t, http.StatusOK, code)
		require.EqualValues(t, 6, out["type"], "deferred update")
		in = b.inbox(t)
		require.Len(t, in, 1)
		require.Equal(t, "interaction:1100000000000000006", in[0].Key)

		// a server no profile names is told how to connect it
		unknown := bytes.Replace(why, []byte(guild), []byte("2999999999999999999"), 1)
		unknown = bytes.Replace(unknown, []byte("1100000000000000001"), []byte("1100000000000000009"), 1)
		code, out = b.post(t, unknown, nil, now)
		require.Equal(t, http.StatusOK, code)
		require.Contains(t, out["data"].(map[string]any)["content"], `discord: {guild: "2999999999999999999"}`)
	})
}
