package conversation

import (
	"context"

	"github.com/whybot/whybot/bot/understand"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/rules"
	"github.com/whybot/whybot/knowledge/workspace"
)

// Reader reads questions and answers with a language model, for the messy ones the
// deterministic parser gets wrong. What it returns is used only when Read.By is "llm",
// which it may say only after checking the model's output against its schema; otherwise
// the parser's reading stands. Either way, a reading only chooses what the rules look at:
// it never decides anything, and the draft still waits for a reviewer.
type Reader interface {
	Question(ctx context.Context, in QuestionInput) (rules.Intent, Read)
	Answer(ctx context.Context, in AnswerInput) ([]understand.Answer, Read)
}

// QuestionInput is what a reader may use to read a question.
type QuestionInput struct {
	Workspace string
	Language  string // it | en: the language of the prompts
	Text      string
	Metrics   []MetricChoice // the metrics an intent may name
	Parsed    rules.Intent   // the deterministic parser's reading
	Names     []string       // people's names, redacted before anything is sent
}

// MetricChoice is a metric a question may be about.
type MetricChoice struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// AnswerInput is what a reader may use to read an answer to the bot's questions.
type AnswerInput struct {
	Workspace string
	Language  string
	Text      string
	Asked     []rules.Question   // the open questions put to the person who answered, with a share to give
	Leads     float64            // the period's leads, to turn "40 of them" into a share
	Parsed    understand.Reading // the deterministic reader's reading, in the context of Asked
	Names     []string
}

// Read says who read a message; stored with the message, for the audit trail.
type Read = record.Read

// FallbackInvalid: the model's reading did not pass its schema.
const FallbackInvalid = "invalid"

// WithReader lets a language model read questions and answers (workspaces whose profile
// says llm: off are read by the parser only).
func WithReader(r Reader) Option { return func(e *Engine) { e.reader = r } }

// readQuestion is the parser's reading of a question, improved by the reader when there
// is one: the model may correct or complete the reading, never erase what the parser found.
func (e *Engine) readQuestion(ctx context.Context, ws *workspace.Workspace, text, lang string, parsed rules.Intent) (rules.Intent, *Read) {
	p := ws.Profile
	if e.reader == nil || p.LLM == "off" {
		return parsed, nil
	}
	in, read := e.reader.Question(ctx, QuestionInput{Workspace: p.Workspace, Language: lang, Text: text,
		Metrics: metricChoices(ws, lang), Parsed: parsed, Names: peopleNames(p)})
	if read.By != "llm" {
		return parsed, &read
	}
	if in.Metric == "" {
		in.Metric, in.Unknown = parsed.Metric, parsed.Unknown
	}
	if in.Direction == "" {
		in.Direction = parsed.Direction
	}
	if in.ClaimedChangePct == nil {
		in.ClaimedChangePct = parsed.ClaimedChangePct
	}
	if in.Target == nil {
		in.Target = parsed.Target
	}
	if in.Period == "" {
		in.Period = parsed.Period
	}
	if (parsed.Kind == rules.KindValue || parsed.Kind == rules.KindReport) && in.Kind != rules.KindGoal {
		in.Kind = parsed.Kind // "quanto", "how many", "cosa significa questo report": the parser's reading stands
		in.Figures = parsed.Figures
		if in.Kind == rules.KindReport {
			in.Metric = ""
		}
	}
	if in.Metric == parsed.Metric {
		in.DidYouMean = parsed.DidYouMean // how the question's words were read, said in the draft
	}
	if in.Metric != "" {
		in.Unknown = ""
	}
	return in, &read
}

// readAnswer is the deterministic reading of a reply; where the reader (when there is one)
// read a share for a topic, its share instead (validated by the reader against what the
// reply states).
func (e *Engine) readAnswer(ctx context.Context, p *profile.Profile, in AnswerInput) (understand.Reading, *Read) {
	if e.reader == nil || p.LLM == "off" || len(in.Asked) == 0 {
		return in.Parsed, nil
	}
	in.Names = peopleNames(p)
	answers, read := e.reader.Answer(ctx, in)
	if read.By != "llm" || len(answers) == 0 {
		return in.Parsed, &read
	}
	out := in.Parsed
	byTopic := map[rules.Topic]bool{}
	for i := range answers {
		answers[i].By = rules.ReadByModel
		byTopic[answers[i].Topic] = true
	}
	for _, a := range in.Parsed.Answers {
		if !byTopic[a.Topic] {
			answers = append(answers, a)
		}
	}
	out.Answers = answers
	return out, &read
}

// metricChoices are the metrics of the catalogue and of the data, named in lang.
func metricChoices(ws *workspace.Workspace, lang string) []MetricChoice {
	seen := map[string]bool{}
	var out []MetricChoice
	cat := ws.Profile.Catalogue()
	for _, id := range append(cat.IDs(), ws.Data.Metrics()...) {
		if !seen[id] {
			seen[id] = true
			out = append(out, MetricChoice{ID: id, Name: cat.Name(id, lang)})
		}
	}
	return out
}

func peopleNames(p *profile.Profile) []string {
	names := make([]string, 0, len(p.People))
	for _, x := range p.People {
		names = append(names, x.Name)
	}
	return names
}
