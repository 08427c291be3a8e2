package evals_test

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/evals"
)

// TestReplyCorpus reads every reply of evals/replies through the engine and holds the
// floors of issue 19: at least 95% read right, none dropped, none wrong, no invented
// precision.
func TestReplyCorpus(t *testing.T) {
	t.Parallel()
	rep, err := evals.RunReplies(context.Background(), "replies")
	require.NoError(t, err)
	require.GreaterOrEqual(t, rep.Replies(""), 400)
	if testing.Verbose() || rep.Floors() != "" {
		rep.Print(os.Stdout, true)
	}
	require.Empty(t, rep.Floors())
	for _, lang := range []string{"it", "en"} {
		require.GreaterOrEqual(t, float64(rep.Count(lang, evals.ReadRight)), 0.95*float64(rep.Replies(lang)), lang)
	}
	require.Zero(t, rep.Count("", evals.Dropped), "dropped")
	require.Zero(t, rep.Count("", evals.Wrong), "wrong")
	require.Zero(t, rep.Count("", evals.Invented), "invented precision")
}
