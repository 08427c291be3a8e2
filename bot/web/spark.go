package web

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

// sparkline draws values (nil: a gap) as a small inline SVG, with the goal as a dashed
// line when there is one. Only numbers reach the SVG, so it is safe to mark as HTML.
func sparkline(values []*float64, goal *float64) template.HTML {
	const w, h, pad = 120.0, 32.0, 3.0
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range values {
		if v != nil {
			lo, hi = math.Min(lo, *v), math.Max(hi, *v)
		}
	}
	if goal != nil {
		lo, hi = math.Min(lo, *goal), math.Max(hi, *goal)
	}
	if math.IsInf(lo, 1) {
		return ""
	}
	if hi == lo {
		hi, lo = hi+1, lo-1
	}
	x := func(i int) float64 {
		if len(values) == 1 {
			return w / 2
		}
		return pad + float64(i)*(w-2*pad)/float64(len(values)-1)
	}
	y := func(v float64) float64 { return h - pad - (v-lo)*(h-2*pad)/(hi-lo) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="spark" viewBox="0 0 %g %g" width="%g" height="%g" role="img" aria-label="trend">`, w, h, w, h)
	if goal != nil {
		fmt.Fprintf(&b, `<line class="goal" x1="0" x2="%g" y1="%.1f" y2="%.1f"/>`, w, y(*goal), y(*goal))
	}
	var pts []string
	flush := func() {
		if len(pts) > 1 {
			fmt.Fprintf(&b, `<polyline points="%s"/>`, strings.Join(pts, " "))
		}
		pts = pts[:0]
	}
	for i, v := range values {
		if v == nil {
			flush()
			continue
		}
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(*v)))
	}
	flush()
	for i := len(values) - 1; i >= 0; i-- {
		if values[i] != nil {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.5"/>`, x(i), y(*values[i]))
			break
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // numbers only
}
