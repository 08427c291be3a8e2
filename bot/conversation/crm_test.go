package conversation_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/workspace"
)

// withCRM is the sample workspace with a HubSpot source whose counts of the latest month
// are in the snapshot: qualified leads and leads followed up.
func withCRM(t *testing.T, qualified, followed float64) *bundle {
	t.Helper()
	b := setup(t)
	raw, err := os.ReadFile(b.ws.Profile.File)
	require.NoError(t, err)
	prof := filepath.Join(t.TempDir(), "company.yaml")
	require.NoError(t, os.WriteFile(prof, append(raw, []byte("\nsources:\n  - {name: crm, kind: hubspot}\n")...), 0o644))
	ws, err := workspace.Load(prof, b.ws.DataFiles)
	require.NoError(t, err)
	L := ws.Data.Len() - 1
	last := ws.Data.Periods[L]
	rows := append(ws.KPIRows(),
		kpi.Row{Period: last, Metric: "qualified_leads", Value: qualified, File: "source:crm", Line: 1},
		kpi.Row{Period: last, Metric: "leads_followed_up", Value: followed, File: "source:crm", Line: 2})
	rec, err := ws.Record()
	require.NoError(t, err)
	b.ws, err = workspace.FromSnapshot(rec, rows)
	require.NoError(t, err)
	return b
}

// HubSpot's counts draft the facts: marketing and sales are asked to confirm them, a yes
// makes the CRM's figure their word, and a different estimate wins over the CRM.
func TestCRMDraftsTheFacts(t *testing.T) {
	t.Parallel()
	b := withCRM(t, 20, 70)
	leads, _ := b.ws.Data.Value(b.ws.Data.Len()-1, "leads")
	r := b.ask(t, "", "anna", "perché i lead sono aumentati?")
	require.Equal(t, store.ThreadAwaitingAnswers, r.State)
	asks := map[string]string{}
	for _, q := range r.Questions {
		asks[string(q.Topic)] = q.To + ": " + q.Text
	}
	require.Contains(t, asks["lead_quality"], "HubSpot dice 20 lead qualificati (MQL o oltre) su", asks["lead_quality"])
	require.Contains(t, asks["lead_quality"], "confermi?")
	require.Contains(t, asks["sales_followup"], "HubSpot dice che 70 lead su", asks["sales_followup"])

	// marketing confirms: the CRM's share becomes her fact
	r = b.ask(t, r.Thread, "giulia", "sì, confermo")
	require.NotEmpty(t, r.Facts)
	f := r.Facts[len(r.Facts)-1]
	require.Equal(t, "giulia", f.By)
	require.NotNil(t, f.Value)
	require.InDelta(t, 20/leads, *f.Value, 1e-9)

	// sales does not: his estimate is the fact, not HubSpot's 70
	r = b.ask(t, r.Thread, "marco", "no, ne abbiamo richiamati circa la metà")
	f = r.Facts[len(r.Facts)-1]
	require.Equal(t, "marco", f.By)
	require.InDelta(t, 0.5, *f.Value, 1e-9)
	r = b.ask(t, r.Thread, "anna", "rispondi comunque")
	require.NotNil(t, r.Draft)
	require.Contains(t, r.Draft.Text, "circa il 50%", r.Draft.Text)
	require.False(t, strings.Contains(r.Draft.Text, " 70 "), "HubSpot's figure gave way to the person's: %s", r.Draft.Text)
}

// A plain "no" to a confirmation answers nothing: the question stays open.
func TestCRMConfirmationRefusedStaysOpen(t *testing.T) {
	t.Parallel()
	b := withCRM(t, 20, 70)
	r := b.ask(t, "", "anna", "perché i lead sono aumentati?")
	r = b.ask(t, r.Thread, "giulia", "no, non torna")
	require.Equal(t, store.ThreadAwaitingAnswers, r.State)
	for _, f := range r.Facts {
		require.NotEqual(t, "giulia", f.By, "a refusal is not a figure")
	}
}
