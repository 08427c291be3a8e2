package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"strings"

	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/bot/understand"
	"github.com/whybot/whybot/knowledge/rules"
	"github.com/whybot/whybot/prompts"
)

// Reader has a model read questions and answers into the same structures the
// deterministic parser produces. The model answers with one JSON object; the object is
// decoded strictly and checked (known kinds, metrics and topics only, every number one
// the message states) before it is used. Anything else keeps the parser's reading.
type Reader struct {
	Model Model
	Log   *slog.Logger
}

var _ conversation.Reader = (*Reader)(nil)

func (r *Reader) log() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.Default()
}

// intentJSON is the schema of a question's reading.
type intentJSON struct {
	Kind             string   `json:"kind"`
	Metric           string   `json:"metric"`
	Direction        string   `json:"direction"`
	ClaimedChangePct *float64 `json:"claimed_change_pct"`
	Target           *float64 `json:"target"`
	Unknown          string   `json:"unknown"`
}

// factsJSON is the schema of an answer's reading.
type factsJSON struct {
	Facts []factJSON `json:"facts"`
}

type factJSON struct {
	Topic string   `json:"topic"`
	Share *float64 `json:"share"`
}

// Question reads a question.
func (r *Reader) Question(ctx context.Context, in conversation.QuestionInput) (rules.Intent, conversation.Read) {
	red := Redactor{Names: in.Names}
	doc := map[string]any{
		"question":      red.Redact(in.Text),
		"metrics":       in.Metrics,
		"first_reading": toIntentJSON(in.Parsed),
	}
	var out intentJSON
	read := r.ask(ctx, in.Workspace, in.Language, "llm.read.question", doc, &out)
	if read.By != "llm" {
		return in.Parsed, read
	}
	intent, err := checkIntent(out, in)
	if err != nil {
		return in.Parsed, r.invalid(ctx, in.Workspace, err)
	}
	return intent, read
}

// Answer reads an answer to the questions in.Asked.
func (r *Reader) Answer(ctx context.Context, in conversation.AnswerInput) ([]understand.Answer, conversation.Read) {
	red := Redactor{Names: in.Names}
	type asked struct {
		Topic string `json:"topic"`
		Asked string `json:"asked,omitempty"`
	}
	var qs []asked
	for _, q := range in.Asked {
		qs = append(qs, asked{Topic: string(q.Topic), Asked: red.Redact(q.Text)})
	}
	first := factsJSON{Facts: []factJSON{}}
	for _, a := range in.Parsed.Answers {
		if v, ok := a.Point(); ok {
			first.Facts = append(first.Facts, factJSON{Topic: string(a.Topic), Share: &v})
		}
	}
	doc := map[string]any{"answer": red.Redact(in.Text), "open_questions": qs, "first_reading": first}
	if in.Leads > 0 {
		doc["leads_in_period"] = in.Leads
	}
	var out factsJSON
	read := r.ask(ctx, in.Workspace, in.Language, "llm.read.answer", doc, &out)
	if read.By != "llm" {
		return in.Parsed.Answers, read
	}
	answers, err := checkShares(out, in)
	if err != nil {
		return in.Parsed.Answers, r.invalid(ctx, in.Workspace, err)
	}
	return answers, read
}

// ask sends one fenced JSON document with the named system prompt and decodes the reply
// strictly into out.
func (r *Reader) ask(ctx context.Context, workspace, lang, system string, doc any, out any) conversation.Read {
	set, err := prompts.For(lang)
	if err != nil {
		set, _ = prompts.For("en")
	}
	b, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		return r.fallback(ctx, workspace, conversation.FallbackError, err)
	}
	sys, err := set.Render(system, nil)
	if err != nil {
		return r.fallback(ctx, workspace, conversation.FallbackError, err)
	}
	user, err := set.Render("llm.read.user", map[string]string{"Message": string(b)})
	if err != nil {
		return r.fallback(ctx, workspace, conversation.FallbackError, err)
	}
	reply, err := r.Model.Complete(ctx, sys, user, true)
	if err != nil {
		return r.fallback(ctx, workspace, reason(err), err)
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(stripFence(reply))))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		return r.invalid(ctx, workspace, fmt.Errorf("not the JSON object asked for: %w", err))
	}
	if dec.More() {
		return r.invalid(ctx, workspace, fmt.Errorf("not the JSON object asked for: text after the object"))
	}
	return conversation.Read{By: "llm"}
}

func (r *Reader) fallback(ctx context.Context, workspace, why string, err error) conversation.Read {
	r.log().InfoContext(ctx, "llm reading not used; the parser's reading stands", "workspace", workspace, "why", why, "err", err)
	return conversation.Read{By: "rules", Fallback: why}
}

func (r *Reader) invalid(ctx context.Context, workspace string, err error) conversation.Read {
	r.log().WarnContext(ctx, "llm reading failed its schema; the parser's reading stands", "workspace", workspace, "problem", err)
	return conversation.Read{By: "rules", Fallback: conversation.FallbackInvalid, Problem: err.Error()}
}

