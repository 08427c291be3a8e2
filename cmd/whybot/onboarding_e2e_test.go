package main_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// An agency onboards a dental clinic from nothing to a first answer: init for the
// industry, validate, ask; the receptionist is asked by her role, the clinic's own
// metrics are read and shown by their kind, and the draft names who follows up.
func TestOnboardDentalClinic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ws := filepath.Join(dir, "ws")
	out, stderr, code := run(t, "", "init", ws, "--company", "Studio Dentistico Sorriso", "--industry", "dental", "--lang", "it")
	require.Zero(t, code, stderr)
	require.Contains(t, out, "whybot validate --profile")
	prof, data, db := filepath.Join(ws, "company.yaml"), filepath.Join(ws, "kpis.csv"), filepath.Join(dir, "w.db")

	out, stderr, code = run(t, "", "validate", "--profile", prof, "--data", data)
	require.Zero(t, code, stderr)
	require.Contains(t, out, "OK: Studio Dentistico Sorriso")

	out, stderr, code = run(t, "", "ask", "--profile", prof, "--data", data, "--db", db, "--as", "elena", "--json", "perché le richieste di appuntamento sono salite?")
	require.Zero(t, code, stderr)
	var r struct {
		Thread    string `json:"thread"`
		Questions []struct{ To, Topic, Text string }
		Draft     *struct{ ID, Text string }
	}
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	asks := map[string]string{}
	for _, q := range r.Questions {
		asks[q.Topic] = q.To + ": " + q.Text
	}
	require.Equal(t, "sara: Sara (reception), i 126 lead di ottobre 2026 sono stati ricontattati? Più o meno che quota è stata sentita?", asks["sales_followup"])
	require.True(t, strings.HasPrefix(asks["lead_quality"], "paolo: Paolo (responsabile clinica), "), asks["lead_quality"])

	run(t, "", "ask", "--db", db, "--thread", r.Thread, "--as", "sara", "più o meno la metà")
	out, stderr, code = run(t, "", "ask", "--db", db, "--thread", r.Thread, "--as", "paolo", "--json", "direi il 70%")
	require.Zero(t, code, stderr)
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	require.NotNil(t, r.Draft)
	require.Contains(t, r.Draft.Text, "Sara richiama ogni lead qualificato entro 48 ore")
	require.Contains(t, r.Draft.Text, "Sara (reception): ricontattati circa il 50% dei lead")
	require.NotContains(t, r.Draft.Text, "commerciale", "nobody at the clinic is a commerciale")
	require.Contains(t, r.Draft.Text, "i nuovi pazienti in crescita, verso l'obiettivo di 40")

	out, stderr, code = run(t, "", "ask", "--profile", prof, "--data", data, "--db", db, "--as", "elena", "--json", "qual è il tasso di no show di ottobre?")
	require.Zero(t, code, stderr)
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	require.Contains(t, r.Draft.Text, "Tasso di appuntamenti mancati a ottobre 2026: 11% (50 appuntamenti mancati su 444 appuntamenti)", "a percent metric is never shown as 0,11")

	out, stderr, code = run(t, "", "metrics", "--profile", prof, "--json")
	require.Zero(t, code, stderr)
	var m struct {
		Metrics []struct{ ID, Kind, Better, Use, Stage, Formula, Source string }
	}
	require.NoError(t, json.Unmarshal([]byte(out), &m))
	found := false
	for _, x := range m.Metrics {
		if x.ID == "no_show_rate" {
			found = true
			require.Equal(t, "percent", x.Kind)
			require.Equal(t, "down", x.Better)
			require.Equal(t, "decisional", x.Use)
			require.Equal(t, "no_shows / appointments", x.Formula)
			require.Regexp(t, `company\.yaml:\d+$`, x.Source)
		}
		if x.ID == "followers" {
			require.Equal(t, "vanity", x.Use)
			require.Equal(t, "built-in", x.Source)
		}
	}
	require.True(t, found)
	out, stderr, code = run(t, "", "metrics", "--workspace", "studio_dentistico_sorriso", "--db", db)
	require.Zero(t, code, stderr)
	require.Regexp(t, `no_show_rate\s+percent\s+down\s+decisional\s+retention\s+\S*company\.yaml:\d+`, out, "a stored workspace keeps its own metrics")
	out, _, code = run(t, "", "metrics")
	require.Zero(t, code)
	require.Contains(t, out, "cost_per_qualified_lead")
	require.NotContains(t, out, "no_show_rate", "without a profile only the built-in catalogue")
}

