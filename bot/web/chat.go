package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/knowledge/profile"
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
	data := map[string]any{"Title": "Chat · " + p.Company, "WS": wsID, "P": p, "Problem": problem, "As": r.FormValue("as"), "Speakers": speakers,
		"Account": viewerOf(r).Account.Name}
	if threadID != "" {
		th, err := s.loadThread(ctx, wsID, threadID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		data["Thread"], data["Lines"], data["Drafts"] = th.Thread, lines(th.Events), th.Drafts
		data["Offers"] = s.offers(ctx, p, viewerOf(r).Account.Name, th)
		if data["As"] == "" {
			data["As"] = nextSpeaker(p, th.Events, th.Thread)
		}
	}
	w.WriteHeader(status)
	s.render(w, r, "chat", data)
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
func notLinked(p *profile.Profile, account string) string {
	if len(p.ByWeb(account)) == 0 {
		return "Your account " + account + " speaks for nobody in " + p.Company + ": add web: " + account + " to your person in " + p.File + " and reload it."
	}
	return "Your account " + account + " may speak only as the people linked to it (web: " + account + " in " + p.File + ")."
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
			for _, l := range lines([]store.Event{e}) {
				if to := strings.TrimPrefix(strings.SplitN(l.Text, ":", 2)[0], "asks "); to != "" {
					asked = append(asked, to)
				}
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
		s.notFound(w, r, "workspace "+wsID+" has no stored profile")
		return
	}
	// an account speaks only as the people of the workspace linked to it (web: in
	// company.yaml), never as anyone else, the reviewer included
	as, ok := speaksAs(ws.Profile, viewerOf(r).Account.Name, r.PostFormValue("as"))
	if !ok {
		s.renderChat(w, r, http.StatusForbidden, threadID, notLinked(ws.Profile, viewerOf(r).Account.Name))
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
