package conversation

import (
	"context"
	"strings"

	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/retrieval"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/prompts"
)

// Knowledge is the company knowledge base the engine cites from and adds approved answers to.
type Knowledge interface {
	Search(ctx context.Context, workspace, query string, k int) ([]retrieval.Result, error)
	AddAnswer(ctx context.Context, workspace, lang, draftID, question, text, approvedBy string) error
}

// WithKnowledge lets drafts cite the company's knowledge and indexes approved answers.
func WithKnowledge(k Knowledge) Option {
	return func(e *Engine) { e.knowledge = k }
}

// Citation is a piece of company knowledge a draft quotes, shown to the reviewer.
type Citation = record.Citation

// maxExcerpt bounds a quoted excerpt, in characters.
const maxExcerpt = 240

// cite finds at most one document or approved answer worth quoting for the question. The
// deterministic path quotes only what both the full-text and the vector search found, so
// a citation shares words with the question, not just letters; the profile and glossary
// are left out (the rules already use them).
func (e *Engine) cite(ctx context.Context, workspace, question string) []Citation {
	if e.knowledge == nil || strings.TrimSpace(question) == "" {
		return nil
	}
	res, err := e.knowledge.Search(ctx, workspace, question, 5)
	if err != nil {
		e.log.WarnContext(ctx, "knowledge search failed; drafting without it", "workspace", workspace, "err", err)
		return nil
	}
	for _, r := range res {
		if (r.Kind != store.KindDocument && r.Kind != store.KindAnswer) || r.TextRank == 0 || r.VectorRank == 0 {
			continue
		}
		title := r.Title
		if i := strings.LastIndex(title, " › "); i >= 0 && r.Kind == store.KindDocument {
			title = title[:i] // the document, not the section
		}
		return []Citation{{Source: r.Source, Kind: r.Kind, Title: title, Excerpt: excerpt(r.Text, question), Score: r.Score}}
	}
	return nil
}

// excerpt picks the sentence of text sharing most words with the question.
func excerpt(text, question string) string {
	terms := map[string]bool{}
	for _, t := range store.TextTerms(question) {
		if len(t) > 3 {
			terms[t[:4]] = true // a crude stem: "qualificati" and "qualifica" meet
		}
	}
	best, bestN := "", -1
	for _, s := range sentences(text) {
		n := 0
		for _, w := range store.TextTerms(s) {
			if len(w) > 3 && terms[w[:4]] {
				n++
			}
		}
		if n > bestN {
			best, bestN = s, n
		}
	}
	if r := []rune(best); len(r) > maxExcerpt {
		best = string(r[:maxExcerpt-1]) + "…"
	}
	return best
}

func sentences(text string) []string {
	var out []string
	start := 0
	rs := []rune(strings.Join(strings.Fields(text), " "))
	for i, r := range rs {
		if (r == '.' || r == '!' || r == '?' || r == ':') && (i+1 == len(rs) || rs[i+1] == ' ') {
			if s := strings.TrimSpace(string(rs[start : i+1])); s != "" {
				out = append(out, s)
			}
			start = i + 1
		}
	}
	if s := strings.TrimSpace(string(rs[start:])); s != "" {
		out = append(out, s)
	}
	return out
}

// citeText renders citations as a paragraph of the draft.
func citeText(set *prompts.Set, cs []Citation) (string, error) {
	var parts []string
	for _, c := range cs {
		s, err := set.Render("cite", c)
		if err != nil {
			return "", err
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "\n"), nil
}
