package slack_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/storetest"
)

// An owner adds a person from Slack: stored with who added them, known on the next
// message (asked and answered like anyone in company.yaml), listed by «persone»;
// company.yaml's people win, only the owner or a reviewer may add, a role nobody has is
// asked again.
func TestJoinFromSlack(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, be storetest.Backend) {
		f := newFlow(t, be)
		ctx := context.Background()
		f.fake.SetName("U0CHIARA", "Chiara Fontana")
		reply := func(ts string) string {
			t.Helper()
			posts := f.fake.Posts("C1", ts)
			require.NotEmpty(t, posts)
			return posts[len(posts)-1]["text"]
		}

		f.deliver(t, "T0ROSSI", "app_mention", "U0ANNA", "C1", "300.000001", "", "<@UBOT> aggiungi <@U0CHIARA> come commerciale e revisore")
		require.Contains(t, reply("300.000001"), "Fatto: Chiara Fontana (chiara) ora è nel team di Meccanica Rossi S.r.l. come commerciale e può rivedere le bozze.")
		people, err := f.st.ChatPeople(ctx, "meccanica_rossi")
		require.NoError(t, err)
		require.Len(t, people, 1)
		require.Equal(t, "chiara", people[0].Handle)
		require.Equal(t, "sales", people[0].Role)
		require.True(t, people[0].Reviewer)
		require.Equal(t, "U0CHIARA", people[0].Slack)
		require.Equal(t, "anna", people[0].AddedBy, "audited: who added her")

		// she is known at once: her question starts a conversation
		f.deliver(t, "T0ROSSI", "app_mention", "U0CHIARA", "C1", "301.000001", "", "<@UBOT> perché i lead sono aumentati del 30%?")
		require.Contains(t, reply("301.000001"), "Prima di rispondere mi servono alcune informazioni:")

		// company.yaml wins; a marketing person who does not review may not add; an unknown role
		f.deliver(t, "T0ROSSI", "app_mention", "U0ANNA", "C1", "302.000001", "", "<@UBOT> aggiungi <@U0MARCO> come marketing")
		require.Contains(t, reply("302.000001"), "è già in company.yaml (marco, commerciale): lì decide il profilo")
		f.deliver(t, "T0ROSSI", "app_mention", "U0GIULIA", "C1", "303.000001", "", "<@UBOT> aggiungi <@U0NEW> come marketing")
		require.Contains(t, reply("303.000001"), "Solo il titolare o un revisore")
		f.deliver(t, "T0ROSSI", "app_mention", "U0ANNA", "C1", "304.000001", "", "<@UBOT> aggiungi <@U0NEW> come astronauta")
		require.Contains(t, reply("304.000001"), "Non conosco il ruolo «astronauta»: scegli tra titolare, marketing, commerciale, agenzia, team.")
		f.deliver(t, "T0ROSSI", "app_mention", "U0ANNA", "C1", "305.000001", "", "<@UBOT> aggiungi Chiara")
		require.Contains(t, reply("305.000001"), "«@whybot aggiungi @nome come marketing»")

		// a change keeps her handle; the list says who came from chat
		f.deliver(t, "T0ROSSI", "app_mention", "U0LUCA", "C1", "306.000001", "", "<@UBOT> cambia <@U0CHIARA> come marketing")
		require.Contains(t, reply("306.000001"), "Aggiornato: Chiara Fontana (chiara) ora è marketing e non rivede le bozze.")
		f.deliver(t, "T0ROSSI", "app_mention", "U0MARCO", "C1", "307.000001", "", "<@UBOT> persone")
		list := reply("307.000001")
		require.Contains(t, list, "Persone di Meccanica Rossi S.r.l.:")
		require.Contains(t, list, "• Chiara Fontana (chiara): marketing · aggiunta in chat da anna")
		require.Contains(t, list, "• Giulia Bianchi (giulia): marketing")
		people, err = f.st.ChatPeople(ctx, "meccanica_rossi")
		require.NoError(t, err)
		require.Equal(t, "luca", people[0].ChangedBy)
		require.Len(t, people, 1, "nothing stored for the refused ones")

		// /why persone: the slash command lists the team too
		payload, err := json.Marshal(map[string]any{"team_id": "T0ROSSI", "user_id": "U0GIULIA", "channel_id": "C7", "text": "persone", "trigger_id": "tr-people"})
		require.NoError(t, err)
		ok, err := f.st.Receive(ctx, store.Inbound{Source: "slack", Key: "command:tr-people", Payload: payload, ReceivedAt: time.Now()})
		require.NoError(t, err)
		require.True(t, ok)
		_, err = f.worker.Drain(ctx)
		require.NoError(t, err)
		posts := f.fake.Posts("C7", "")
		require.Len(t, posts, 2, "the command as a message, and the list in its thread")
		require.Contains(t, posts[1]["text"], "Persone di Meccanica Rossi S.r.l.:")
	})
}
