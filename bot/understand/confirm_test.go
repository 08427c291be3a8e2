package understand_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/understand"
	"github.com/whybot/whybot/knowledge/rules"
)

// A question that puts the CRM's share to a person to confirm: a plain yes answers it with
// that share; a no, a yes with a but, or a figure of their own do not confirm it.
func TestConfirmProposedShare(t *testing.T) {
	t.Parallel()
	ctx := understand.Context{Base: 78, Open: []rules.Topic{rules.TopicLeadQuality}, Proposed: map[rules.Topic]float64{rules.TopicLeadQuality: 20.0 / 78}}
	for _, yes := range []string{"sì", "si, confermo", "confermo", "esatto", "giusto, torna", "yes", "yes that's right", "correct", "ok"} {
		r := understand.Read(yes, ctx)
		require.Len(t, r.Answers, 1, yes)
		require.InDelta(t, 20.0/78, r.Answers[0].Low, 1e-9, yes)
		require.Equal(t, 20.0, *r.Answers[0].Count, yes)
	}
	for _, not := range []string{"no", "no, non torna", "non è giusto", "sì ma sono di meno", "not right", "ti confermo domani"} {
		r := understand.Read(not, ctx)
		require.Empty(t, r.Answers, not)
	}
	r := understand.Read("no, circa la metà", ctx)
	require.Len(t, r.Answers, 1)
	require.InDelta(t, 0.5, r.Answers[0].Low, 1e-9, "their own estimate, not the CRM's")
	r = understand.Read("sì", understand.Context{Base: 78, Open: []rules.Topic{rules.TopicLeadQuality}})
	require.Empty(t, r.Answers, "with nothing proposed a yes is no share")
}
