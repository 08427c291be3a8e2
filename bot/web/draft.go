package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/prompts"
)

// The draft page: the decision bar (approve after a confirmation, edit, reject), the draft
// beside its evidence, and the thread so far; after a decision the reviewer goes on to the
// next pending draft.

func (s *Server) draftPage(w http.ResponseWriter, r *http.Request) {
	s.renderDraft(w, r, http.StatusOK, draftView{Confirm: r.URL.Query().Get("confirm") == "approve"})
}

// draftView is what a draft page shows beyond the draft: a confirmation asked for, an edit
// being previewed, a problem.
type draftView struct {
	Confirm bool
	Edited  string
	Problem string
}

func (s *Server) renderDraft(w http.ResponseWriter, r *http.Request, status int, view draftView) {
	ctx, p := r.Context(), printer(r)
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
	events, err := s.store.Events(ctx, wsID, rev.Thread.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	set, err := prompts.For(p.Lang)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	next, err := s.nextDraft(ctx, viewerOf(r), wsID, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rev.Question = firstOf(rev.Question, rev.Thread.Question)
	full := rev.Evidence
	pending := rev.Draft.State == store.DraftPending
	data := map[string]any{"Title": rev.Question, "WS": wsID, "Company": rec.Company, "Review": rev, "Observed": full.Observed, "Facts": full.Facts,
		"Findings": full.Findings, "Source": rev.SourceLine(set), "Readings": rev.Readings(set, nil), "Pulled": s.pulledFrom(ctx, wsID, full),
		"Lines": lines(p, events), "Pending": pending, "Problem": view.Problem, "Confirm": pending && view.Confirm && view.Edited == "", "Next": next,
		"Chart": s.draftChart(ctx, p.Lang, wsID, id, full)}
	if view.Edited != "" {
		data["Edited"] = view.Edited
		data["Diff"] = wordDiff(rev.Draft.Text, view.Edited)
	}
	s.renderStatus(w, r, status, "draft", data)
}

// nextDraft is the page of the oldest pending draft the account may review, other than
// this one; "" when there is none.
func (s *Server) nextDraft(ctx context.Context, v *viewer, wsID, id string) (string, error) {
	visible, _, err := s.visibleWorkspaces(ctx, v)
	if err != nil {
		return "", err
	}
	q := store.DraftQuery{States: []store.DraftState{store.DraftPending}, Workspaces: []string{}, Limit: 2}
	for _, ws := range visible {
		q.Workspaces = append(q.Workspaces, ws.ID)
	}
	page, err := s.store.ListDrafts(ctx, q)
	if err != nil {
		return "", err
	}
	for _, d := range page {
		if d.Workspace != wsID || d.ID != id {
			return draftURL(d.Workspace, d.ID), nil
		}
	}
	return "", nil
}

func draftURL(ws, id string) string {
	return "/w/" + url.PathEscape(ws) + "/drafts/" + url.PathEscape(id)
}

// approve approves and posts, once the reviewer confirmed: the first press only asks.
func (s *Server) approve(w http.ResponseWriter, r *http.Request) {
	if r.PostFormValue("confirm") != "yes" {
		s.renderDraft(w, r, http.StatusOK, draftView{Confirm: true})
		return
	}
	s.decide(w, r, conversation.Action{Approve: true, EditedText: r.PostFormValue("text")})
}

func (s *Server) reject(w http.ResponseWriter, r *http.Request) {
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if reason == "" {
		s.renderDraft(w, r, http.StatusUnprocessableEntity, draftView{Problem: printer(r).T("draft.reason_needed")})
		return
	}
	s.decide(w, r, conversation.Action{Reason: reason})
}

// editPreview shows the edited text against the draft, word by word, before it is approved.
func (s *Server) editPreview(w http.ResponseWriter, r *http.Request) {
	text := strings.TrimSpace(r.PostFormValue("text"))
	if text == "" {
		s.renderDraft(w, r, http.StatusUnprocessableEntity, draftView{Problem: printer(r).T("draft.edit_empty")})
		return
	}
	s.renderDraft(w, r, http.StatusOK, draftView{Edited: text})
}

// decide acts through the engine, then goes on to the next pending draft (or the inbox)
// saying what was done.
func (s *Server) decide(w http.ResponseWriter, r *http.Request, a conversation.Action) {
	ctx, v := r.Context(), viewerOf(r)
	wsID, id := r.PathValue("ws"), r.PathValue("id")
	out, err := s.engine.Decide(ctx, wsID, id, record.Account(v.Account.Name), a)
	var ue *conversation.UserError
	if errors.As(err, &ue) {
		s.renderDraft(w, r, http.StatusConflict, draftView{Problem: ue.Reason})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.InfoContext(ctx, "web decision", "workspace", wsID, "draft", id, "account", v.Account.Name, "state", out.Draft.State)
	next, err := s.nextDraft(ctx, v, wsID, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if next == "" {
		http.Redirect(w, r, "/inbox?notice="+url.QueryEscape(string(out.Draft.State)+"_last:"+id), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, next+"?notice="+url.QueryEscape(string(out.Draft.State)+":"+id), http.StatusSeeOther)
}
