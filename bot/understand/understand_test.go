package understand_test

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/understand"
	"github.com/whybot/whybot/knowledge/metric"
	"github.com/whybot/whybot/knowledge/rules"
)

var res = metric.NewResolver(map[string][]string{"leads": {"contatti"}, "qualified_leads": {"MQL"}})

func TestQuestion(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		metric, dir, kind, lang string
		claimed, target         float64
	}{
		"why did leads rise 30%?":                            {"leads", "up", "why", "en", 30, 0},
		"Perché i lead sono aumentati del 30%?":              {"leads", "up", "why", "it", 30, 0},
		"perché i contatti sono cresciuti del 30 per cento?": {"leads", "up", "why", "it", 30, 0},
		"perché i lead sono aumentati del trenta per cento":  {"leads", "up", "why", "it", 30, 0},
		"why did our cost per lead drop 12.5%":               {"cost_per_lead", "down", "why", "en", -12.5, 0},
		"perché il costo per lead è calato del 12,5%":        {"cost_per_lead", "down", "why", "it", -12.5, 0},
		"why have leads doubled":                             {"leads", "up", "why", "en", 100, 0},
		"I want 10,000 followers on Instagram in six months": {"followers", "up", "goal", "en", 0, 10000},
		"voglio 10.000 follower entro sei mesi":              {"followers", "up", "goal", "it", 0, 10000},
		"I'd like to reach 10k followers":                    {"followers", "up", "goal", "en", 0, 10000},
		"come stiamo andando?":                               {"", "", "status", "it", 0, 0},
		"why did MQL fall -20%?":                             {"qualified_leads", "down", "why", "en", -20, 0},
		"why did organic traffic fall 15%":                   {"organic_sessions", "down", "why", "en", -15, 0},
	}
	for q, want := range tests {
		t.Run(q, func(t *testing.T) {
			t.Parallel()
			in, lang := understand.Question(q, res, nil)
			require.Equal(t, want.metric, in.Metric)
			require.Equal(t, want.dir, in.Direction)
			require.Equal(t, want.kind, string(in.Kind))
			require.Equal(t, want.lang, lang)
			if want.claimed != 0 {
				require.NotNil(t, in.ClaimedChangePct)
				require.Equal(t, want.claimed, *in.ClaimedChangePct)
			} else {
				require.Nil(t, in.ClaimedChangePct)
			}
			if want.target != 0 {
				require.NotNil(t, in.Target)
				require.Equal(t, want.target, *in.Target)
			}
		})
	}
}

func TestUnknownSubject(t *testing.T) {
	t.Parallel()
	in, _ := understand.Question("why did podcast downloads drop?", res, nil)
	require.Empty(t, in.Metric)
	require.Equal(t, "podcast downloads", in.Unknown)
}

func TestAnswerAnyway(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"answer anyway", "Rispondi comunque", "/anyway", "ok, procedi comunque per favore"} {
		require.True(t, understand.AnswerAnyway(s), s)
	}
	for _, s := range []string{"40% qualified", "anyway the leads are bad"} {
		require.False(t, understand.AnswerAnyway(s), s)
	}
}

func FuzzQuestion(f *testing.F) {
	for _, s := range []string{"why did leads rise 30%?", "Perché i lead sono aumentati del 30 per cento?", "voglio 10.000 follower", "10,000,000.5%", "-−+%%", "perché  è", "", "traffico organico -15%, 42 s, 38% dal paid social: cosa significa?", "quanto abbiamo speso nel Q3 2026 rispetto all'anno scorso?"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		in, lang := understand.Question(q, res, nil)
		require.Contains(t, []rules.IntentKind{rules.KindWhy, rules.KindGoal, rules.KindStatus, rules.KindValue, rules.KindReport}, in.Kind)
		understand.Figures(q, nil)
		understand.ParseSpan(q, time.Now(), time.Time{})
		require.Contains(t, []string{"", "it", "en"}, lang)
		require.Contains(t, []string{"", "up", "down"}, in.Direction)
		for _, a := range understand.Read(q, understand.Context{Base: 50, Open: []rules.Topic{rules.TopicLeadQuality}}).Answers {
			require.GreaterOrEqual(t, a.Low, 0.0)
			require.LessOrEqual(t, a.High, 1.0)
		}
	})
}

// FuzzAnswer checks that no reply panics the answer reader, and that every share it reads
// is a share (0 to 1) of a topic it knows, whatever the period's lead count.
func FuzzAnswer(f *testing.F) {
	for _, s := range []string{"solo il 40% è in target, le vendite ne hanno richiamati un quarto", "about 60% were qualified and sales called all of them",
		"12 of the 30", "nessuno li ha richiamati", "dei 78 direi che una trentina sono in target", "tutti tranne 5", "all but 30", "il 35%", "circa la metà",
		"1/0", "0 su 0", "100000000000000000000% of 1e308", "rispondi comunque", "½ ¼ ⅓", ""} {
		f.Add(s, 78.0)
	}
	f.Fuzz(func(t *testing.T, a string, leads float64) {
		_ = understand.AnswerAnyway(a)
		ctx := understand.Context{Base: leads, Open: []rules.Topic{rules.TopicLeadQuality, rules.TopicSalesFollowup}}
		for _, s := range understand.Read(a, ctx).Answers {
			require.False(t, math.IsNaN(s.Low) || math.IsNaN(s.High), "%q", a)
			require.GreaterOrEqual(t, s.Low, 0.0, "%q", a)
			require.LessOrEqual(t, s.High, 1.0, "%q", a)
			require.LessOrEqual(t, s.Low, s.High, "%q", a)
			require.NotEmpty(t, s.Topic)
			require.NotEmpty(t, s.Words)
		}
		for _, q := range understand.Candidates(a, leads) {
			require.False(t, math.IsNaN(q.Low) || math.IsInf(q.Low, 0), "%q", a)
		}
	})
}
