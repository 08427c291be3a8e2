package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/whybot/whybot/bot/web/locale"
	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/rules"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/workspace"
)

// inboxRow is one draft as the inbox shows it: enough to triage without opening it.
type inboxRow struct {
	Workspace, Company, DraftID string
	Question, Preview           string
	Severity                    string // critical | warning | info | none: the draft's worst finding
	Rules                       []string
	Asker, Transport, Writer    string
	Age, Deadline               string
	Overdue                     bool
	cursor                      store.DraftCursor
}

var draftStates = []store.DraftState{store.DraftPending, store.DraftApproved, store.DraftPosted, store.DraftRejected, store.DraftSuperseded}

var severities = []string{string(rules.Critical), string(rules.Warning), string(rules.Info)}

// maxScan bounds how many pages one inbox page reads to fill itself when a severity
// filter skips drafts.
const maxScan = 20

// inboxQuery is an inbox page's filters.
type inboxQuery struct {
	Workspace, State, Severity, After string
}

func (s *Server) inbox(w http.ResponseWriter, r *http.Request) {
	ctx, p, v := r.Context(), printer(r), viewerOf(r)
	f := inboxQuery{Workspace: r.URL.Query().Get("workspace"), State: r.URL.Query().Get("state"), Severity: r.URL.Query().Get("severity"), After: r.URL.Query().Get("after")}
	if f.State == "" {
		f.State = string(store.DraftPending)
	}
	if !slices.Contains(draftStates, store.DraftState(f.State)) {
		http.Error(w, p.T("inbox.bad_state", "state", clipWords(f.State)), http.StatusBadRequest)
		return
	}
	if f.Severity != "" && !slices.Contains(severities, f.Severity) {
		http.Error(w, p.T("inbox.bad_severity", "severity", clipWords(f.Severity)), http.StatusBadRequest)
		return
	}
	visible, deadlines, err := s.visibleWorkspaces(ctx, v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := store.DraftQuery{States: []store.DraftState{store.DraftState(f.State)}, Workspaces: []string{}, Limit: store.DraftPage}
	for _, ws := range visible {
		if f.Workspace == "" || ws.ID == f.Workspace {
			q.Workspaces = append(q.Workspaces, ws.ID)
		}
	}
	if f.After != "" {
		wsID, id, _ := strings.Cut(f.After, "/")
		d, err := s.store.Draft(ctx, wsID, id)
		if err != nil || !v.Account.Sees(wsID) {
			http.Error(w, p.T("inbox.bad_after"), http.StatusBadRequest)
			return
		}
		c := d.Cursor()
		q.After = &c
	}
	rows, more, err := s.inboxPage(ctx, p, q, f.Severity, visible, deadlines)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data := map[string]any{"Title": p.T("inbox.title"), "Rows": rows, "Workspaces": visible, "Workspace": f.Workspace, "State": f.State, "States": draftStates,
		"Severity": f.Severity, "Severities": severities, "SetAside": s.setAside(v)}
	if more != nil {
		data["Next"] = "/inbox?" + url.Values{"workspace": {f.Workspace}, "state": {f.State}, "severity": {f.Severity}, "after": {more.Workspace + "/" + more.ID}}.Encode()
	}
	s.render(w, r, "inbox", data)
}

// visibleWorkspaces are the workspaces an account sees, with each one's review deadline.
func (s *Server) visibleWorkspaces(ctx context.Context, v *viewer) ([]store.Workspace, map[string]time.Duration, error) {
	all, err := s.store.Workspaces(ctx)
	if err != nil {
		return nil, nil, err
	}
	var visible []store.Workspace
	deadlines := map[string]time.Duration{}
	for _, ws := range all {
		if !v.Account.Sees(ws.ID) {
			continue
		}
		visible = append(visible, ws)
		if p, err := workspace.StoredProfile(ws); err == nil {
			deadlines[ws.ID] = time.Duration(p.Thresholds.ReviewDeadlineHours) * time.Hour
		}
	}
	return visible, deadlines, nil
}

// inboxPage reads pages of drafts until it has a page of rows of the severity asked for
// (every row without one), or the list ends; more is where the next page starts.
func (s *Server) inboxPage(ctx context.Context, p locale.Printer, q store.DraftQuery, severity string, visible []store.Workspace,
	deadlines map[string]time.Duration) ([]inboxRow, *store.DraftCursor, error) {
	var rows []inboxRow
	for range maxScan {
		page, err := s.store.ListDrafts(ctx, q)
		if err != nil {
			return nil, nil, err
		}
		for _, row := range inboxRows(p, page, visible, deadlines, s.now()) {
			if severity == "" || row.Severity == severity {
				rows = append(rows, row)
			}
			if len(rows) == q.Size() {
				c := row.cursor
				return rows, &c, nil
			}
		}
		if len(page) < q.Size() {
			return rows, nil, nil
		}
		c := page[len(page)-1].Cursor()
		q.After = &c
	}
	if n := len(rows); n > 0 {
		c := rows[n-1].cursor
		return rows, &c, nil
	}
	return rows, q.After, nil
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
func inboxRows(p locale.Printer, page []store.ListedDraft, visible []store.Workspace, deadlines map[string]time.Duration, now time.Time) []inboxRow {
	company := map[string]string{}
	for _, ws := range visible {
		company[ws.ID] = ws.Company
	}
	rows := make([]inboxRow, 0, len(page))
	for _, d := range page {
		ev, _ := record.Decode[record.Evidence](d.Evidence)
		age, deadline := now.Sub(d.CreatedAt), deadlines[d.Workspace]
		row := inboxRow{Workspace: d.Workspace, Company: company[d.Workspace], DraftID: d.ID, Question: firstOf(d.Question, p.T("inbox.no_question")),
			Preview: preview(firstOf(d.FinalText, d.Text), 160), Severity: "none", Asker: d.Asker, Transport: p.T("transport." + string(d.Transport)),
			Writer: writer(p, ev.Source), Age: p.Duration(age), Deadline: p.Duration(deadline), cursor: d.Cursor()}
		row.Overdue = d.State == store.DraftPending && deadline > 0 && age > deadline
		seen := map[string]bool{}
		for _, f := range ev.Findings {
			row.Severity = worse(row.Severity, string(f.Severity))
			if label := p.T("rule." + string(f.Rule)); !seen[label] {
				seen[label] = true
				row.Rules = append(row.Rules, label)
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// worse is the graver of two severities.
func worse(a, b string) string {
	rank := map[string]int{"none": 0, "info": 1, "warning": 2, "critical": 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// writer says who wrote a draft: the rules' templates, or the language model (grounded).
func writer(p locale.Printer, src *record.Phrased) string {
	switch {
	case src == nil || src.Source != "llm":
		if src != nil && src.Fallback != "" {
			return p.T("writer.rules_fallback", "why", src.Fallback)
		}
		return p.T("writer.rules")
	case src.Grounded:
		return p.T("writer.llm")
	}
	return p.T("writer.llm_ungrounded")
}

// preview is the start of a text on one line, cut at a word.
func preview(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n]
	if i := strings.LastIndexByte(string(r), ' '); i > n/2 {
		return string(r)[:i] + "…"
	}
	return string(r) + "…"
}
