package web

import (
	"context"

	"github.com/whybot/whybot/knowledge/record"
)

// chartRef is a chart image on a page: where it is served and what it shows, in words.
type chartRef struct{ URL, Alt string }

// draftChart is the chart of the metric a draft is about, when its answer is about a trend.
func (s *Server) draftChart(ctx context.Context, wsID, id string, ev record.Evidence) *chartRef {
	return nil
}
