package main_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/llm/llmfake"
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
	require.Equal(t, m[1], m[3], "the scripted model agrees with the rules: the same cases pass")
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
