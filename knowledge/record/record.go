// Package record holds the typed records a conversation stores: one type per audit event
// kind (the data of a store.Event) and the evidence kept with a draft. Each is written and
// read through the same type; each carries a version ("v"), so a later whybot can read what
// an earlier one wrote. Records written before versions existed read as version 1.
package record

import (
	"encoding/json"
	"fmt"

	"github.com/whybot/whybot/knowledge/rules"
)

// Version is the version of the records this whybot writes.
const Version = 1

// Header is what every record starts with.
type Header struct {
	V int `json:"v"`
}

// Stamp sets the version of a record about to be written.
func (h *Header) Stamp() {
	if h.V == 0 {
		h.V = Version
	}
}

type stamper interface{ Stamp() }

// JSON is a record as stored, with its version.
func JSON(r stamper) json.RawMessage {
	r.Stamp()
	b, err := json.Marshal(r)
	if err != nil {
		panic(fmt.Sprintf("marshal %T: %v", r, err)) // records hold only marshalable types
	}
	return b
}

// Decode reads a stored record; a record without a version is version 1.
func Decode[T any](data json.RawMessage) (T, error) {
	var r T
	if len(data) == 0 {
		return r, nil
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return r, fmt.Errorf("decode %T record: %w", r, err)
	}
	return r, nil
}

// Read says who read a message; stored with the message, for the audit trail.
type Read struct {
	By       string `json:"by"`                 // llm | rules
	Fallback string `json:"fallback,omitempty"` // why the parser's reading was kept: one of the Fallback… reasons, or "invalid"
	Problem  string `json:"problem,omitempty"`  // what was wrong with the model's output
}

// Citation is a piece of company knowledge a draft quotes.
type Citation struct {
	Source  string  `json:"source"`
	Kind    string  `json:"kind"`
	Title   string  `json:"title"`
	Excerpt string  `json:"excerpt"`
	Score   float64 `json:"score"`
}

// Phrased is who wrote a draft and how it came about; the reviewer sees it.
type Phrased struct {
	Text     string        `json:"-"`
	Source   string        `json:"source"`             // llm | rules
	Grounded bool          `json:"grounded"`           // every figure, period, metric and conclusion matched the evidence
	Fallback string        `json:"fallback,omitempty"` // why the rules' draft was used: one of the Fallback… reasons
	Failed   []Unsupported `json:"failed,omitempty"`   // what the model's last draft stated without evidence
	Attempts int           `json:"attempts,omitempty"` // model calls made
}

// Unsupported is one thing a model's draft stated that the evidence does not hold.
type Unsupported struct {
	Kind string `json:"kind"` // figure | metric | period | conclusion | approval
	Text string `json:"text"` // as the model wrote it
}

// Question is a question event: what was asked, read how, by whom.
type Question struct {
	Header
	Text     string       `json:"text"`
	Intent   rules.Intent `json:"intent"`
	Language string       `json:"language"`
	Read     *Read        `json:"read,omitempty"`
	Account  string       `json:"account,omitempty"` // the web console account that sent it
}

// Answer is an answer event: the reply and the facts read from it.
type Answer struct {
	Header
	Text    string       `json:"text"`
	Facts   []rules.Fact `json:"facts"`
	Anyway  bool         `json:"anyway,omitempty"`
	Read    *Read        `json:"read,omitempty"`
	Account string       `json:"account,omitempty"`
}

// Data is a data event: the period the rules looked at, from which files, what they saw.
type Data struct {
	Header
	Period   string           `json:"period"`
	Files    []string         `json:"files"`
	Observed []rules.Observed `json:"observed"`
}

// Rule is a rule event: a rule that fired.
type Rule struct {
	Header
	rules.Finding
}

// Asked is a question_asked event: a question put to a person.
type Asked struct {
	Header
	rules.Question
}

// Draft is a draft event: a draft written for review, with its open caveats.
type Draft struct {
	Header
	Draft   string   `json:"draft"`
	Text    string   `json:"text"`
	Caveats []string `json:"caveats"`
}

// Approved is an approved event.
type Approved struct {
	Header
	Draft  string `json:"draft"`
	Edited bool   `json:"edited"`
}

// Edited is an edited event: the reviewer's text and the draft's.
type Edited struct {
	Header
	Draft        string `json:"draft"`
	OriginalText string `json:"original_text"`
	Text         string `json:"text"`
}

// Rejected is a rejected event, with the reviewer's reason.
type Rejected struct {
	Header
	Draft  string `json:"draft"`
	Reason string `json:"reason"`
}

// Posted is a posted event: the text posted and the platform's reference of it.
type Posted struct {
	Header
	Draft string `json:"draft"`
	Text  string `json:"text"`
	Ref   string `json:"ref"`
}

// Evidence is what a draft was written from, kept with it for the reviewer.
type Evidence struct {
	Header
	Findings  []rules.Finding  `json:"findings"`
	Observed  []rules.Observed `json:"observed"`
	Facts     []rules.Fact     `json:"facts"`
	Caveats   []string         `json:"caveats"`
	Knowledge []Citation       `json:"knowledge"`
	Source    *Phrased         `json:"source"` // who wrote the draft; nil for drafts before the LLM existed
}
