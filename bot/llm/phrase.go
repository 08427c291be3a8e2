package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/knowledge/rules"
	"github.com/whybot/whybot/prompts"
)

// Phraser has a model rewrite the rules' draft. The model sees the evidence as one
// fenced JSON document (aggregates, findings, people's words with personal data
// redacted), never raw rows. Its text must pass grounding; a text that fails is asked
// for once more with the failures named, then the rules' draft is used. Any error,
// timeout or open breaker also falls back to the rules' draft.
type Phraser struct {
	Model Model
	Log   *slog.Logger
}

var _ conversation.Phraser = (*Phraser)(nil)

func (p *Phraser) log() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.Default()
}

// Phrase rewrites in.Draft, or says why it kept it.
func (p *Phraser) Phrase(ctx context.Context, in conversation.PhraseInput) conversation.Phrased {
	keep := func(attempts int, why string, detail error, failed []Failure) conversation.Phrased {
		p.log().InfoContext(ctx, "llm draft not used; the rules' draft stands", "workspace", in.Workspace, "why", why, "err", detail, "unsupported", Failures(failed))
		return conversation.Phrased{Text: in.Draft, Source: "rules", Grounded: true, Fallback: why, Failed: failed, Attempts: attempts}
	}
	set, err := prompts.For(in.Language)
	if err != nil {
		return keep(0, conversation.FallbackError, err, nil)
	}
	evidence, err := Prompt(in)
	if err != nil {
		return keep(0, conversation.FallbackError, err, nil)
	}
	ev := evidenceOf(in)
	system, err := set.Render("llm.system", map[string]string{"Tone": in.Tone, "Detail": in.Detail})
	if err != nil {
		return keep(0, conversation.FallbackError, err, nil)
	}
	user, err := set.Render("llm.user", map[string]string{"Evidence": evidence})
	if err != nil {
		return keep(0, conversation.FallbackError, err, nil)
	}
	var bad []Failure
	for attempt := 1; attempt <= 2; attempt++ {
		out, err := p.Model.Complete(ctx, system, user, false)
		if err != nil {
			return keep(attempt, reason(err), err, nil)
		}
		out = strings.TrimSpace(out)
		bad = ev.Ground(out)
		if n, limit := len(strings.Fields(out)), conversation.WordLimit(in.Detail); n > limit {
			bad = append(bad, Failure{Kind: "length", Text: strconv.Itoa(n) + " > " + strconv.Itoa(limit)})
		}
		if len(bad) == 0 {
			return conversation.Phrased{Text: out, Source: "llm", Grounded: true, Attempts: attempt}
		}
		p.log().WarnContext(ctx, "llm draft failed grounding", "workspace", in.Workspace, "attempt", attempt, "unsupported", Failures(bad))
		retry, err := set.Render("llm.retry", map[string]any{"Failed": bad})
		if err != nil {
			return keep(attempt, conversation.FallbackError, err, nil)
		}
		user += "\n\n" + retry
	}
	return keep(2, conversation.FallbackUngrounded, nil, bad)
}

// evidenceOf is what a draft for in may state. Figures come from the data (observed
// aggregates and the rules' evidence), from the readings of people's answers (a fact's
// value, never its words), and from the rules' own text outside quotes. What people wrote
// and what documents say are theirs: a figure in them is quoted by the rules' draft, not
// evidence for the model to state as a fact, so "say leads rose 500%" grounds nothing.
func evidenceOf(in conversation.PhraseInput) *Evidence {
	ev := NewEvidence(in.Language)
	for _, f := range in.Facts {
		ev.AddTheirs(f.Text)
	}
	for _, k := range in.Knowledge {
		ev.AddTheirs(k.Excerpt, k.Title)
	}
	ev.AddRulesText(in.Draft)
	ev.AddText(in.Period)
	ev.AddJSON(in.Observed)
	for _, f := range in.Findings {
		ev.AddRules(string(f.Rule))
		ev.AddJSON(f.Evidence)
		ev.AddRulesText(f.Message)
	}
	for _, f := range in.Facts {
		ev.AddFact(f.Metric, f.Value)
	}
	for _, c := range in.Caveats {
		ev.AddRulesText(c)
	}
	return ev
}

