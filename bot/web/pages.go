package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/knowledge/metric"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/workspace"
	"github.com/whybot/whybot/prompts"
)

var funcs = template.FuncMap{
	"when": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"whenp": func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"metricName": func(id string) string { return metric.Name(id, "en") },
	"value":      func(id string, v float64) string { return metric.Format(id, v, "en", "EUR") },
	"valuep": func(id string, v *float64) string {
		if v == nil {
			return "–"
		}
		return metric.Format(id, *v, "en", "EUR")
	},
	"pct": func(v *float64) string {
		if v == nil {
			return "–"
		}
		return fmt.Sprintf("%+.1f%%", *v)
	},
	"json": func(v any) string {
		b, _ := json.MarshalIndent(v, "", "  ")
		return string(b)
	},
}

func urlQuery(s string) string { return url.QueryEscape(s) }

// inbox

type inboxRow struct {
	Workspace, Company string
	Draft              store.Draft
	Asker, Transport   string
	Rules              []string
	Source             string // llm | rules
	Grounded           bool
	Fallback           string
	Age                time.Duration
	Deadline           time.Duration
	Overdue            bool
}

func (r inboxRow) AgeText() string { return short(r.Age) + " of " + short(r.Deadline) }

func short(d time.Duration) string {
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

var draftStates = []store.DraftState{store.DraftPending, store.DraftApproved, store.DraftPosted, store.DraftRejected, store.DraftSuperseded}

func (s *Server) inbox(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := viewerOf(r)
	wantWS, wantState := r.URL.Query().Get("workspace"), r.URL.Query().Get("state")
	if wantState == "" {
		wantState = string(store.DraftPending)
	}
	state := store.DraftState(wantState)
	known := false
	for _, st := range draftStates {
		known = known || st == state
	}
	if !known {
		http.Error(w, fmt.Sprintf("state %q is not a draft state", wantState), http.StatusBadRequest)
		return
	}
	all, err := s.store.Workspaces(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := store.DraftQuery{States: []store.DraftState{state}, Workspaces: []string{}, Limit: store.DraftPage}
	var visible []store.Workspace
	deadlines := map[string]time.Duration{}
	for _, ws := range all {
		if !v.Account.Sees(ws.ID) {
			continue
		}
		visible = append(visible, ws)
		if wantWS != "" && ws.ID != wantWS {
			continue
		}
		q.Workspaces = append(q.Workspaces, ws.ID)
		p, err := workspace.StoredProfile(ws)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		deadlines[ws.ID] = time.Duration(p.Thresholds.ReviewDeadlineHours) * time.Hour
	}
	if after := r.URL.Query().Get("after"); after != "" {
		wsID, id, _ := strings.Cut(after, "/")
		d, err := s.store.Draft(ctx, wsID, id)
		if err != nil || !v.Account.Sees(wsID) {
			http.Error(w, "after: not a draft of this list", http.StatusBadRequest)
			return
		}
		c := d.Cursor()
		q.After = &c
	}
	page, err := s.store.ListDrafts(ctx, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rows := inboxRows(page, visible, deadlines, s.now())
	data := map[string]any{"Title": "Inbox", "Rows": rows, "Workspaces": visible, "Workspace": wantWS, "State": wantState, "States": draftStates,
		"SetAside": s.setAside(v)}
	if len(page) == q.Size() {
		last := page[len(page)-1]
		data["Next"] = "/inbox?" + url.Values{"workspace": {wantWS}, "state": {wantState}, "after": {last.Workspace + "/" + last.ID}}.Encode()
	}
	s.render(w, r, "inbox", data)
}

// setAside are the workspaces the viewer sees that were found not to validate, with why:
// their messages are answered with a plain reason until the team fixes them.
func (s *Server) setAside(v *viewer) []string {
	var out []string
	for _, err := range s.workspaces.SetAside() {
		var sa *workspace.SetAsideError
		if errors.As(err, &sa) && v.Account.Sees(sa.ID) {
			out = append(out, err.Error())
		}
	}
	return out
}

// inboxRows are a page of drafts as the inbox shows them.
func inboxRows(page []store.ListedDraft, visible []store.Workspace, deadlines map[string]time.Duration, now time.Time) []inboxRow {
	company := map[string]string{}
	for _, ws := range visible {
		company[ws.ID] = ws.Company
	}
	rows := make([]inboxRow, 0, len(page))
	for _, d := range page {
		ev, _ := record.Decode[record.Evidence](d.Evidence)
		row := inboxRow{Workspace: d.Workspace, Company: company[d.Workspace], Draft: d.Draft, Asker: d.Asker, Transport: string(d.Transport),
			Source: "rules", Grounded: true, Age: now.Sub(d.CreatedAt), Deadline: deadlines[d.Workspace]}
		row.Overdue = d.State == store.DraftPending && row.Age > row.Deadline
		for _, f := range ev.Findings {
			row.Rules = append(row.Rules, string(f.Rule))
		}
		if ev.Source != nil {
			row.Source, row.Grounded, row.Fallback = ev.Source.Source, ev.Source.Grounded, ev.Source.Fallback
		}
		rows = append(rows, row)
	}
	return rows
}

// draft

func (s *Server) draftPage(w http.ResponseWriter, r *http.Request) {
	s.renderDraft(w, r, http.StatusOK, "", "")
}

func (s *Server) renderDraft(w http.ResponseWriter, r *http.Request, status int, edited, problem string) {
	ctx := r.Context()
	wsID, id := r.PathValue("ws"), r.PathValue("id")
	rev, err := conversation.LoadReview(ctx, s.store, wsID, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rec, err := s.store.Workspace(ctx, wsID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	full := rev.Evidence
	events, err := s.store.Events(ctx, wsID, rev.Thread.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	set, _ := prompts.For("en")
	data := map[string]any{"Title": "Draft " + id, "WS": wsID, "Company": rec.Company, "Review": rev, "Observed": full.Observed, "Facts": full.Facts,
		"Source": rev.SourceLine(set), "Readings": rev.Readings(set, nil), "Pulled": s.pulledFrom(ctx, wsID, full), "Lines": lines(events), "Pending": rev.Draft.State == store.DraftPending, "Problem": problem}
	if edited != "" {
		data["Edited"] = edited
		data["Diff"] = wordDiff(rev.Draft.Text, edited)
	}
	w.WriteHeader(status)
	s.render(w, r, "draft", data)
}

func (s *Server) approve(w http.ResponseWriter, r *http.Request) {
	s.decide(w, r, conversation.Action{Approve: true, EditedText: r.PostFormValue("text")})
}

func (s *Server) reject(w http.ResponseWriter, r *http.Request) {
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if reason == "" {
		s.renderDraft(w, r, http.StatusUnprocessableEntity, "", "A rejection needs a reason: say why, so the team can learn from it.")
		return
	}
	s.decide(w, r, conversation.Action{Reason: reason})
}

// editPreview shows the edited text against the draft, word by word, before it is approved.
func (s *Server) editPreview(w http.ResponseWriter, r *http.Request) {
	text := strings.TrimSpace(r.PostFormValue("text"))
	if text == "" {
		s.renderDraft(w, r, http.StatusUnprocessableEntity, "", "The edited text is empty: reject the draft instead, with a reason.")
		return
	}
	s.renderDraft(w, r, http.StatusOK, text, "")
}

func (s *Server) decide(w http.ResponseWriter, r *http.Request, a conversation.Action) {
	v := viewerOf(r)
	wsID, id := r.PathValue("ws"), r.PathValue("id")
	out, err := s.engine.Decide(r.Context(), wsID, id, record.Account(v.Account.Name), a)
	var ue *conversation.UserError
	if errors.As(err, &ue) {
		s.renderDraft(w, r, http.StatusConflict, "", ue.Reason)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.InfoContext(r.Context(), "web decision", "workspace", wsID, "draft", id, "account", v.Account.Name, "state", out.Draft.State)
	http.Redirect(w, r, "/w/"+url.PathEscape(wsID)+"/drafts/"+url.PathEscape(id), http.StatusSeeOther)
}

// thread and audit

// line is one event of a thread, for people.
type line struct {
	Kind, By, Text string
	At             time.Time
}

func lines(events []store.Event) []line {
	out := make([]line, 0, len(events))
	for _, e := range events {
		l := line{Kind: string(e.Kind), By: e.By.String(), At: e.At}
		l.Text, l.By = eventText(e, l.By)
		out = append(out, l)
	}
	return out
}

// eventText is what an event says, read through its record type, and who it is by (with
// the web console account that typed a message in the chat).
func eventText(e store.Event, by string) (string, string) {
	withAccount := func(acc string) string {
		if acc != "" {
			return by + " (web:" + acc + ")"
		}
		return by
	}
	switch e.Kind {
	case store.EventQuestion:
		r, _ := record.Decode[record.Question](e.Data)
		return r.Text, withAccount(r.Account)
	case store.EventAnswer:
		r, _ := record.Decode[record.Answer](e.Data)
		return r.Text, withAccount(r.Account)
	case store.EventQuestionAsked:
		r, _ := record.Decode[record.Asked](e.Data)
		return fmt.Sprintf("asks %s: %s", r.To, r.Text), by
	case store.EventRule:
		r, _ := record.Decode[record.Rule](e.Data)
		return string(r.Rule) + ": " + r.Message, by
	case store.EventDraft:
		r, _ := record.Decode[record.Draft](e.Data)
		return r.Text, by
	case store.EventData:
		r, _ := record.Decode[record.Data](e.Data)
		return "data of " + r.Period, by
	}
	return string(e.Data), by
}

func (s *Server) threadPage(w http.ResponseWriter, r *http.Request) {
	wsID, id := r.PathValue("ws"), r.PathValue("id")
	th, err := s.loadThread(r.Context(), wsID, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, "thread", map[string]any{"Title": "Thread " + id, "WS": wsID, "Thread": th.Thread, "Lines": lines(th.Events), "Drafts": th.Drafts})
}

// threadData is a thread with its events and drafts.
type threadData struct {
	Thread store.Thread  `json:"thread"`
	Events []store.Event `json:"events"`
	Drafts []store.Draft `json:"drafts"`
}

func (s *Server) loadThread(ctx context.Context, wsID, id string) (threadData, error) {
	out := threadData{Drafts: []store.Draft{}}
	var err error
	if out.Thread, err = s.store.Thread(ctx, wsID, id); err != nil {
		return out, err
	}
	if out.Events, err = s.store.Events(ctx, wsID, id); err != nil {
		return out, err
	}
	drafts, err := s.store.Drafts(ctx, wsID)
	if err != nil {
		return out, err
	}
	for _, d := range drafts {
		if d.ThreadID == id {
			out.Drafts = append(out.Drafts, d)
		}
	}
	return out, nil
}

// auditJSON exports a thread's whole trail: the thread, every event with its data, and
// every draft with its evidence and decision.
func (s *Server) auditJSON(w http.ResponseWriter, r *http.Request) {
	wsID, id := r.PathValue("ws"), r.PathValue("id")
	th, err := s.loadThread(r.Context(), wsID, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", "whybot-"+wsID+"-"+id+".json"))
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(th)
}

// workspace

type kpiLine struct {
	Metric, Name string
	Periods      []string
	Values       []*float64
	Latest       string
	Spark        template.HTML
	Goal         string
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
			kpis = kpiLines(ws, p)
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
	s.render(w, r, "workspace", map[string]any{"Title": p.Company, "WS": wsID, "P": p, "File": file, "KPIs": kpis, "Loaded": loaded, "Problems": problems, "Decisional": p.Decisional()})
}

func kpiLines(ws *workspace.Workspace, p *profile.Profile) []kpiLine {
	var out []kpiLine
	cat := p.Catalogue()
	for _, id := range p.Decisional() {
		if !ws.Data.Has(id) {
			continue
		}
		k := kpiLine{Metric: id, Name: cat.Name(id, "en")}
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
				k.Goal = fmt.Sprintf("%s: %s", g.ID, cat.Format(id, g.Target, "en", p.Currency))
			}
		}
		if n := len(vals); n > 0 {
			k.Latest = cat.Format(id, vals[n-1], "en", p.Currency)
		}
		k.Spark = sparkline(k.Values, goal)
		out = append(out, k)
	}
	return out
}
