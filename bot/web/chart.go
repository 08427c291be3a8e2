package web

import (
	"context"
	"net/http"
	"net/url"

	"github.com/whybot/whybot/bot/chart"
	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/workspace"
)

// chartRef is a chart image on a page: where it is served and what it shows, in words.
type chartRef struct{ URL, Alt string }

// draftChart is the chart of the metric a draft is about, when its answer is about a trend:
// the same picture Slack and Discord get with the posted answer.
func (s *Server) draftChart(ctx context.Context, lang, wsID, id string, ev record.Evidence) *chartRef {
	ws, err := s.workspaces.Find(ctx, store.WorkspaceKey{ID: wsID})
	if err != nil || ws == nil {
		return nil
	}
	c, ok := chart.ForDraft(ws, ev, lang)
	if !ok {
		return nil
	}
	return &chartRef{URL: draftURL(wsID, id) + "/chart.png", Alt: c.Alt}
}

// metricChart is a KPI's chart on the workspace page.
func metricChart(ws *workspace.Workspace, wsID, id, lang string) *chartRef {
	c, ok := chart.ForMetric(ws, id, "", lang)
	if !ok {
		return nil
	}
	return &chartRef{URL: "/w/" + url.PathEscape(wsID) + "/kpis/" + url.PathEscape(id) + "/chart.png", Alt: c.Alt}
}

func (s *Server) draftChartPNG(w http.ResponseWriter, r *http.Request) {
	ctx, wsID, id := r.Context(), r.PathValue("ws"), r.PathValue("id")
	d, err := s.store.Draft(ctx, wsID, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ev, err := record.Decode[record.Evidence](d.Evidence)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.chartPNG(w, r, func(ws *workspace.Workspace) (chart.Chart, bool) { return chart.ForDraft(ws, ev, printer(r).Lang) })
}

func (s *Server) metricChartPNG(w http.ResponseWriter, r *http.Request) {
	s.chartPNG(w, r, func(ws *workspace.Workspace) (chart.Chart, bool) {
		return chart.ForMetric(ws, r.PathValue("metric"), "", printer(r).Lang)
	})
}

func (s *Server) chartPNG(w http.ResponseWriter, r *http.Request, build func(*workspace.Workspace) (chart.Chart, bool)) {
	ws, err := s.workspaces.Find(r.Context(), store.WorkspaceKey{ID: r.PathValue("ws")})
	if err != nil || ws == nil {
		s.notFound(w, r, printer(r).T("error.not_found_text"))
		return
	}
	c, ok := build(ws)
	if !ok {
		s.notFound(w, r, printer(r).T("error.not_found_text"))
		return
	}
	b, err := c.PNG()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=300")
	_, _ = w.Write(b)
}
