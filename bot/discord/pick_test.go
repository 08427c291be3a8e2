package discord_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/discord/discordfake"
	"github.com/whybot/whybot/knowledge/rules"
	"github.com/whybot/whybot/knowledge/store/storetest"
)

// pick presses a quick answer under the bot's questions in a thread.
func (f *flow) pick(t *testing.T, user, customID, thread, message string) map[string]any {
	t.Helper()
	id := f.nextID()
	b, _ := json.Marshal(map[string]any{"id": id, "application_id": discordfake.AppID, "type": 3, "token": "tok-" + id, "guild_id": f.guild, "channel_id": thread,
		"member":  map[string]any{"user": map[string]any{"id": user, "username": "u" + user}, "roles": []string{}},
		"message": map[string]any{"id": message, "channel_id": thread}, "data": map[string]any{"custom_id": customID, "component_type": 2}})
	return f.send(t, b)
}

// The bot's number questions carry a row of quick answers; the person asked answers with a
// click (read back, a fact read by the button); anyone else is told alone; "type a number"
// opens a form whose figure is taken.
func TestQuickAnswersInDiscord(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		ctx := context.Background()
		f := newFlow(t, be)
		f.why(t, anna, "perché i lead sono aumentati del 30%?")
		f.drain(t)
		original := f.fake.Messages(asked)
		thread := original[len(original)-1].ID
		msgs := f.fake.Messages(thread)
		require.NotEmpty(t, msgs)
		q := msgs[len(msgs)-1]
		body := jsonOf(q.Body["components"])
		conv := "discord-" + thread
		few := "whybot:pick:few:lead_quality:" + conv
		for _, want := range []string{few, "whybot:pick:type:sales_followup:" + conv, "Giulia: Pochi", "Marco: Quasi tutti"} {
			require.Contains(t, body, want)
		}

		// Marco presses Giulia's button: deferred, then told alone; nothing recorded
		out := f.pick(t, marco, few, thread, q.ID)
		require.EqualValues(t, 6, out["type"], "a deferred update")
		f.drain(t)
		var notes []string
		for _, c := range f.fake.Calls("POST /webhooks/") {
			notes = append(notes, jsonOf(c.Body))
		}
		require.Len(t, notes, 1)
		require.Contains(t, notes[0], "Questa domanda è per un'altra persona")
		require.Contains(t, notes[0], `"flags":64`)
		facts, err := f.st.Facts(ctx, "meccanica_rossi", conv)
		require.NoError(t, err)
		require.Empty(t, facts)

		// Giulia presses Pochi: her answer, a range read by the button, said back
		f.pick(t, giulia, few, thread, q.ID)
		f.drain(t)
		facts, err = f.st.Facts(ctx, "meccanica_rossi", conv)
		require.NoError(t, err)
		require.Len(t, facts, 1)
		require.Equal(t, &rules.Reading{Low: 0.05, High: 0.3, Words: "Pochi", By: rules.ReadByButton}, facts[0].Reading)
		msgs = f.fake.Messages(thread)
		require.Contains(t, msgs[len(msgs)-1].Content(), "i lead in target sono pochi, secondo Giulia")

		// Marco opens the form of his own question and types 80
		out = f.pick(t, marco, "whybot:pick:type:sales_followup:"+conv, thread, q.ID)
		require.EqualValues(t, 9, out["type"], "a form")
		data := out["data"].(map[string]any)
		require.Equal(t, "whybot:pick:percent:sales_followup:"+conv, data["custom_id"])
		id := f.nextID()
		b, _ := json.Marshal(map[string]any{"id": id, "application_id": discordfake.AppID, "type": 5, "token": "tok-" + id, "guild_id": f.guild, "channel_id": thread,
			"member": map[string]any{"user": map[string]any{"id": marco, "username": "u" + marco}, "roles": []string{}},
			"data":   map[string]any{"custom_id": data["custom_id"], "components": []map[string]any{{"type": 1, "components": []map[string]any{{"type": 4, "custom_id": "percent", "value": "80"}}}}}})
		f.send(t, b)
		f.drain(t)
		facts, err = f.st.Facts(ctx, "meccanica_rossi", conv)
		require.NoError(t, err)
		require.Len(t, facts, 2)
		require.Equal(t, "marco", facts[1].By)
		require.InDelta(t, 0.8, *facts[1].Value, 1e-9)
		msgs = f.fake.Messages(thread)
		require.True(t, strings.Contains(msgs[len(msgs)-1].Content(), "80%"), msgs[len(msgs)-1].Content())
	})
}
