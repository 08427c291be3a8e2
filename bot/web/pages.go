package web

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/whybot/whybot/bot/web/locale"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/workspace"
)

func urlQuery(s string) string { return url.QueryEscape(s) }

// workspace

type kpiLine struct {
	Metric, Name string
	Periods      []string
	Values       []*float64
	Latest       string
	Spark        template.HTML
	Goal         string
	Chart        *chartRef
}

// profileOf is a stored workspace with its profile.
func (s *Server) profileOf(ctx context.Context, wsID string) (store.Workspace, *profile.Profile, error) {
	rec, err := s.store.Workspace(ctx, wsID)
	if err != nil {
		return rec, nil, err
	}
	p, err := workspace.StoredProfile(rec)
	return rec, p, err
}

func (s *Server) workspacePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	wsID := r.PathValue("ws")
	rec, p, err := s.profileOf(ctx, wsID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rows, loaded, err := s.store.KPI(ctx, wsID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var kpis []kpiLine
	var problems string
	if len(rows) > 0 {
		ws, err := workspace.FromSnapshot(rec, rows)
		if err != nil {
			problems = err.Error()
		} else {
			kpis = kpiLines(ws, p, printer(r).Lang)
			for i := range kpis {
				kpis[i].Chart = metricChart(ws, wsID, kpis[i].Metric, printer(r).Lang)
			}
		}
	}
	// the profile file as it is now (company.yaml in the workspace folder, next to its
	// data): its problems, with line numbers, before the next load refuses it
	file := ""
	if len(rec.DataFiles) > 0 {
		file = filepath.Join(filepath.Dir(rec.DataFiles[0]), "company.yaml")
		if _, err := os.Stat(file); err != nil {
			file = ""
		} else if _, err := profile.Load(file); err != nil {
			problems = strings.TrimSpace(problems + "\n" + err.Error())
		}
	}
	people, err := s.people(ctx, printer(r), wsID, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	changes, err := s.store.ChatPeopleLog(ctx, wsID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, "workspace", map[string]any{"Title": p.Company, "WS": wsID, "P": p, "File": file, "KPIs": kpis, "Loaded": loaded, "Problems": problems,
		"Decisional": p.Decisional(), "People": people, "PeopleLog": changes})
}

func kpiLines(ws *workspace.Workspace, p *profile.Profile, lang string) []kpiLine {
	var out []kpiLine
	cat := p.Catalogue()
	for _, id := range p.Decisional() {
		if !ws.Data.Has(id) {
			continue
		}
		k := kpiLine{Metric: id, Name: cat.Name(id, lang)}
		var vals []float64
		start := max(0, ws.Data.Len()-6)
		for i := start; i < ws.Data.Len(); i++ {
			k.Periods = append(k.Periods, ws.Data.Periods[i].String())
			if v, ok := ws.Data.Value(i, id); ok {
				v := v
				k.Values = append(k.Values, &v)
				vals = append(vals, v)
			} else {
				k.Values = append(k.Values, nil)
			}
		}
		var goal *float64
		for _, g := range p.Goals {
			if g.Metric == id {
				t := g.Target
				goal = &t
				k.Goal = fmt.Sprintf("%s: %s", g.ID, cat.Format(id, g.Target, lang, p.Currency))
			}
		}
		if n := len(vals); n > 0 {
			k.Latest = cat.Format(id, vals[n-1], lang, p.Currency)
		}
		k.Spark = sparkline(k.Values, goal)
		out = append(out, k)
	}
	return out
}

// personRow is one person of a workspace and where they were added.
type personRow struct {
	Handle, Name, Role, From string
	Reviewer                 bool
}

// people are a workspace's people: company.yaml's, then those added from chat (which the
// profile does not override), each with where it was added.
func (s *Server) people(ctx context.Context, pr locale.Printer, wsID string, p *profile.Profile) ([]personRow, error) {
	out := make([]personRow, 0, len(p.People))
	for _, x := range p.People {
		out = append(out, personRow{Handle: x.Handle, Name: x.Name, Role: x.Role, Reviewer: x.Reviewer, From: pr.T("ws.from_profile")})
	}
	added, err := s.store.ChatPeople(ctx, wsID)
	if err != nil {
		return nil, err
	}
	for _, x := range added {
		person := profile.Person{Handle: x.Handle, Name: x.Name, Role: x.Role, Reviewer: x.Reviewer, Slack: x.Slack, Discord: x.Discord}
		if len(p.AddChatPeople([]profile.Person{person})) == 0 {
			continue // company.yaml names them: the profile wins
		}
		out = append(out, personRow{Handle: x.Handle, Name: x.Name, Role: x.Role, Reviewer: x.Reviewer,
			From: pr.T("ws.from_chat", "who", x.AddedBy, "when", pr.When(x.AddedAt))})
	}
	return out, nil
}
