package evals

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/knowledge/rules"
	"github.com/whybot/whybot/knowledge/sample"
	"github.com/whybot/whybot/knowledge/workspace"
)

// TestUngroundedFigures: the eval's check finds a figure nobody gave, and lets through the
// data's, a person's answer, the profile's, a rule's computation, the plays' own and a
// person's words quoted verbatim.
func TestUngroundedFigures(t *testing.T) {
	t.Parallel()
	prof, data, err := sample.Write(filepath.Join(t.TempDir(), "ws"))
	require.NoError(t, err)
	ws, err := workspace.Load(prof, []string{data})
	require.NoError(t, err)
	v := 0.4
	r := conversation.Reply{Language: "it",
		Facts:    []rules.Fact{{Topic: rules.TopicLeadQuality, Metric: "qualified_rate", Value: &v, Text: "ne abbiamo 2345 in lista su 78", By: "giulia"}},
		Findings: []rules.Finding{{Rule: rules.FollowupGap, Params: map[string]any{"not_followed": 58.5}}}}
	for _, c := range []struct {
		draft string
		bad   []string
	}{
		{"Lead: 78 a ottobre 2026, contro 60 a settembre 2026 (+30%).", nil},
		{"Solo il 40% dei lead è qualificato, sotto la soglia minima di 50%; circa 59 lead mai contattati.", nil},
		{"L'obiettivo (costo per lead qualificato al massimo €40 entro marzo 2027). Mai sconti oltre il 15%.", nil},
		{"Per 4 settimane richiamare ogni lead entro 48 ore; il 20% di budget in più.", nil},
		{`Giulia (marketing): "ne abbiamo 2345 in lista su 78"`, nil},
		{"Lead: 78, fatturato €1.234.567 a ottobre 2026.", []string{"1.234.567"}},
		{"Giulia ne ha 2345 in lista.", []string{"2345"}},
		{"Circa il 37% dei lead è qualificato.", []string{"37"}},
	} {
		got, err := ungrounded(ws, "it", r, c.draft)
		require.NoError(t, err)
		require.Equal(t, c.bad, got, c.draft)
	}
}

// TestEvalCasesHoldDrafts: every case's drafts stay within the word limits and carry no
// ungrounded figure (the run fails a case that breaks either).
func TestEvalCasesHoldDrafts(t *testing.T) {
	t.Parallel()
	rep, err := RunDir(context.Background(), "cases")
	require.NoError(t, err)
	for _, res := range rep.Results {
		require.Empty(t, res.Failures, res.File)
	}
	require.GreaterOrEqual(t, rep.Passed, 33)
}