// datum is one figure of a finding's evidence as the model reads it.
type datum struct {
	Metric string  `json:"metric"`
	Period string  `json:"period,omitempty"`
	Value  float64 `json:"value"`
	Source string  `json:"source,omitempty"`
}

// observed is an observed aggregate as the model reads it: no source label.
type observed struct {
	Metric         string   `json:"metric"`
	Period         string   `json:"period"`
	PreviousPeriod string   `json:"previous_period,omitempty"`
	Value          float64  `json:"value"`
	PreviousValue  *float64 `json:"previous_value"`
	ChangePct      *float64 `json:"change_pct"`
}

func observedFor(obs []rules.Observed) []observed {
	out := make([]observed, len(obs))
	for i, o := range obs {
		out[i] = observed{Metric: o.Metric, Period: o.Period, PreviousPeriod: o.PreviousPeriod, Value: o.Value, PreviousValue: o.PreviousValue, ChangePct: o.ChangePct}
	}
	return out
}

// sourceFor is where a figure came from, as the model may read it: the kind of source,
// never a file path, a line or a person's handle, and a channel's label redacted.
func sourceFor(r Redactor, src string) string {
	switch {
	case src == "" || src == "data" || src == "derived" || src == "profile" || src == "all channels":
		return src
	case strings.HasPrefix(src, "fact:"):
		return "a person's answer"
	case strings.HasPrefix(src, "channel="):
		return "channel " + r.Redact(strings.TrimPrefix(src, "channel="))
	}
	return "data" // a file:line with a source label, or anything else: the kind only
}

// reason is the fallback reason for a model failure; the reviewer sees it in their language.
func reason(err error) string {
	switch {
	case errors.Is(err, ErrOpen):
		return conversation.FallbackPaused
	case errors.Is(err, context.DeadlineExceeded):
		return conversation.FallbackTimeout
	}
	return conversation.FallbackError
}

// Prompt is the evidence document the model reads: JSON, so text from people and reports
// is always a string value (Go's encoder also escapes < and >, so no text can close the
// fence), with personal data redacted.
func Prompt(in conversation.PhraseInput) (string, error) {
	r := Redactor{Names: in.Names}
	type finding struct {
		Rule     string  `json:"rule"`
		Severity string  `json:"severity"`
		Message  string  `json:"message"`
		Evidence []datum `json:"evidence"`
	}
	type fact struct {
		Topic  string   `json:"topic"`
		Metric string   `json:"metric,omitempty"`
		Value  *float64 `json:"value,omitempty"`
		Said   string   `json:"said"`
	}
	doc := struct {
		Question  string              `json:"question"`
		Period    string              `json:"period"`
		Draft     string              `json:"draft"`
		Observed  any                 `json:"observed"`
		Findings  []finding           `json:"rules_fired"`
		Facts     []fact              `json:"facts_from_people"`
		Caveats   []string            `json:"open_caveats"`
		Knowledge []map[string]string `json:"company_knowledge"`
	}{Question: r.Redact(in.Question), Period: in.Period, Draft: r.Redact(in.Draft), Observed: observedFor(in.Observed)}
	for _, f := range in.Findings {
		ev := make([]datum, len(f.Evidence))
		for i, d := range f.Evidence {
			ev[i] = datum{Metric: d.Metric, Period: d.Period, Value: d.Value, Source: sourceFor(r, d.Source)}
		}
		doc.Findings = append(doc.Findings, finding{Rule: string(f.Rule), Severity: string(f.Severity), Message: r.Redact(f.Message), Evidence: ev})
	}
	for _, f := range in.Facts {
		doc.Facts = append(doc.Facts, fact{Topic: string(f.Topic), Metric: f.Metric, Value: f.Value, Said: r.Redact(f.Text)})
	}
	for _, c := range in.Caveats {
		doc.Caveats = append(doc.Caveats, r.Redact(c))
	}
	for _, k := range in.Knowledge {
		doc.Knowledge = append(doc.Knowledge, map[string]string{"title": r.Redact(k.Title), "excerpt": r.Redact(k.Excerpt)})
	}
	b, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		return "", fmt.Errorf("encode evidence: %w", err)
	}
	return string(b), nil
}
