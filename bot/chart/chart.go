// Package chart draws a metric's trend as a PNG (gonum/plot): its periods, the company's
// goal line, and the range its own history expected for the latest period, with an alt
// text in the reader's language. The same picture goes with an answer in Slack and
// Discord and shows in the web console.
package chart

import (
	"bytes"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Chart is one metric over its latest periods.
type Chart struct {
	Metric     string
	Title      string    // the metric's name, in the reader's language
	Labels     []string  // period labels, oldest first
	Values     []float64 // NaN where a period has no value
	Goal       *float64
	GoalLabel  string
	Low, High  *float64 // the range expected for the last period
	RangeLabel string
	ValueLabel string
	Alt        string // what the picture shows, in words
}

// Size of the picture.
const (
	Width  = 8 * vg.Inch
	Height = 4 * vg.Inch
)

var (
	ink   = color.RGBA{R: 0x1f, G: 0x4f, B: 0xb8, A: 0xff}
	goal  = color.RGBA{R: 0x17, G: 0x70, B: 0x3a, A: 0xff}
	band  = color.NRGBA{R: 0xe0, G: 0xa0, B: 0x20, A: 0x70}
	edge  = color.RGBA{R: 0x8a, G: 0x5a, B: 0x00, A: 0xff}
	muted = color.RGBA{R: 0x4f, G: 0x58, B: 0x68, A: 0xff}
)

// PNG draws the chart.
func (c Chart) PNG() ([]byte, error) {
	if len(c.Values) == 0 || len(c.Values) != len(c.Labels) {
		return nil, fmt.Errorf("chart of %s: %d values for %d periods", c.Metric, len(c.Values), len(c.Labels))
	}
	p := plot.New()
	p.Title.Text = c.Title
	p.Title.TextStyle.Font.Size = vg.Points(14)
	p.X.Tick.Marker = labels(c.Labels)
	p.Y.Tick.Label.Color, p.X.Tick.Label.Color = muted, muted
	p.Add(plotter.NewGrid())
	lo, hi := math.Inf(1), math.Inf(-1)
	var pts plotter.XYs
	for i, v := range c.Values {
		if math.IsNaN(v) {
			continue
		}
		pts = append(pts, plotter.XY{X: float64(i), Y: v})
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if len(pts) == 0 {
		return nil, fmt.Errorf("chart of %s: no values", c.Metric)
	}
	if c.Low != nil && c.High != nil {
		last := float64(len(c.Values) - 1)
		poly, err := plotter.NewPolygon(plotter.XYs{{X: last - .35, Y: *c.Low}, {X: last + .35, Y: *c.Low}, {X: last + .35, Y: *c.High}, {X: last - .35, Y: *c.High}})
		if err != nil {
			return nil, err
		}
		poly.Color, poly.LineStyle.Color, poly.LineStyle.Width = band, edge, vg.Points(1)
		p.Add(poly)
		p.Legend.Add(c.RangeLabel, poly)
		lo, hi = math.Min(lo, *c.Low), math.Max(hi, *c.High)
	}
	line, points, err := plotter.NewLinePoints(pts)
	if err != nil {
		return nil, err
	}
	line.Color, line.Width = ink, vg.Points(2)
	points.Shape, points.Color, points.Radius = draw.CircleGlyph{}, ink, vg.Points(3)
	p.Add(line, points)
	p.Legend.Add(c.ValueLabel, line, points)
	if c.Goal != nil {
		g := *c.Goal
		gl, err := plotter.NewLine(plotter.XYs{{X: -0.4, Y: g}, {X: float64(len(c.Values)) - 0.6, Y: g}})
		if err != nil {
			return nil, err
		}
		gl.Color, gl.Width, gl.Dashes = goal, vg.Points(2), []vg.Length{vg.Points(6), vg.Points(4)}
		p.Add(gl)
		p.Legend.Add(c.GoalLabel, gl)
		lo, hi = math.Min(lo, g), math.Max(hi, g)
	}
	pad := math.Max((hi-lo)*0.12, math.Abs(hi)*0.05+1e-9)
	p.Y.Min, p.Y.Max = math.Max(0, lo-pad), hi+pad
	if lo < 0 {
		p.Y.Min = lo - pad
	}
	p.X.Min, p.X.Max = -0.6, float64(len(c.Values))-0.4
	p.Legend.Top, p.Legend.Left = true, true
	w, err := p.WriterTo(Width, Height, "png")
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if _, err := w.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// labels puts the period labels under their points, thinned to at most eight.
type labels []string

func (l labels) Ticks(min, max float64) []plot.Tick {
	step := (len(l) + 7) / 8
	var out []plot.Tick
	for i, s := range l {
		t := plot.Tick{Value: float64(i)}
		if (len(l)-1-i)%step == 0 {
			t.Label = s
		}
		out = append(out, t)
	}
	return out
}
