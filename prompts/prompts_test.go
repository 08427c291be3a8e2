package prompts_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/prompts"
)

// Italian articles follow the spoken number: «degli 83 lead», «lo 0%», «l'11%».
func TestItalianArticles(t *testing.T) {
	t.Parallel()
	v, err := prompts.NewView("it", nil)
	require.NoError(t, err)
	for n, want := range map[float64]string{78: "dei ", 83: "degli ", 8: "degli ", 11: "degli ", 110: "dei ", 800: "degli ", 1100: "dei ", 8000: "degli ", 11000: "degli ", 1: "degli "} {
		require.Equal(t, want+v.Val("leads", n), v.Dei(n), "%v", n)
	}
	require.Equal(t, "gli 83", v.The(83.0))
	for x, want := range map[float64]string{0: "lo 0%", 0.01: "l'1%", 0.11: "l'11%", 0.8: "l'80%", 0.4: "il 40%", 0.18: "il 18%"} {
		require.Equal(t, want, v.ArtPct(x), "%v", x)
	}
	require.Equal(t, "ad agosto 2026", v.At("2026-08"))
	require.Equal(t, "a ottobre 2026", v.At("2026-10"))
	require.Equal(t, "ad agosto 2026", v.Span("month", "2026-08", "2026-08"))
	require.Equal(t, "ai follower", v.Prep("a", "followers"))
	require.Equal(t, "sulle ricerche non di brand", v.Prep("su", "non_branded_search"))
	require.Equal(t, "la quota di lead qualificati", v.ArtName("qualified_rate"))
	en, err := prompts.NewView("en", nil)
	require.NoError(t, err)
	require.Equal(t, "the 83", en.Dei(83.0))
	require.Equal(t, "in August 2026", en.At("2026-08"))
}

// TestPercentPrecision: percentages keep the precision that matters: a 2.27% churn is
// 2.3%, not 2%, also when it is an estimate; a large share is said to a tenth at most.
func TestPercentPrecision(t *testing.T) {
	t.Parallel()
	for lang, want := range map[string][]string{"it": {"2,3%", "2%", "38,5%", "0,5%", "2,3%", "38%"}, "en": {"2.3%", "2%", "38.5%", "0.5%", "2.3%", "38%"}} {
		v, err := prompts.NewView(lang, nil)
		require.NoError(t, err)
		got := []string{v.Val("churn", 0.0227), v.Val("churn", 0.02), v.Pct(0.3846), v.Pct(0.005), v.Pct(v.Rough(0.0227)), v.Pct(v.Rough(0.3846))}
		require.Equal(t, want, got, lang)
	}
}