// validate reports every problem of profile and data in one run, with file:line, the
// field and a did-you-mean, and nothing is imported.
func TestValidateReportsEveryProblem(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ws := filepath.Join(dir, "ws")
	_, stderr, code := run(t, "", "init", ws, "--company", "Studio", "--industry", "dental", "--lang", "it")
	require.Zero(t, code, stderr)
	b, err := os.ReadFile(filepath.Join(ws, "company.yaml"))
	require.NoError(t, err)
	bad := strings.NewReplacer("kind: percent", "kind: percentage", `role: "receptionist"`, `role: "receptionst"`, "metric: new_patients,", "metric: new_patiens,").Replace(string(b))
	require.NoError(t, os.WriteFile(filepath.Join(ws, "company.yaml"), []byte(bad), 0o644))
	csv := filepath.Join(dir, "more.csv")
	require.NoError(t, os.WriteFile(csv, []byte("period,metric,value\n2026-11,leads,abc\n"), 0o644))
	_, stderr, code = run(t, "", "validate", "--profile", filepath.Join(ws, "company.yaml"), "--data", filepath.Join(ws, "kpis.csv"), "--data", csv)
	require.Equal(t, 2, code)
	require.Regexp(t, `company\.yaml:\d+: metrics\[no_show_rate\]\.kind: "percentage" is not a kind`, stderr)
	require.Regexp(t, `company\.yaml:\d+: people\[1\]\.role: "receptionst" is not a role \(did you mean receptionist\?\)`, stderr)
	require.Contains(t, stderr, `more.csv:2: metric leads: value "abc" is not a number`)
	require.Regexp(t, `company\.yaml:\d+: goals\[new_patients_goal\]\.metric: unknown metric "new_patiens" \(did you mean new_patients\?\)`, stderr, "the goal's metric is checked against the data read, though a file failed")

	good := strings.NewReplacer("metric: new_patients,", "metric: new_patiens,", "retention: [no_show_rate]", "retention: [no_show_rate, churm]").Replace(string(b))
	require.NoError(t, os.WriteFile(filepath.Join(ws, "company.yaml"), []byte(good), 0o644))
	_, stderr, code = run(t, "", "validate", "--profile", filepath.Join(ws, "company.yaml"), "--data", filepath.Join(ws, "kpis.csv"))
	require.Equal(t, 2, code)
	require.Regexp(t, `company\.yaml:\d+: goals\[new_patients_goal\]\.metric: unknown metric "new_patiens" \(did you mean new_patients\?\)`, stderr)
	require.Regexp(t, `company\.yaml:\d+: funnel\.retention: unknown metric "churm" \(did you mean churn\?\)`, stderr)
}

// init -i asks in the terminal and writes a profile that validates; an answer that does
// not fit is asked again.
func TestInitInteractive(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ws := filepath.Join(dir, "ws")
	answers := strings.Join([]string{
		"Trattoria Da Franco", "ristorante", "restaurant", "it",
		"franco, Franco Russo, owner",
		"chiara, Chiara Costa, cameriera",
		"chiara, Chiara Costa, responsabile di sala",
		"luca, Luca Neri, agency, reviewer",
		"",
		"covers 2500 by 2027-09",
		"no_show_rate <= 0.08",
	}, "\n") + "\n"
	out, stderr, code := run(t, answers, "init", ws, "-i")
	require.Zero(t, code, stderr)
	require.Contains(t, out, `"ristorante": usa uno di b2b, ecommerce, dental, restaurant, agency`, "a kind that does not exist is asked again, in Italian by default")
	require.Contains(t, out, `"cameriera" non è un ruolo qui`)
	out, stderr, code = run(t, "", "validate", "--profile", filepath.Join(ws, "company.yaml"), "--data", filepath.Join(ws, "kpis.csv"))
	require.Zero(t, code, stderr)
	b, err := os.ReadFile(filepath.Join(ws, "company.yaml"))
	require.NoError(t, err)
	require.Contains(t, string(b), `company: "Trattoria Da Franco"`)
	require.Contains(t, string(b), `{handle: chiara, name: "Chiara Costa", role: "responsabile di sala"}`)
	require.Contains(t, string(b), `{handle: luca, name: "Luca Neri", role: "agency", reviewer: true}`)
	require.Contains(t, string(b), `metric: "covers", target: 2500, by: "2027-09"`)
	require.Contains(t, string(b), `rule: "no_show_rate <= 0.08"`)
}

// init -i --lang en asks in English.
func TestInitInteractiveEnglish(t *testing.T) {
	t.Parallel()
	ws := filepath.Join(t.TempDir(), "ws")
	out, stderr, code := run(t, "Smile Dental\ndentist\ndental\nen\n\n\n\n", "init", ws, "-i", "--lang", "en")
	require.Zero(t, code, stderr)
	require.Contains(t, out, "Company name: ")
	require.Contains(t, out, `"dentist": use one of b2b, ecommerce, dental, restaurant, agency`)
	_, stderr, code = run(t, "", "validate", "--profile", filepath.Join(ws, "company.yaml"), "--data", filepath.Join(ws, "kpis.csv"))
	require.Zero(t, code, stderr)
}
