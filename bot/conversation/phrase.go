package conversation

import (
	"context"

	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/rules"
)

// Phraser rewrites the rules' draft in better words (a language model), from the same
// evidence; it must return the rules' draft when its own does not pass grounding or the
// model fails. It never decides anything: the draft still waits for a reviewer.
type Phraser interface {
	Phrase(ctx context.Context, in PhraseInput) Phrased
}

// PhraseInput is what a phraser may use: aggregates and the words people wrote, never
// raw data rows.
type PhraseInput struct {
	Workspace string
	Language  string // it | en
	Tone      string // formal | informal
	Detail    string // summary | detailed
	Question  string
	Draft     string // the rules' draft: the fallback, and the source of its figures
	Period    string
	Observed  []rules.Observed
	Findings  []rules.Finding
	Facts     []rules.Fact
	Caveats   []string
	Knowledge []Citation
	Names     []string // people's names, redacted before anything is sent
}

// Phrased is a phraser's result and how it came about; the reviewer sees the latter.
type Phrased = record.Phrased

// Why a phraser kept the rules' draft; the review card says it in the reviewer's language
// (the detail goes to the logs).
const (
	FallbackError      = "error"      // the model failed or answered nothing
	FallbackTimeout    = "timeout"    // the model took longer than its timeout
	FallbackPaused     = "paused"     // the circuit breaker is open after repeated failures
	FallbackUngrounded = "ungrounded" // the model's draft failed grounding twice
)

// Word limits of a draft, by the asker's level of detail: whoever writes it, the rules or a
// language model.
const (
	SummaryWords  = 120
	DetailedWords = 300
)

// WordLimit is the word limit of a draft for a person's level of detail.
func WordLimit(detail string) int {
	if detail == "summary" {
		return SummaryWords
	}
	return DetailedWords
}

// Unsupported is one thing a model's draft stated that the evidence does not hold.
type Unsupported = record.Unsupported

// WithPhraser lets a language model phrase drafts (workspaces whose profile says llm: off
// keep the rules' drafts).
func WithPhraser(p Phraser) Option { return func(e *Engine) { e.phraser = p } }
