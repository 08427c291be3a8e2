package understand_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/understand"
	"github.com/whybot/whybot/knowledge/metric"
	"github.com/whybot/whybot/knowledge/rules"
)

// TestParseSpan: the time a direct question names, with the data's latest month October
// 2026 and today 2 November 2026.
func TestParseSpan(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	latest := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	tests := map[string]*rules.Span{
		"quanto abbiamo speso a ottobre?":                          {Kind: "month", From: "2026-10", To: "2026-10"},
		"how many new patients in March?":                          {Kind: "month", From: "2026-03", To: "2026-03"},
		"quanti lead a novembre?":                                  {Kind: "month", From: "2025-11", To: "2025-11"}, // the latest November in the data
		"quanti lead a marzo 2025?":                                {Kind: "month", From: "2025-03", To: "2025-03"},
		"leads in Sept 2026":                                       {Kind: "month", From: "2026-09", To: "2026-09"},
		"qual è stato il CAC dell'ultimo trimestre?":               {Kind: "quarter", From: "2026-07", To: "2026-09"},
		"what was the CAC last quarter?":                           {Kind: "quarter", From: "2026-07", To: "2026-09"},
		"spesa nel terzo trimestre 2025":                           {Kind: "quarter", From: "2025-07", To: "2025-09"},
		"leads in Q2":                                              {Kind: "quarter", From: "2026-04", To: "2026-06"},
		"quanti lead nel 2° trimestre":                             {Kind: "quarter", From: "2026-04", To: "2026-06"},
		"quanti lead da inizio anno?":                              {Kind: "ytd", From: "2026-01", To: "2026-10"},
		"how many leads this year?":                                {Kind: "ytd", From: "2026-01", To: "2026-10"},
		"quanti lead l'anno scorso?":                               {Kind: "year", From: "2025-01", To: "2025-12"},
		"leads in 2025":                                            {Kind: "year", From: "2025-01", To: "2025-12"},
		"quanti lead il mese scorso?":                              {Kind: "month", From: "2026-10", To: "2026-10"},
		"quanti lead questo mese?":                                 {Kind: "month", From: "2026-11", To: "2026-11"},
		"rispetto all'anno scorso?":                                {Compare: "yoy"},
		"quanto abbiamo speso a ottobre rispetto all'anno scorso?": {Kind: "month", From: "2026-10", To: "2026-10", Compare: "yoy"},
		"spend in Q3 vs last year":                                 {Kind: "quarter", From: "2026-07", To: "2026-09", Compare: "yoy"},
		"how many leads did we get":                                nil,
		"may I ask how many leads we got":                          nil, // "may" is not May
		"set the budget":                                           nil, // nor "set" settembre
	}
	for q, want := range tests {
		require.Equal(t, want, understand.ParseSpan(q, now, latest), q)
	}
}

// TestDirectQuestions: "quanto", "how many", "what was" ask for a figure.
func TestDirectQuestions(t *testing.T) {
	t.Parallel()
	r := metric.NewResolver(nil)
	for q, want := range map[string]string{
		"Quanto abbiamo speso a ottobre?":            "ad_spend",
		"qual è stato il CAC dell'ultimo trimestre?": "cac",
		"how many leads in March?":                   "leads",
		"what was our repeat rate this year?":        "repeat_rate",
		"how much did we spend in Q3?":               "ad_spend",
	} {
		in, _ := understand.Question(q, r, nil)
		require.Equal(t, rules.KindValue, in.Kind, q)
		require.Equal(t, want, in.Metric, q)
	}
	in, _ := understand.Question("how many new patients in March?", r, nil)
	require.Equal(t, rules.KindValue, in.Kind)
	require.Equal(t, "new patients", in.Unknown)
	in, _ = understand.Question("perché i lead sono aumentati a ottobre?", r, nil)
	require.Equal(t, rules.KindWhy, in.Kind, "a why question stays one")
}

// TestFigures: the numbers an asker types are read with what they are of: seed 000's
// report, and a pasted list with a metric the catalogue does not know.
func TestFigures(t *testing.T) {
	t.Parallel()
	r := metric.NewResolver(nil)
	got := understand.Figures("Ho aperto Google Analytics: il traffico organico è calato del 15%, il tempo medio sulla pagina è di 42 secondi, il 38% delle conversioni arriva dal paid social. Cosa significa?", r.Phrases())
	require.Equal(t, []rules.AskerFigure{
		{Metric: "organic_sessions", Name: "organic_sessions", Value: -15, Kind: "change"},
		{Metric: "avg_time_on_page", Name: "avg_time_on_page", Value: 42, Kind: "value"},
		{Metric: "conversions", Name: "conversions", Value: 0.38, Kind: "share", Part: "paid_social"},
	}, got)
	got = understand.Figures("leads 120, cost per lead +12,5%, newsletter open rate 22%: what do these numbers mean?", r.Phrases())
	require.Equal(t, []rules.AskerFigure{
		{Metric: "leads", Name: "leads", Value: 120, Kind: "value"},
		{Metric: "cost_per_lead", Name: "cost_per_lead", Value: 12.5, Kind: "change"},
		{Name: "newsletter open rate", Value: 0.22, Kind: "percent"},
	}, got)
	eight := 8.0
	got = understand.Figures("Il report dice: sessioni 12.400 (+8%), la frequenza di rimbalzo 62%, follower +120", r.Phrases())
	require.Equal(t, []rules.AskerFigure{
		{Metric: "sessions", Name: "sessions", Value: 12400, Kind: "value", Change: &eight},
		{Name: "frequenza di rimbalzo", Value: 0.62, Kind: "percent"},
		{Metric: "followers", Name: "followers", Value: 120, Kind: "delta"},
	}, got)
	require.Empty(t, understand.Figures("perché i lead sono aumentati?", r.Phrases()))
	in, _ := understand.Question("traffico organico -15%, tempo medio sulla pagina 42 s", r, nil)
	require.Equal(t, rules.KindReport, in.Kind, "two numbers pasted are a report")
	in, _ = understand.Question("what does this report mean?", r, nil)
	require.Equal(t, rules.KindReport, in.Kind)
	require.Empty(t, in.Figures)
}

// TestMetricTypo: a metric named with a typo is read as the metric, and the words kept to
// say how they were read; common words near a metric's name are not.
func TestMetricTypo(t *testing.T) {
	t.Parallel()
	r := metric.NewResolver(map[string][]string{"leads": {"contatti"}})
	for q, want := range map[string][2]string{
		"perché i contati sono aumentati?":       {"leads", "contati"},
		"why did our folowers go up?":            {"followers", "folowers"},
		"perché il tasso di conversone è sceso?": {"conversion_rate", "tasso di conversone"},
		"perché spesso i lead calano?":           {"leads", ""},
		"come va spesso il mese?":                {"", ""},
	} {
		in, _ := understand.Question(q, r, nil)
		require.Equal(t, want[0], in.Metric, q)
		require.Equal(t, want[1], in.DidYouMean, q)
	}
}
