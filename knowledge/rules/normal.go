package rules

import (
	"math"
	"slices"
)

// Expected is the range a metric's latest value was expected in, from the metric's own
// history: the same period a year before plus the year's drift, with a robust scale, where
// the history holds a year and a period; else the median of the recent periods. Counts get
// the spread chance alone gives (Poisson) as a floor, so small numbers are not unusual for
// moving by a few.
type Expected struct {
	Low, High float64
	Method    string // ExpectedSeasonal or ExpectedRecent
}

// How an expected range was found.
const (
	ExpectedSeasonal = "seasonal"
	ExpectedRecent   = "recent"
)

// expectedK is how many robust standard deviations the range spans each side. Measured on
// 500 simulated monthly series of ~100 leads (seasonality, trend, Poisson noise, an August
// dip; TestExpectedRange): 2.0% false alarms on unchanged data, +30% found in 40% of
// months, +60% in 87%; a month-on-month ±20% rule alarms in 32%. On a steady trend
// (TestExpectedRangeTrend) 0.1%.
const expectedK = 2.25

// expectedRange is the range for the value after hist (oldest first; NaN where a period is
// missing); lag is the seasonal period in periods (12 for months, 52 for weeks, 0 for none).
// ok is false when the history is too short (under three values).
func expectedRange(hist []float64, lag int, count bool) (Expected, bool) {
	n := len(hist)
	if lag > 0 && n >= lag+1 && !math.IsNaN(hist[n-lag]) {
		if e, ok := seasonalRange(hist, lag, count); ok {
			return e, true
		}
	}
	var recent []float64
	for i := n - 1; i >= 0 && len(recent) < 6; i-- {
		if !math.IsNaN(hist[i]) {
			recent = append(recent, hist[i])
		}
	}
	if len(recent) < 3 {
		return Expected{}, false
	}
	center := median(recent)
	scale := 1.4826 * mad(recent, center)
	if count {
		scale = math.Max(scale, math.Sqrt(1.3*math.Max(center, 1))) // a new draw against a median of six
	}
	return bounded(center, scale, count, ExpectedRecent), true
}

// seasonalRange is the same period a year before plus the median drift over a year, with
// the scale of the year-on-year residuals when there are enough of them, else of the
// period-on-period changes.
func seasonalRange(hist []float64, lag int, count bool) (Expected, bool) {
	n := len(hist)
	var yoy []float64
	for t := lag; t < n; t++ {
		if !math.IsNaN(hist[t]) && !math.IsNaN(hist[t-lag]) {
			yoy = append(yoy, hist[t]-hist[t-lag])
		}
	}
	if len(yoy) == 0 {
		return Expected{}, false
	}
	// the year's drift: the median change over a year, or with fewer than three years'
	// changes to go on, their mean (a growing metric grows; a single change is noisy, and
	// the scale below widens for it)
	drift, widen := median(yoy), 1.0
	if len(yoy) < 3 {
		drift, widen = mean(yoy), math.Sqrt(1+1/float64(len(yoy)))
	}
	center := hist[n-lag] + drift
	var scale float64
	if len(yoy) >= 6 {
		scale = 1.4826 * mad(yoy, drift)
	} else {
		var steps []float64
		for t := 1; t < n; t++ {
			if !math.IsNaN(hist[t]) && !math.IsNaN(hist[t-1]) {
				steps = append(steps, hist[t]-hist[t-1])
			}
		}
		if len(steps) < 3 {
			return Expected{}, false
		}
		scale = 1.4826 * mad(steps, median(steps)) * widen
	}
	if count {
		scale = math.Max(scale, math.Sqrt(2*math.Max(center, 1))) // the difference of two draws
	}
	return bounded(center, scale, count, ExpectedSeasonal), true
}

func bounded(center, scale float64, count bool, method string) Expected {
	scale = math.Max(scale, 0.02*math.Abs(center)) // never a range of one value
	e := Expected{Low: center - expectedK*scale, High: center + expectedK*scale, Method: method}
	if count {
		e.Low, e.High = math.Max(0, math.Floor(e.Low)), math.Ceil(e.High)
	}
	return e
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

func mean(xs []float64) float64 {
	t := 0.0
	for _, x := range xs {
		t += x
	}
	return t / float64(len(xs))
}

// mad is the median absolute deviation of xs from c.
func mad(xs []float64, c float64) float64 {
	d := make([]float64, len(xs))
	for i, x := range xs {
		d[i] = math.Abs(x - c)
	}
	return median(d)
}
