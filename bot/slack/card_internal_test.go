package slack

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/sample"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/prompts"
)

// A superseded draft's card says it was replaced and offers no buttons, as on Discord.
func TestCardSuperseded(t *testing.T) {
	t.Parallel()
	p, err := profile.Parse("company.yaml", sample.Profile())
	require.NoError(t, err)
	set, err := prompts.For("it")
	require.NoError(t, err)
	c := &reviewCard{Review: &conversation.Review{Draft: store.Draft{ID: "d_1", State: store.DraftSuperseded, Text: "bozza"}}, Profile: p}
	b, err := json.Marshal(c.blocks(set))
	require.NoError(t, err)
	require.Contains(t, string(b), "Sostituita da una bozza più recente")
	require.NotContains(t, string(b), `"action_id":"approve"`)
}
