package chat_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/chat"
	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/bot/delivery"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/rules"
	"github.com/whybot/whybot/knowledge/sample"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/workspace"
	"github.com/whybot/whybot/prompts"
)

type engine struct {
	reply conversation.Reply
	err   error
}

func (e engine) Ask(context.Context, *workspace.Workspace, conversation.Request) (conversation.Reply, error) {
	return e.reply, e.err
}

func (engine) Decide(context.Context, string, string, record.Actor, conversation.Action) (conversation.Outcome, error) {
	return conversation.Outcome{}, nil
}

type said struct {
	key, text string
	notify    []string
}

type platform struct {
	said  []said
	cards []string
}

func (p *platform) Say(_ context.Context, _ *profile.Profile, key, text string, notify []string) error {
	p.said = append(p.said, said{key, text, notify})
	return nil
}

func (p *platform) Card(_ context.Context, _ *prompts.Set, _ *profile.Profile, draftID, key string) error {
	p.cards = append(p.cards, draftID+" "+key)
	return nil
}

func (*platform) Mention(_ *profile.Profile, h string) string { return "<@" + h + ">" }
func (*platform) MentionUser(id string) string                { return "<@" + id + ">" }
func (*platform) Escape(s string) string                      { return "esc(" + s + ")" }

// What a turn says in the thread, whatever the platform.
func TestTurn(t *testing.T) {
	t.Parallel()
	p, err := profile.Parse("company.yaml", sample.Profile())
	require.NoError(t, err)
	ws := &workspace.Workspace{Profile: p}
	ctx := delivery.WithHandling(context.Background(), store.Inbound{Key: "event:Ev1", Attempts: 1})
	req := conversation.Request{Key: "slack-message:C1:1.1"}
	questions := []rules.Question{{Topic: rules.TopicLeadQuality, To: "giulia", Text: "quanti sono in target?"}, {Topic: rules.TopicSalesFollowup, To: "marco", Text: "li avete richiamati?"}}

	for name, tc := range map[string]struct {
		eng   engine
		err   error
		said  []said
		cards []string
	}{
		"questions, the people mentioned and notified": {eng: engine{reply: conversation.Reply{Language: "it", Questions: questions, Delivery: "event:Ev1"}},
			said: []said{{"slack-message:C1:1.1/questions", "Prima di rispondere mi servono alcune informazioni:\n• <@giulia> quanti sono in target?\n• <@marco> li avete richiamati?", []string{"giulia", "marco"}}}},
		"a draft: the holding note, then the card": {eng: engine{reply: conversation.Reply{Language: "en", Draft: &conversation.DraftRef{ID: "d_1"}}},
			said:  []said{{"slack-message:C1:1.1/pending", "A draft answer is waiting for a reviewer's approval.", nil}},
			cards: []string{"d_1 slack-message:C1:1.1/card"}},
		"refused in the company's language, escaped": {eng: engine{err: &conversation.UserError{Reason: "the message is empty", Key: "empty"}},
			said: []said{{"slack-message:C1:1.1/refused", "esc(Il messaggio è vuoto: scrivi una domanda, per esempio «perché i lead sono aumentati del 30%?»)", nil}}},
		"not in a conversation: nothing said":       {eng: engine{err: conversation.ErrNoThread}, err: conversation.ErrNoThread},
		"the other delivery of the message answers": {eng: engine{reply: conversation.Reply{Language: "it", Questions: questions, Replayed: true, Delivery: "event:Ev2"}}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			pf := &platform{}
			_, err := chat.Turn(ctx, tc.eng, pf, ws, req)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, tc.said, pf.said)
			require.Equal(t, tc.cards, pf.cards)
		})
	}
}
