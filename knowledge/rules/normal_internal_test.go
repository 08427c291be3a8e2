package rules

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// simulated is a monthly series of a small business's leads: about 100 a month growing 1%
// a month, a yearly swing of ±20%, an August dip and a September rebound, Poisson noise.
func simulated(r *rand.Rand, months int) (lambda, x []float64) {
	for t := range months {
		l := 100 * (1 + 0.01*float64(t)) * (1 + 0.2*math.Sin(2*math.Pi*float64(t)/12))
		switch t % 12 {
		case 7:
			l *= 0.7
		case 8:
			l *= 1.15
		}
		lambda = append(lambda, l)
		x = append(x, poisson(r, l))
	}
	return lambda, x
}

func poisson(r *rand.Rand, l float64) float64 {
	// the normal approximation with continuity is enough at these rates
	return math.Max(0, math.Round(l+math.Sqrt(l)*r.NormFloat64()))
}

// On 500 simulated series of 36 months, from month 13 on, the latest value of unchanged
// data falls outside its expected range in at most 3% of months (a month-on-month ±20% rule
// alarms in about half of them); a change of +30% or +60% on top is reported as unusual at
// the rates logged.
func TestExpectedRange(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(19, 20))
	var months, alarms, naive, hit30, hit60 int
	for range 500 {
		_, x := simulated(r, 36)
		for L := 13; L < 36; L++ {
			e, ok := expectedRange(x[:L], 12, true)
			require.True(t, ok)
			months++
			out := func(v float64) bool { return v < e.Low || v > e.High }
			if out(x[L]) {
				alarms++
			}
			if math.Abs(x[L]/x[L-1]-1) > 0.2 {
				naive++
			}
			if out(math.Round(x[L] * 1.3)) {
				hit30++
			}
			if out(math.Round(x[L] * 1.6)) {
				hit60++
			}
		}
	}
	rate := func(n int) float64 { return float64(n) / float64(months) }
	t.Logf("false alarms %.1f%% (month-on-month ±20%%: %.1f%%); +30%% found %.1f%%, +60%% found %.1f%%, over %d months",
		100*rate(alarms), 100*rate(naive), 100*rate(hit30), 100*rate(hit60), months)
	require.LessOrEqual(t, rate(alarms), 0.03)
	require.Greater(t, rate(naive), 0.3, "the naive rule the range replaces")
}

// A metric that grows steadily (followers: +150 a month) is not unusual for growing.
func TestExpectedRangeTrend(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(21, 22))
	var months, alarms int
	for range 200 {
		var x []float64
		for m := range 36 {
			x = append(x, math.Round(1000+150*float64(m)+40*r.NormFloat64()))
		}
		for L := 13; L < 36; L++ {
			e, ok := expectedRange(x[:L], 12, true)
			require.True(t, ok)
			months++
			if x[L] < e.Low || x[L] > e.High {
				alarms++
			}
		}
	}
	t.Logf("false alarms on a trend %.1f%% over %d months", 100*float64(alarms)/float64(months), months)
	require.LessOrEqual(t, float64(alarms)/float64(months), 0.03)
}

// With less than a year of history the range is the recent median's; too little history
// gives none; counts never get a negative low.
func TestExpectedRangeShortHistory(t *testing.T) {
	t.Parallel()
	e, ok := expectedRange([]float64{10, 12, 11, 9, 10}, 12, true)
	require.True(t, ok)
	require.Equal(t, ExpectedRecent, e.Method)
	require.GreaterOrEqual(t, e.Low, 0.0)
	require.True(t, e.Low <= 10 && e.High >= 10)
	_, ok = expectedRange([]float64{10, math.NaN()}, 12, true)
	require.False(t, ok)
}
