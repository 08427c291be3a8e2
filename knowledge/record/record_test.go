package record_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/rules"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func ptr(v float64) *float64 { return &v }

// Every record is written as its golden file says and read back as it was written.
func TestRecordsGolden(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	fact := rules.Fact{Topic: rules.TopicLeadQuality, Metric: "qualified_rate", Value: ptr(0.4), Text: "solo il 40% è in target", By: "giulia", At: at}
	finding := rules.Finding{Rule: rules.LeadQualityLow, Severity: rules.Warning, Subject: "qualified_rate", Params: map[string]any{"rate": 0.4},
		Evidence: []rules.Datum{{Metric: "qualified_rate", Period: "2026-10", Value: 0.4, Source: "fact:giulia"}}, Message: "Solo il 40% dei lead è qualificato."}
	observed := rules.Observed{Metric: "leads", Period: "2026-10", PreviousPeriod: "2026-09", Value: 78, PreviousValue: ptr(60), ChangePct: ptr(30), Source: "data"}
	read := &record.Read{By: "rules", Fallback: "invalid", Problem: "not JSON"}
	for name, r := range map[string]interface{ Stamp() }{
		"question": &record.Question{Text: "perché i lead sono aumentati del 30%?", Intent: rules.Intent{Kind: "why", Metric: "leads", Direction: "up", ClaimedChangePct: ptr(30)},
			Language: "it", Read: read, Account: "sara"},
		"answer":   &record.Answer{Text: "solo il 40% è in target", Facts: []rules.Fact{fact}, Read: read},
		"data":     &record.Data{Period: "2026-10", Files: []string{"kpis.csv"}, Observed: []rules.Observed{observed}},
		"rule":     &record.Rule{Finding: finding},
		"asked":    &record.Asked{Question: rules.Question{Topic: rules.TopicSalesFollowup, To: "marco", Rule: rules.FollowupUnknown, Text: "Marco, il commerciale ha ricontattato i 78 lead?"}},
		"draft":    &record.Draft{Draft: "d_1", Text: "Gentile Anna, …", Caveats: []string{"Marco, …"}},
		"approved": &record.Approved{Draft: "d_1", Edited: true},
		"edited":   &record.Edited{Draft: "d_1", OriginalText: "Gentile Anna, …", Text: "Ciao Anna, …"},
		"rejected": &record.Rejected{Draft: "d_1", Reason: "i dati di ottobre sono in correzione"},
		"posted":   &record.Posted{Draft: "d_1", Text: "Ciao Anna, …", Ref: "C1/1700000000.000200"},
		"evidence": &record.Evidence{Findings: []rules.Finding{finding}, Observed: []rules.Observed{observed}, Facts: []rules.Fact{fact}, Caveats: []string{"Marco, …"},
			Knowledge: []record.Citation{{Source: "doc:playbook.md", Kind: "document", Title: "Playbook", Excerpt: "…", Score: 0.03}},
			Source:    &record.Phrased{Source: "rules", Grounded: true, Fallback: "ungrounded", Failed: []record.Unsupported{{Kind: "figure", Text: "500"}}, Attempts: 2}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := record.JSON(r)
			var pretty map[string]any
			require.NoError(t, json.Unmarshal(got, &pretty))
			require.EqualValues(t, record.Version, pretty["v"], "every record carries its version")
			path := filepath.Join("testdata", name+".json")
			if *update {
				b, _ := json.MarshalIndent(pretty, "", "  ")
				require.NoError(t, os.WriteFile(path, append(b, '\n'), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "go test ./knowledge/record -update writes the golden files")
			require.JSONEq(t, string(want), string(got))
		})
	}
}

// A record written before versions existed reads as it was (version 0, taken as 1).
func TestRecordWithoutVersion(t *testing.T) {
	t.Parallel()
	q, err := record.Decode[record.Question](json.RawMessage(`{"text":"why?","intent":{"kind":"why","metric":"leads"},"language":"en"}`))
	require.NoError(t, err)
	require.Equal(t, "why?", q.Text)
	require.Equal(t, "leads", q.Intent.Metric)
	a, err := record.Decode[record.Asked](json.RawMessage(`{"topic":"lead_quality","to":"giulia","rule":"lead_quality_unknown"}`))
	require.NoError(t, err)
	require.Equal(t, "giulia", a.To)
	_, err = record.Decode[record.Answer](json.RawMessage(`{"facts": 7}`))
	require.ErrorContains(t, err, "decode record.Answer record")
}

func TestActor(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		a    record.Actor
		kind record.ActorKind
		name string
		text string
	}{
		{record.Person(" Luca "), record.ActorPerson, "luca", "luca"},
		{record.Account("Bob"), record.ActorAccount, "bob", "web:bob"},
		{record.RoleMember("1000000000000000009"), record.ActorRoleMember, "1000000000000000009", "discord:1000000000000000009"},
		{record.Actor(""), record.ActorNone, "", ""},
		{record.Bot, record.ActorBot, "whybot", "whybot"},
	} {
		require.Equal(t, c.kind, c.a.Kind(), c.text)
		require.Equal(t, c.name, c.a.Name(), c.text)
		require.Equal(t, c.text, c.a.String())
	}
}
