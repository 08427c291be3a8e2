package evals

import (
	"strings"

	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/bot/llm"
	"github.com/whybot/whybot/knowledge/workspace"
	"github.com/whybot/whybot/prompts"
)

// ungrounded lists the figures of a draft that nothing it rests on holds: not a value of
// the data (any row, any period, derived or given), not a person's answer (their reading
// or the question's own claim), not the profile (goals, limits, thresholds), not a rule's
// computation from those (a finding's parameters and evidence), and not the templates'
// own text (the plays' "4 weeks"). What a person or a document said may be quoted,
// verbatim, inside quotation marks.
func ungrounded(ws *workspace.Workspace, lang string, r conversation.Reply, draft string) ([]string, error) {
	ev := llm.NewEvidence(lang)
	for _, f := range r.Facts {
		ev.AddTheirs(f.Text)
	}
	for _, k := range r.Knowledge {
		ev.AddTheirs(k.Excerpt, k.Title)
	}
	ds := ws.Data
	for i, p := range ds.Periods {
		ev.AddText(p.String())
		ev.AddJSON(ds.Values(i))
	}
	for _, row := range ds.Input {
		ev.Add(row.Value)
	}
	p := ws.Profile
	ev.AddJSON(p.Goals, p.Thresholds.WithDefaults())
	for _, l := range p.Limits {
		ev.AddText(l.Rule + " " + l.Text)
	}
	for _, f := range r.Facts {
		ev.AddFact(f.Metric, f.Value)
		if f.Reading != nil {
			ev.AddJSON(f.Reading.Low, f.Reading.High, f.Reading.Count, f.Reading.Of)
		}
	}
	ev.AddJSON(r.Intent, r.Observed)
	for _, f := range r.Findings {
		ev.AddJSON(f.Params, f.Evidence)
	}
	lit, err := prompts.LiteralNumbers(lang)
	if err != nil {
		return nil, err
	}
	ev.Add(lit...)
	var out []string
	for _, f := range ev.Ground(draft) {
		if f.Kind == "figure" {
			out = append(out, f.Text)
		}
	}
	return out, nil
}

// words counts a draft's words.
func words(s string) int { return len(strings.Fields(s)) }
