package slack_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/rules"
	"github.com/whybot/whybot/knowledge/store/storetest"
)

// pickClick is a click on a quick answer under the bot's questions in thread q of C1.
func pickClick(user, action, value, messageTS string) map[string]any {
	return map[string]any{
		"type": "block_actions", "team": map[string]any{"id": "T0ROSSI"}, "user": map[string]any{"id": user},
		"container": map[string]any{"type": "message", "channel_id": "C1", "message_ts": messageTS},
		"channel":   map[string]any{"id": "C1"}, "message": map[string]any{"ts": messageTS},
		"actions": []map[string]any{{"type": "button", "action_id": action, "block_id": "picks_lead_quality", "value": value, "action_ts": "1700000000." + messageTS}},
	}
}

// The bot's number questions carry quick answers; a click by the person asked is their
// answer (read back in the thread, a fact read by the button); anyone else is told,
// ephemerally, that it is not theirs; "type a number" opens a modal whose figure is taken.
func TestQuickAnswersInSlack(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		ctx := context.Background()
		f := newFlow(t, be)
		const q = "100.000001"
		f.deliver(t, "T0ROSSI", "app_mention", "U0ANNA", "C1", q, "", "<@UBOT> perché i lead sono aumentati del 30%?")
		posts := f.fake.Posts("C1", q)
		require.Len(t, posts, 1)
		blocks := posts[0]["blocks"]
		for _, want := range []string{`"action_id":"pick_almost_all"`, `"action_id":"pick_half"`, `"action_id":"pick_few"`, `"action_id":"pick_none"`, `"action_id":"pick_type"`,
			"Quasi tutti", "Circa metà", "Pochi", "Nessuno", "Scrivo un numero…", "Risposta rapida per \\u003c@U0GIULIA\\u003e (lead in target)"} {
			require.Contains(t, blocks, want)
		}
		value, _ := json.Marshal(map[string]string{"w": ws, "t": "slack-C1-" + q, "q": string(rules.TopicLeadQuality)})

		// Marco clicks Giulia's question: told alone, nothing recorded
		require.True(t, f.interaction(t, "tr-p1", pickClick("U0MARCO", "pick_few", string(value), "100.000002")))
		f.drain(t)
		eph := f.fake.Calls("chat.postEphemeral")
		require.Len(t, eph, 1)
		require.Equal(t, "U0MARCO", eph[0].Form["user"])
		require.Contains(t, eph[0].Form["text"], "Questa domanda è per un'altra persona")
		facts, err := f.st.Facts(ctx, ws, "slack-C1-"+q)
		require.NoError(t, err)
		require.Empty(t, facts)

		// Giulia clicks Pochi: her answer, a range, read by the button, said back; the same
		// click delivered twice counts once
		require.True(t, f.interaction(t, "tr-p2", pickClick("U0GIULIA", "pick_few", string(value), "100.000002")))
		require.False(t, f.interaction(t, "tr-p2", pickClick("U0GIULIA", "pick_few", string(value), "100.000002")))
		f.drain(t)
		facts, err = f.st.Facts(ctx, ws, "slack-C1-"+q)
		require.NoError(t, err)
		require.Len(t, facts, 1)
		require.Equal(t, "giulia", facts[0].By)
		require.Nil(t, facts[0].Value)
		require.Equal(t, &rules.Reading{Low: 0.05, High: 0.3, Words: "Pochi", By: rules.ReadByButton}, facts[0].Reading)
		posts = f.fake.Posts("C1", q)
		require.Contains(t, posts[len(posts)-1]["text"], "Segnato: i lead in target sono pochi, secondo Giulia")

		// "Scrivo un numero…" opens a modal with a number field; the figure submitted is taken
		require.True(t, f.interaction(t, "tr-p3", pickClick("U0GIULIA", "pick_type", string(value), "100.000002")))
		f.drain(t)
		views := f.fake.Calls("views.open")
		require.Len(t, views, 1)
		require.Contains(t, views[0].Form["json"], `"type":"number_input"`)
		require.Contains(t, views[0].Form["json"], `"callback_id":"whybot_pick"`)
		require.Contains(t, views[0].Form["json"], `"max_value":"100"`)
		var req struct {
			View struct {
				Meta string `json:"private_metadata"`
			} `json:"view"`
		}
		require.NoError(t, json.Unmarshal([]byte(views[0].Form["json"]), &req))
		require.True(t, f.interaction(t, "tr-p4", submit("T0ROSSI", "U0GIULIA", "whybot_pick", req.View.Meta, "percent", "35")))
		f.drain(t)
		facts, err = f.st.Facts(ctx, ws, "slack-C1-"+q)
		require.NoError(t, err)
		require.Len(t, facts, 2, "the correction is kept beside the first answer")
		require.InDelta(t, 0.35, *facts[1].Value, 1e-9)
		posts = f.fake.Posts("C1", q)
		require.Contains(t, posts[len(posts)-1]["text"], "Segnato: il 35% dei lead in target, secondo Giulia")
	})
}
