package evals_test

import (
	"context"
	"os"
	"testing"

	"github.com/whybot/whybot/evals"
)

func TestTmpHold(t *testing.T) {
	rep, err := evals.RunReplies(context.Background(), "/tmp/corpus/hold")
	if err != nil {
		t.Fatal(err)
	}
	rep.Print(os.Stdout, true)
}
