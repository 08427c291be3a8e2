package chart_test

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/bot/chart"
	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/rules"
	"github.com/whybot/whybot/knowledge/sample"
	"github.com/whybot/whybot/knowledge/workspace"
)

func setup(t *testing.T) *workspace.Workspace {
	t.Helper()
	prof, data, err := sample.Write(filepath.Join(t.TempDir(), "ws"))
	require.NoError(t, err)
	ws, err := workspace.Load(prof, []string{data})
	require.NoError(t, err)
	return ws
}

// has reports whether some pixel of img is close to the colour.
func has(img image.Image, r, g, b uint8) bool {
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			pr, pg, pb, _ := img.At(x, y).RGBA()
			if math.Abs(float64(pr>>8)-float64(r)) < 12 && math.Abs(float64(pg>>8)-float64(g)) < 12 && math.Abs(float64(pb>>8)-float64(b)) < 12 {
				return true
			}
		}
	}
	return false
}

func TestTrendChart(t *testing.T) {
	t.Parallel()
	ws := setup(t)
	period := ws.Data.Periods[ws.Data.Len()-1].String()
	v, _ := ws.Data.Value(ws.Data.Len()-1, "leads")
	ev := record.Evidence{Observed: []rules.Observed{{Metric: "leads", Period: period, Value: v}},
		Findings: []rules.Finding{{Rule: rules.UnusualChange, Severity: rules.Info, Params: map[string]any{"low": 40.0, "high": 70.0}}}}
	c, ok := chart.ForDraft(ws, ev, "it")
	require.True(t, ok, "an answer about a change gets its picture")
	require.Len(t, c.Values, min(chart.Span, ws.Data.Len()))
	require.Equal(t, period, c.Labels[len(c.Labels)-1])
	require.Contains(t, c.Alt, "Grafico: Lead")
	require.Contains(t, c.Alt, "i dati passati si aspettavano tra 40 e 70")
	b, err := c.PNG()
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	require.Greater(t, img.Bounds().Dx(), 600)
	require.True(t, has(img, 0x1f, 0x4f, 0xb8), "the series is drawn")
	require.True(t, has(img, 0x8a, 0x5a, 0x00), "the expected range is drawn")

	en, ok := chart.ForDraft(ws, ev, "en")
	require.True(t, ok)
	require.Contains(t, en.Alt, "its history expected between 40 and 70")

	// a direct figure is no trend: no picture
	_, ok = chart.ForDraft(ws, record.Evidence{Observed: ev.Observed, Findings: []rules.Finding{{Rule: rules.MetricValue}}}, "it")
	require.False(t, ok)
	_, ok = chart.ForMetric(ws, "no_such_metric", "", "it")
	require.False(t, ok)
}

func TestGoalLine(t *testing.T) {
	t.Parallel()
	ws := setup(t)
	var id string
	for _, g := range ws.Profile.Goals {
		if ws.Data.Has(g.Metric) {
			id = g.Metric
		}
	}
	require.NotEmpty(t, id, "the sample has a goal on a metric with data")
	c, ok := chart.ForMetric(ws, id, "", "en")
	require.True(t, ok)
	require.NotNil(t, c.Goal)
	require.Contains(t, c.Alt, "goal")
	b, err := c.PNG()
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	require.True(t, has(img, 0x17, 0x70, 0x3a), "the goal line is drawn")
}

// BenchmarkTrendPNG draws a 13-period chart with its goal and range, as an approved answer
// about a trend gets it.
func BenchmarkTrendPNG(b *testing.B) {
	prof, data, err := sample.Write(filepath.Join(b.TempDir(), "ws"))
	require.NoError(b, err)
	ws, err := workspace.Load(prof, []string{data})
	require.NoError(b, err)
	c, ok := chart.ForMetric(ws, "leads", "", "it")
	require.True(b, ok)
	lo, hi := 40.0, 70.0
	c.Low, c.High = &lo, &hi
	size := 0
	for b.Loop() {
		png, err := c.PNG()
		require.NoError(b, err)
		size = len(png)
	}
	b.ReportMetric(float64(size), "bytes")
}
