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
	data := map[string]any{"Title": "Chat · " + p.Company, "WS": wsID, "P": p, "Problem": problem, "As": r.FormValue("as")}
	if threadID != "" {
		th, err := s.loadThread(ctx, wsID, threadID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		data["Thread"], data["Lines"], data["Drafts"] = th.Thread, lines(th.Events), th.Drafts
		if data["As"] == "" {
			data["As"] = nextSpeaker(p, th.Events, th.Thread)
		}
	}
	w.WriteHeader(status)
	s.render(w, r, "chat", data)
}

// nextSpeaker is who the chat offers to speak next: the first person asked who has not
// answered, else the asker.
func nextSpeaker(p *profile.Profile, events []store.Event, th store.Thread) string {
	answered := map[string]bool{}
	var asked []string
	for _, e := range events {
		switch e.Kind {
		case store.EventAnswer:
			answered[e.By] = true
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
	ws, err := workspace.LoadStored(ctx, s.store, func(p *profile.Profile) bool { return p.Workspace == wsID })
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ws == nil {
		s.notFound(w, r, "workspace "+wsID+" has no stored profile")
		return
	}
	reply, err := s.engine.Ask(ctx, ws, conversation.Request{ThreadID: threadID, As: r.PostFormValue("as"), Text: r.PostFormValue("text"),
		Transport: "web", Channel: "web"})
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