// stripFence removes a ```json fence some models put around JSON.
func stripFence(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "```") {
		s = strings.TrimPrefix(s, "```json")
		s = strings.TrimPrefix(s, "```")
		s = strings.TrimSuffix(strings.TrimSpace(s), "```")
	}
	return s
}

func toIntentJSON(in rules.Intent) intentJSON {
	return intentJSON{Kind: string(in.Kind), Metric: in.Metric, Direction: in.Direction, ClaimedChangePct: in.ClaimedChangePct, Target: in.Target, Unknown: in.Unknown}
}

// checkIntent validates a question's reading: known kind, direction and metric, and
// every number one the question states (or the parser read, as for "doubled").
func checkIntent(out intentJSON, in conversation.QuestionInput) (rules.Intent, error) {
	switch out.Kind {
	case "why", "goal", "status", "value", "report":
	default:
		return rules.Intent{}, fmt.Errorf("kind %q is not why, goal, status, value or report", out.Kind)
	}
	switch out.Direction {
	case "", "up", "down":
	default:
		return rules.Intent{}, fmt.Errorf("direction %q is not up, down or empty", out.Direction)
	}
	if out.Metric != "" {
		known := false
		for _, m := range in.Metrics {
			known = known || m.ID == out.Metric
		}
		if !known {
			return rules.Intent{}, fmt.Errorf("metric %q is not one of the workspace's metrics", out.Metric)
		}
	}
	stated := NewEvidence(in.Language)
	stated.AddText(in.Text)
	for _, p := range []*float64{in.Parsed.ClaimedChangePct, in.Parsed.Target} {
		if p != nil {
			stated.Add(*p)
		}
	}
	for name, p := range map[string]*float64{"claimed_change_pct": out.ClaimedChangePct, "target": out.Target} {
		if p == nil {
			continue
		}
		if math.IsNaN(*p) || math.IsInf(*p, 0) || !stated.matches(math.Abs(*p)) {
			return rules.Intent{}, fmt.Errorf("%s %v is not a number the question states", name, *p)
		}
	}
	pct := out.ClaimedChangePct
	if pct != nil && out.Direction != "" { // the sign follows the direction, as the parser writes it
		v := math.Abs(*pct)
		if out.Direction == "down" {
			v = -v
		}
		pct = &v
	}
	unknown := strings.TrimSpace(out.Unknown)
	if unknown != "" && (out.Metric != "" || len(unknown) > 40 || !strings.Contains(strings.ToLower(in.Text), strings.ToLower(unknown))) {
		return rules.Intent{}, fmt.Errorf("unknown %q is not words of the question about something other than the metrics", unknown)
	}
	return rules.Intent{Kind: rules.IntentKind(out.Kind), Metric: out.Metric, Direction: out.Direction, ClaimedChangePct: pct, Target: out.Target, Unknown: unknown}, nil
}

// checkShares validates an answer's reading: only topics asked of this person, one share
// each, between 0 and 1, and each one the reply states, as the deterministic reader finds
// quantities in it (a percentage, a count of the period's leads, "a of b", a fraction in
// words, or the complement of one when the reply denies). A share is never taken from vague
// words ("most"): those stay a range. What the reply's words say of a share (approximate,
// the count) comes from the deterministic reading, not from the model.
func checkShares(out factsJSON, in conversation.AnswerInput) ([]understand.Answer, error) {
	asked := map[rules.Topic]bool{}
	for _, q := range in.Asked {
		asked[q.Topic] = true
	}
	cands := understand.Candidates(in.Text, in.Leads)
	var answers []understand.Answer
	seen := map[string]bool{}
	for _, f := range out.Facts {
		topic := rules.Topic(f.Topic)
		if !asked[topic] || (topic != rules.TopicLeadQuality && topic != rules.TopicSalesFollowup) {
			return nil, fmt.Errorf("topic %q was not asked of this person", f.Topic)
		}
		if seen[f.Topic] {
			return nil, fmt.Errorf("topic %q is given twice", f.Topic)
		}
		seen[f.Topic] = true
		if f.Share == nil {
			continue // no share given: the same as leaving it out
		}
		v := *f.Share
		if math.IsNaN(v) || v < 0 || v > 1 {
			return nil, fmt.Errorf("share %v of %s is not between 0 and 1", v, f.Topic)
		}
		if a, ok := in.Parsed.Answer(topic); ok {
			if p, point := a.Point(); point && math.Abs(p-v) < 0.005 {
				answers = append(answers, a)
				continue
			}
		}
		q, ok := statedShare(cands, v)
		if !ok {
			return nil, fmt.Errorf("share %v of %s is not one the answer states", v, f.Topic)
		}
		answers = append(answers, understand.Answer{Topic: topic, Quantity: q, Words: in.Text})
	}
	return answers, nil
}

// statedShare is the quantity among a reply's candidates that is the figure v.
func statedShare(cands []understand.Quantity, v float64) (understand.Quantity, bool) {
	for _, q := range cands {
		if p, point := q.Point(); point && math.Abs(p-v) < 0.005 {
			return q, true
		}
	}
	return understand.Quantity{}, false
}
