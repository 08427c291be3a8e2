package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/bot/web/locale"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/workspace"
)

// The chat is the console transport in a page: pick who speaks, ask, answer the bot's
// questions as the person asked, and watch the draft go to the inbox. Approved answers
// are posted into the thread (the web transport's poster records them).

func (s *Server) chatPage(w http.ResponseWriter, r *http.Request) {
	s.renderChat(w, r, http.StatusOK, r.URL.Query().Get("thread"), "")
}

func (s *Server) renderChat(w http.ResponseWriter, r *http.Request, status int, threadID, problem string) {
	ctx := r.Context()
	wsID := r.PathValue("ws")
	_, p, err := s.profileOf(ctx, wsID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	speakers := p.ByWeb(viewerOf(r).Account.Name)
	pr := printer(r)
	data := map[string]any{"Title": pr.T("chat.title", "company", p.Company), "WS": wsID, "P": p, "Problem": problem, "As": r.FormValue("as"), "Speakers": speakers,
		"Account": viewerOf(r).Account.Name}
	if threadID != "" {
		th, err := s.loadThread(ctx, wsID, threadID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		chat := chatLines(pr, th.Events, th.Drafts)
		for i, l := range chat {
			for _, d := range th.Drafts {
				if l.Kind == "posted" && d.ID == l.Draft {
					if ev, err := record.Decode[record.Evidence](d.Evidence); err == nil {
						chat[i].Chart = s.draftChart(ctx, pr.Lang, wsID, d.ID, ev)
					}
				}
			}
		}
		data["Thread"], data["Chat"] = th.Thread, chat
		data["Offers"] = s.offers(ctx, p, viewerOf(r).Account.Name, th)
		if data["As"] == "" {
			data["As"] = nextSpeaker(p, th.Events, th.Thread)
		}
	}
	s.renderStatus(w, r, status, "chat", data)
}

// speaksAs is who an account speaks as: the person asked for when linked to it, or its
// one linked person when none was asked for; ok is false otherwise.
func speaksAs(p *profile.Profile, account, as string) (string, bool) {
	people := p.ByWeb(account)
	for _, x := range people {
		if strings.EqualFold(x.Handle, as) {
			return x.Handle, true
		}
	}
	if as == "" && len(people) == 1 {
		return people[0].Handle, true
	}
	return "", false
}

// notLinked says why an account may not speak, and how to link it.
func notLinked(pr locale.Printer, p *profile.Profile, account string) string {
	if len(p.ByWeb(account)) == 0 {
		return pr.T("chat.speaks_for_nobody", "account", account, "company", p.Company, "file", p.File)
	}
	return pr.T("chat.speaks_only_as", "account", account, "file", p.File)
}

// chatLines are a thread as its asker sees it in the chat: the messages and the bot's
// questions; where a draft is, «in review» until an answer is posted (then the posted
// text) or «declined». No unapproved text and no record data ever shows.
func chatLines(p locale.Printer, events []store.Event, drafts []store.Draft) []line {
	state := map[string]store.DraftState{}
	for _, d := range drafts {
		state[d.ID] = d.State
	}
	var out []line
	for _, e := range events {
		switch e.Kind {
		case store.EventQuestion, store.EventAnswer, store.EventQuestionAsked:
			out = append(out, eventLine(p, e))
		case store.EventDraft:
			r, _ := record.Decode[record.Draft](e.Data)
			switch state[r.Draft] {
			case store.DraftPending, store.DraftApproved:
				out = append(out, line{Kind: "review", By: "whybot", At: e.At})
			case store.DraftRejected:
				out = append(out, line{Kind: "declined", By: "whybot", At: e.At})
			}
		case store.EventPosted:
			r, _ := record.Decode[record.Posted](e.Data)
			out = append(out, line{Kind: "posted", By: "whybot", Text: r.Text, At: e.At, Draft: r.Draft})
		}
	}
	return out
}

// nextSpeaker is who the chat offers to speak next: the first person asked who has not
// answered, else the asker.
func nextSpeaker(p *profile.Profile, events []store.Event, th store.Thread) string {
	answered := map[string]bool{}
	var asked []string
	for _, e := range events {
		switch e.Kind {
		case store.EventAnswer:
			answered[e.By.Name()] = true
		case store.EventQuestionAsked:
			if r, err := record.Decode[record.Asked](e.Data); err == nil && r.To != "" {
				asked = append(asked, r.To)
			}
		}
	}
	for _, h := range asked {
		if _, ok := p.Person(h); ok && !answered[h] {
			return h
		}
	}
	return th.Asker
}

func (s *Server) chatPost(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	wsID := r.PathValue("ws")
	threadID := r.PostFormValue("thread")
	ws, err := s.workspaces.Find(ctx, store.WorkspaceKey{ID: wsID})
	var sa *workspace.SetAsideError
	if errors.As(err, &sa) {
		s.renderChat(w, r, http.StatusConflict, threadID, sa.Error())
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ws == nil {
		s.notFound(w, r, printer(r).T("error.no_workspace", "id", wsID))
		return
	}
	// an account speaks only as the people of the workspace linked to it (web: in
	// company.yaml), never as anyone else, the reviewer included
	as, ok := speaksAs(ws.Profile, viewerOf(r).Account.Name, r.PostFormValue("as"))
	if !ok {
		s.renderChat(w, r, http.StatusForbidden, threadID, notLinked(printer(r), ws.Profile, viewerOf(r).Account.Name))
		return
	}
	reply, err := s.engine.Ask(ctx, ws, conversation.Request{ThreadID: threadID, As: as, Text: r.PostFormValue("text"), Pick: pickOf(r),
		Transport: store.TransportWeb, Channel: "web", Account: viewerOf(r).Account.Name})
	var ue *conversation.UserError
	if errors.As(err, &ue) {
		s.renderChat(w, r, http.StatusUnprocessableEntity, threadID, ue.Reason)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/w/"+url.PathEscape(wsID)+"/chat?thread="+url.QueryEscape(reply.Thread), http.StatusSeeOther)
}
