package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/whybot/whybot/bot/web/locale"
	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/store"
)

// line is one event of a thread, for people: what happened in a line, the details on
// demand. Consecutive rule evaluations are one line.
type line struct {
	Kind, By, Text string
	Detail         []string
	At             time.Time
	Draft          string    // the draft a posted answer came from (the chat)
	Chart          *chartRef // the posted answer's chart, when it is about a trend (the chat)
}

func lines(p locale.Printer, events []store.Event) []line {
	out := make([]line, 0, len(events))
	for _, e := range events {
		if e.Kind == store.EventRule && len(out) > 0 && out[len(out)-1].Kind == string(store.EventRule) {
			last := &out[len(out)-1]
			r, _ := record.Decode[record.Rule](e.Data)
			last.Detail = append(last.Detail, p.T("rule."+string(r.Rule))+": "+r.Message)
			last.Text = p.T("line.rules", "n", len(last.Detail))
			continue
		}
		out = append(out, eventLine(p, e))
	}
	return out
}

// eventLine is one event read through its record type, with who it is by (and the web
// console account that typed a message in the chat).
func eventLine(p locale.Printer, e store.Event) line {
	l := line{Kind: string(e.Kind), By: e.By.String(), At: e.At}
	withAccount := func(acc string) {
		if acc != "" {
			l.By += " (web:" + acc + ")"
		}
	}
	switch e.Kind {
	case store.EventQuestion:
		r, _ := record.Decode[record.Question](e.Data)
		l.Text = r.Text
		withAccount(r.Account)
	case store.EventAnswer:
		r, _ := record.Decode[record.Answer](e.Data)
		l.Text = r.Text
		withAccount(r.Account)
	case store.EventQuestionAsked:
		r, _ := record.Decode[record.Asked](e.Data)
		l.Text = p.T("line.asked", "who", r.To, "text", r.Text)
	case store.EventRule:
		r, _ := record.Decode[record.Rule](e.Data)
		l.Text, l.Detail = p.T("line.rules", "n", 1), []string{p.T("rule."+string(r.Rule)) + ": " + r.Message}
	case store.EventDraft:
		r, _ := record.Decode[record.Draft](e.Data)
		l.Text, l.Detail = p.T("line.draft", "id", r.Draft), []string{r.Text}
		l.Detail = append(l.Detail, r.Caveats...)
	case store.EventData:
		r, _ := record.Decode[record.Data](e.Data)
		l.Text = p.T("line.data", "period", r.Period)
		if len(r.Files) > 0 {
			l.Detail = []string{strings.Join(r.Files, ", ")}
		}
	case store.EventApproved:
		r, _ := record.Decode[record.Approved](e.Data)
		l.Text = p.T("line.approved", "id", r.Draft)
		if r.Edited {
			l.Text = p.T("line.approved_edited", "id", r.Draft)
		}
	case store.EventEdited:
		r, _ := record.Decode[record.Edited](e.Data)
		l.Text, l.Detail = p.T("line.edited", "id", r.Draft), []string{r.Text}
	case store.EventRejected:
		r, _ := record.Decode[record.Rejected](e.Data)
		l.Text = p.T("line.rejected", "id", r.Draft, "reason", r.Reason)
	case store.EventPosted:
		r, _ := record.Decode[record.Posted](e.Data)
		l.Text, l.Detail = p.T("line.posted", "id", r.Draft), []string{r.Text}
	default:
		l.Text = p.T("line.other")
	}
	return l
}

func (s *Server) threadPage(w http.ResponseWriter, r *http.Request) {
	wsID, id := r.PathValue("ws"), r.PathValue("id")
	p := printer(r)
	th, err := s.loadThread(r.Context(), wsID, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, "thread", map[string]any{"Title": p.T("thread.title"), "WS": wsID, "Thread": th.Thread, "Lines": lines(p, th.Events), "Drafts": th.Drafts})
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
// every draft with its evidence and decision. Raw JSON is only here.
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
