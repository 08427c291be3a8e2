package llm_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/llm"
	"github.com/whybot/whybot/prompts"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestPromptGolden renders every LLM prompt template in both languages, for each tone and
// detail, with the evidence document of a sample draft; a change to a prompt shows as a
// diff of testdata/*.golden (go test ./bot/llm -run Golden -update rewrites them).
func TestPromptGolden(t *testing.T) {
	t.Parallel()
	evidence, err := llm.Prompt(input())
	require.NoError(t, err)
	for _, lang := range []string{"it", "en"} {
		set, err := prompts.For(lang)
		require.NoError(t, err)
		out := ""
		for _, tone := range []string{"formal", "informal"} {
			for _, detail := range []string{"summary", "detailed"} {
				s, err := set.Render("llm.system", map[string]string{"Tone": tone, "Detail": detail})
				require.NoError(t, err)
				out += "== llm.system " + tone + " " + detail + "\n" + s + "\n\n"
			}
		}
		u, err := set.Render("llm.user", map[string]string{"Evidence": evidence})
		require.NoError(t, err)
		r, err := set.Render("llm.retry", map[string]string{"Figures": "45, 87"})
		require.NoError(t, err)
		out += "== llm.user\n" + u + "\n\n== llm.retry\n" + r + "\n"
		path := filepath.Join("testdata", "prompts_"+lang+".golden")
		if *update {
			require.NoError(t, os.MkdirAll("testdata", 0o755))
			require.NoError(t, os.WriteFile(path, []byte(out), 0o644))
		}
		want, err := os.ReadFile(path)
		require.NoError(t, err, "run go test ./bot/llm -run Golden -update to create the golden files")
		require.Equal(t, string(want), out)
	}
}
