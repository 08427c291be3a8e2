package main_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/llm/llmfake"
	"github.com/whybot/whybot/knowledge/sample"
)

// `whybot eval --llm` through the built binary and langchaingo's OpenAI client, against
// the scripted fake model on loopback: the deterministic run and the LLM run side by side,
// with the readings used, the grounding failures caught and the fallbacks counted.
func TestEvalWithLLM(t *testing.T) {
	t.Parallel()
	fake := llmfake.New(llmfake.Scripted())
	t.Cleanup(fake.Close)
	env := []string{"DATABASE_URL=", "WHYBOT_LLM=openai", "WHYBOT_LLM_MODEL=fake-model", "OPENAI_BASE_URL=" + fake.URL + "/v1", "WHYBOT_LOG_LEVEL=debug"}
	out, stderr, code := runIn(t, "", env, "eval", "--llm", "../../evals/cases")
	require.Zero(t, code, out+stderr)

	m := regexp.MustCompile(`pass rate: rules (\d+)/(\d+) \(100%\), LLM (\d+)/(\d+)`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	require.Equal(t, m[1], m[3], "the scripted model agrees with the rules: the same cases pass: %s", out)
	n, _ := strconv.Atoi(m[2])
	require.GreaterOrEqual(t, n, 25)

	reads := regexp.MustCompile(`readings: (\d+) of (\d+) messages read by the LLM; kept the parser's: (\d+) \((\d+) invalid\)`).FindStringSubmatch(out)
	require.NotNil(t, reads, out)
	used, total, kept := atoi(reads[1]), atoi(reads[2]), atoi(reads[3])
	require.Equal(t, total, used+kept)
	require.Positive(t, kept, "every fifth reading is prose: refused")

	drafts := regexp.MustCompile(`drafts: (\d+) of (\d+) written by the LLM; grounding failures: (\d+); fell back to the rules' draft: none`).FindStringSubmatch(out)
	require.NotNil(t, drafts, out)
	require.Equal(t, drafts[1], drafts[2], "each invented figure is caught and the retry is grounded")
	require.Positive(t, atoi(drafts[3]))

	calls := fake.Calls()
	require.NotEmpty(t, calls)
	for _, c := range calls {
		require.Equal(t, "fake-model", c.Model)
	}
	// the prompts carry people's words and company data; the logs never do, even at debug
	require.Contains(t, stderr, "llm draft failed grounding")
	for _, private := range []string{"Giulia Bianchi", "<evidence>", "<message>", "Perché i lead", "why did leads rise"} {
		require.NotContains(t, stderr, private)
	}
	require.True(t, strings.Contains(calls[0].User, "<message>") || strings.Contains(calls[0].User, "<evidence>"))
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// Nothing personal reaches the model: a realistic export whose source labels carry names,
// e-mail addresses and phone numbers in every common form, a knowledge document with a
// contact, and answers naming customers go through `whybot ask` with a model configured;
// no request body the model received holds any of them, nor the data file's path.
func TestNothingPersonalReachesTheModel(t *testing.T) {
	t.Parallel()
	fake := llmfake.New(llmfake.Scripted())
	t.Cleanup(fake.Close)
	dir := t.TempDir()
	prof, data, err := sample.Write(filepath.Join(dir, "ws"))
	require.NoError(t, err)
	personal := []string{
		"Referral Mario Rossi mario.rossi@example.com +39 333 1234567",
		"Referral Gianfranco Esposito 3331234567",
		"Passaparola Niccolò Ferraris (02) 1234 5678",
		"Fiera Sig.ra Carla Neri 0039 02 8765 4321",
		"Lead Pierluigi D'Amico 333-765-4321",
		"LinkedIn O’Brien Kate kate.obrien@example.co.uk +44 20 7946 0958",
	}
	f, err := os.OpenFile(data, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	for i, src := range personal {
		_, err = fmt.Fprintf(f, "2026-10,leads,%d,referral,,,%q,referral\n", i+1, src)
		require.NoError(t, err)
	}
	require.NoError(t, f.Close())
	doc := "# Clienti chiave\n\nIl referente di Tornitura Sud è il Dott. Alberto Gallo (alberto.gallo@tornitura.example, tel. 333.123.4567): ci ha portato Simona Greco con IBAN IT60 X054 2811 1010 0000 0123 456.\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ws", "knowledge", "clienti.md"), []byte(doc), 0o644))

	env := []string{"DATABASE_URL=", "WHYBOT_LLM=openai", "WHYBOT_LLM_MODEL=fake-model", "OPENAI_BASE_URL=" + fake.URL + "/v1"}
	db := filepath.Join(dir, "w.db")
	out, stderr, code := runIn(t, "", env, "ask", "--profile", prof, "--data", data, "--db", db, "--json", "perché i lead sono aumentati? Me lo ha chiesto Niccolò Ferraris (niccolo@ferraris.example, 347 765 4321)")
	require.Zero(t, code, stderr)
	var r struct{ Thread string }
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	for _, a := range []struct{ as, text string }{
		{"giulia", "solo il 40% è in target; il migliore è quello di Gianfranco Esposito, richiamalo al 3331234567"},
		{"marco", "li ho sentiti quasi tutti, tranne la Sig.ra Carla Neri: dice di scriverle a carla.neri@example.it"},
		{"anna", "rispondi comunque"},
	} {
		_, stderr, code = runIn(t, "", env, "ask", "--db", db, "--thread", r.Thread, "--as", a.as, "--json", a.text)
		require.Zero(t, code, stderr)
	}
	calls := fake.Calls()
	require.NotEmpty(t, calls)
	sawEvidence := false
	placeholders := map[string]bool{}
	for _, c := range calls {
		sawEvidence = sawEvidence || strings.Contains(c.User, "<evidence>")
		for _, ph := range []string{"[person]", "[email]", "[phone]"} {
			placeholders[ph] = placeholders[ph] || strings.Contains(c.Raw, ph)
		}
		body := strings.ToLower(c.Raw)
		for _, private := range []string{"mario rossi", "anna rossi", "esposito", "ferraris", "carla neri", "d'amico", "d\\u0027amico", "o’brien", "o\\u2019brien",
			"gallo", "simona greco", "bianchi", "verdi", "@example", "niccolo@", "333", "1234567", "8765", "4321", "7946", "it60", "0123 456", dir, "kpis.csv"} {
			require.NotContains(t, body, strings.ToLower(private), "sent to the model:\n%s", c.Raw)
		}
	}
	require.True(t, sawEvidence, "a draft was phrased")
	require.Equal(t, map[string]bool{"[person]": true, "[email]": true, "[phone]": true}, placeholders, "the personal data was there, redacted")
}
