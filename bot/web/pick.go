package web

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/rules"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/prompts"
)

// pickOffer is a number question of the thread, still open, put to someone the account
// speaks for: the chat offers its quick answers.
type pickOffer struct {
	Topic   rules.Topic
	To      string
	Text    string
	Choices []pickChoice
	Type    string // the label of the typed figure's button
}

type pickChoice struct{ Value, Label string }

// offers are the open number questions of a thread put to the people an account speaks
// for, with their quick answers in the thread's language.
func (s *Server) offers(ctx context.Context, p *profile.Profile, account string, th threadData) []pickOffer {
	if th.Thread.State != store.ThreadAwaitingAnswers {
		return nil
	}
	facts, err := s.store.Facts(ctx, th.Thread.Workspace, th.Thread.ID)
	if err != nil {
		return nil
	}
	set, err := prompts.For(th.Thread.Language)
	if err != nil {
		return nil
	}
	var out []pickOffer
	for _, e := range th.Events {
		if e.Kind != store.EventQuestionAsked {
			continue
		}
		a, err := record.Decode[record.Asked](e.Data)
		if err != nil || (a.Topic != rules.TopicLeadQuality && a.Topic != rules.TopicSalesFollowup) {
			continue
		}
		if _, ok := speaksAs(p, account, a.To); !ok || slices.ContainsFunc(facts, func(f store.Fact) bool { return f.Topic == a.Topic }) {
			continue
		}
		o := pickOffer{Topic: a.Topic, To: a.To, Text: a.Text, Type: set.Text("pick.modal_label", nil)}
		for _, c := range conversation.PickChoices {
			o.Choices = append(o.Choices, pickChoice{Value: c, Label: set.Text("pick."+c, nil)})
		}
		out = append(out, o)
	}
	return out
}

// pickOf reads a quick answer from the chat's form: nil when the form sent a message.
func pickOf(r *http.Request) *conversation.Pick {
	choice := r.PostFormValue("pick")
	if choice == "" {
		return nil
	}
	p := &conversation.Pick{Topic: rules.Topic(r.PostFormValue("topic")), Choice: choice}
	if choice == conversation.PickPercent {
		if f, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(r.PostFormValue("percent")), ",", "."), 64); err == nil {
			p.Percent = &f
		}
	}
	return p
}
