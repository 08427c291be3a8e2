package understand_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/understand"
	"github.com/whybot/whybot/knowledge/rules"
)

// The grammar's constructs, each read in the context of one open question (quality or
// follow-up) with 78 leads in the period; the reply corpus (evals/replies) covers the
// language people use through the whole engine.
func TestRead(t *testing.T) {
	t.Parallel()
	const Q, F = rules.TopicLeadQuality, rules.TopicSalesFollowup
	type want struct {
		lo, hi float64
		approx bool
	}
	point := func(v float64) *want { return &want{lo: v, hi: v} }
	about := func(v float64) *want { return &want{lo: v, hi: v, approx: true} }
	vague := func(lo, hi float64) *want { return &want{lo: lo, hi: hi} }
	for _, tc := range []struct {
		text  string
		topic rules.Topic
		want  *want // nil: no share read
	}{
		{"il 35%", Q, point(0.35)},
		{"trentacinque per cento", Q, point(0.35)},
		{"thirty-five percent", Q, point(0.35)},
		{"35,5%", Q, point(0.355)},
		{"uno su cinque", Q, point(0.2)},
		{"9 out of 10", Q, point(0.9)},
		{"30 qualificati", Q, point(30.0 / 78)},
		{"una trentina", Q, about(30.0 / 78)},
		{"dei 78 direi che una trentina sono in target", Q, about(30.0 / 78)},
		{"circa il 35% era nel nostro target", Q, about(0.35)},
		{"tutti tranne 5", F, point(73.0 / 78)},
		{"all but 30", F, point(48.0 / 78)},
		{"ne mancano 5", F, point(73.0 / 78)},
		{"il 60% è fuori target", Q, point(0.4)},
		{"il 60% non è in target", Q, point(0.4)},
		{"nessuno è fuori target", Q, point(1)},
		{"non li abbiamo chiamati", F, point(0)},
		{"not yet", F, point(0)},
		{"non li abbiamo ancora chiamati tutti, diciamo la metà", F, about(0.5)},
		{"non tutti", F, vague(0.05, 0.95)},
		{"la maggior parte erano fuori target", Q, vague(0.1, 0.45)},
		{"quasi tutti", F, vague(0.85, 0.99)},
		{"pochi", Q, vague(0.05, 0.3)},
		{"tra il 30 e il 40%", Q, vague(0.3, 0.4)},
		{"almeno la metà", F, vague(0.5, 1)},
		{"chiamati tuti", F, point(1)},
		{"folowed up abt half", F, about(0.5)},
		{"35ish%", Q, about(0.35)},
		{"fifty-fifty", Q, about(0.5)},
		{"35", Q, nil},                             // leads or percent? asked back
		{"sì", Q, nil},                             // no share
		{"boh, ti faccio sapere domani", Q, nil},   // later
		{"non ancora", Q, nil},                     // not looked at yet: later
		{"li ho girati a Marco ma non so", F, nil}, // unsure
		{"sì certo", F, nil},                       // "certo" is not "cento"
		{"nove su dieci", Q, point(0.9)},           // "nove" is not "none"
	} {
		t.Run(tc.text, func(t *testing.T) {
			t.Parallel()
			r := understand.Read(tc.text, understand.Context{Base: 78, Open: []rules.Topic{tc.topic}})
			a, ok := r.Answer(tc.topic)
			if tc.want == nil {
				require.False(t, ok, "read %+v", a)
				require.True(t, r.Later || r.Unsure || r.Ambiguous || r.Unreadable || len(r.Answers) == 0)
				return
			}
			require.True(t, ok, "nothing read: %+v", r)
			require.InDelta(t, tc.want.lo, a.Low, 1e-9)
			require.InDelta(t, tc.want.hi, a.High, 1e-9)
			require.Equal(t, tc.want.approx, a.Approx, "approximate")
			require.NotEmpty(t, a.Words)
		})
	}
}

// A reply's context decides what a bare figure answers: the one question open for the
// writer, a correction of the one they answered, or nothing (two open: asked back); a
// topic not put to the writer is not theirs to answer.
func TestReadInContext(t *testing.T) {
	t.Parallel()
	both := understand.Context{Base: 78, Open: []rules.Topic{rules.TopicLeadQuality, rules.TopicSalesFollowup}}
	r := understand.Read("il 40%", both)
	require.Empty(t, r.Answers)
	require.True(t, r.Ambiguous)
	r = understand.Read("no, il 40%", understand.Context{Base: 78, Answered: []rules.Topic{rules.TopicLeadQuality}})
	require.True(t, r.Correction)
	a, ok := r.Answer(rules.TopicLeadQuality)
	require.True(t, ok)
	require.InDelta(t, 0.4, a.Low, 1e-9)
	r = understand.Read("solo il 40% è in target, le vendite ne hanno richiamati un quarto", understand.Context{Base: 78, Open: []rules.Topic{rules.TopicLeadQuality}})
	require.Len(t, r.Answers, 1, "follow-up was not asked of this person")
	r = understand.Read("solo il 40% è in target, le vendite ne hanno richiamati un quarto", both)
	require.Len(t, r.Answers, 2)
	r = understand.Read("ti faccio sapere la prossima settimana", both)
	require.True(t, r.Later)
	require.Equal(t, 72, r.LaterHours)
	r = understand.Read("dei 200, una settantina sono in target", understand.Context{Open: []rules.Topic{rules.TopicLeadQuality}})
	a, ok = r.Answer(rules.TopicLeadQuality)
	require.True(t, ok, "the total is in the reply")
	require.InDelta(t, 0.35, a.Low, 1e-9)
}
