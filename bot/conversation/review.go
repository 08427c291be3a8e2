package conversation

import (
	"context"
	"fmt"

	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/prompts"
)

// Review is what a reviewer is shown of a draft, whatever the transport: the draft, its
// thread, the question, and the evidence the draft was written from.
type Review struct {
	Draft    store.Draft
	Thread   store.Thread
	Question string
	Evidence ReviewEvidence
}

// ReviewEvidence is a draft's stored evidence, as a reviewer is shown it.
type ReviewEvidence = record.Evidence

// ReviewStore is what LoadReview reads.
type ReviewStore interface {
	Draft(ctx context.Context, workspace, id string) (store.Draft, error)
	Thread(ctx context.Context, workspace, id string) (store.Thread, error)
	Events(ctx context.Context, workspace, threadID string) ([]store.Event, error)
}

// LoadReview reads a draft with its thread, question and evidence, so a review card's
// first post and every later update render from the same stored facts.
func LoadReview(ctx context.Context, st ReviewStore, workspace, draftID string) (*Review, error) {
	d, err := st.Draft(ctx, workspace, draftID)
	if err != nil {
		return nil, fmt.Errorf("load draft %s/%s: %w", workspace, draftID, err)
	}
	th, err := st.Thread(ctx, workspace, d.ThreadID)
	if err != nil {
		return nil, fmt.Errorf("load thread %s/%s: %w", workspace, d.ThreadID, err)
	}
	evs, err := st.Events(ctx, workspace, d.ThreadID)
	if err != nil {
		return nil, fmt.Errorf("load events of %s/%s: %w", workspace, d.ThreadID, err)
	}
	r := &Review{Draft: d, Thread: th, Question: QuestionOf(evs)}
	if r.Evidence, err = record.Decode[record.Evidence](d.Evidence); err != nil {
		return nil, fmt.Errorf("evidence of draft %s: %w", d.ID, err)
	}
	return r, nil
}

// SourceLine says who wrote the draft, for the reviewer: the rules, or the language model
// (grounded), or the rules because the model's draft was not usable, and why.
func (r *Review) SourceLine(set interface{ Text(string, any) string }) string {
	src := Phrased{Source: "rules"}
	if r.Evidence.Source != nil {
		src = *r.Evidence.Source
	}
	return set.Text("review.source", map[string]any{"Source": src.Source, "Fallback": src.Fallback, "Failed": src.Failed})
}

// Readings say, for each answer a share was read from, what was read, from which words,
// who gave it and who read it (the rules, the language model, a button), so that a
// misreading is caught before approval: «Giulia (lead in target): letto come circa il
// 38% (circa 30 su 78) — da: "…una trentina…" (regole)». Plain text: the transport
// escapes it.
func (r *Review) Readings(set *prompts.Set, p *profile.Profile) []string {
	v, err := prompts.NewView(set.Lang, p)
	if err != nil {
		return nil
	}
	var out []string
	for _, f := range r.Evidence.Facts {
		if f.Reading == nil {
			continue
		}
		out = append(out, set.Text("review.reading", map[string]any{"V": v, "F": f, "R": f.Reading}))
	}
	return out
}
