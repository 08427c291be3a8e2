package conversation

import (
	"fmt"
	"math"
	"slices"

	"github.com/whybot/whybot/bot/understand"
	"github.com/whybot/whybot/knowledge/rules"
	"github.com/whybot/whybot/prompts"
)

// pickQuantity is what each quick answer states: the vague ones stay ranges, as the same
// words typed would.
var pickQuantity = map[string]understand.Quantity{
	"almost_all": {Low: 0.85, High: 0.99},
	"half":       {Low: 0.5, High: 0.5, Approx: true},
	"few":        {Low: 0.05, High: 0.3},
	"none":       {Low: 0, High: 0},
}

// checkPick checks a quick answer; its text, for the audit trail, is its label.
func checkPick(p Pick) (string, error) {
	if p.Topic != rules.TopicLeadQuality && p.Topic != rules.TopicSalesFollowup {
		return "", &UserError{Reason: fmt.Sprintf("%q is not a question with quick answers", p.Topic), Key: "pick_invalid"}
	}
	if p.Choice == PickPercent {
		if p.Percent == nil || math.IsNaN(*p.Percent) || *p.Percent < 0 || *p.Percent > 100 {
			return "", &UserError{Reason: "the share must be a number from 0 to 100", Key: "pick_percent"}
		}
		return fmt.Sprintf("%g%%", *p.Percent), nil
	}
	if !slices.Contains(PickChoices, p.Choice) {
		return "", &UserError{Reason: fmt.Sprintf("%q is not a quick answer", p.Choice), Key: "pick_invalid"}
	}
	return "pick:" + p.Choice, nil
}

// pickReading is the reading of a quick answer from the person a question was put to; a
// click from anyone else is refused.
func (t *turn) pickReading(open []rules.Topic, answered []rules.Topic) (understand.Reading, error) {
	p := *t.req.Pick
	if !slices.Contains(open, p.Topic) && !slices.Contains(answered, p.Topic) {
		return understand.Reading{}, &UserError{Reason: "this question was put to someone else: only they can answer it", Key: "pick_not_yours"}
	}
	set, err := prompts.For(t.th.Language)
	if err != nil {
		return understand.Reading{}, err
	}
	q := pickQuantity[p.Choice]
	if p.Choice == PickPercent {
		q = understand.Quantity{Low: *p.Percent / 100, High: *p.Percent / 100}
	}
	words := set.Text("pick."+p.Choice, map[string]any{"N": t.text})
	t.text = words
	return understand.Reading{Answers: []understand.Answer{{Topic: p.Topic, Quantity: q, Words: words, By: rules.ReadByButton}}}, nil
}
