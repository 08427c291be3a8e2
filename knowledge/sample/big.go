package sample

import (
	"fmt"
	"time"

	"github.com/whybot/whybot/knowledge/kpi"
)

// BigRows is a large data set for benchmarks, as an agency's long-running client has it:
// five years of weekly data (260 weeks) of 60 metrics across 10 channels, plus weekly
// totals of 6 of them: 157,560 rows. Leads rise 30% in the last week.
func BigRows() []kpi.Row {
	const weeks, channels = 260, 10
	metrics := []string{"leads", "ad_spend", "new_customers", "sessions", "followers", "revenue"}
	for i := len(metrics); i < 60; i++ {
		metrics = append(metrics, fmt.Sprintf("custom_metric_%02d", i))
	}
	start := time.Date(2021, 11, 29, 0, 0, 0, 0, time.UTC) // a Monday: ISO week 2021-W48
	rows := make([]kpi.Row, 0, weeks*len(metrics)*channels+weeks*6)
	line := 1
	for w := range weeks {
		p := kpi.Period{Grain: kpi.Week, Start: start.AddDate(0, 0, 7*w)}
		for mi, m := range metrics {
			total := 0.0
			for c := range channels {
				v := float64(10 + (w*7+mi*3+c*5)%17)
				if m == "leads" && w == weeks-1 {
					v = float64(13 + (w*7+c*5)%17*13/10)
				}
				total += v
				line++
				rows = append(rows, kpi.Row{Period: p, Metric: m, Value: v, Dims: kpi.Dims{Channel: fmt.Sprintf("channel_%d", c)}, File: "big.csv", Line: line})
			}
			if mi < 6 {
				line++
				rows = append(rows, kpi.Row{Period: p, Metric: m, Value: total, File: "big.csv", Line: line})
			}
		}
	}
	return rows
}
