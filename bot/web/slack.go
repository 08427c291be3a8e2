package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/whybot/whybot/bot/slack"
	"github.com/whybot/whybot/knowledge/store"
)

// SlackInstalls is where the console reads and links the app's installations.
type SlackInstalls interface {
	SlackInstalls(ctx context.Context) ([]store.SlackInstall, error)
	SlackInstall(ctx context.Context, team string) (store.SlackInstall, error)
	LinkSlackInstall(ctx context.Context, team, workspace string, at time.Time) error
}

// SlackApp is one Slack app installed in many client teams: the install flow and the
// installations, each linked to a whybot workspace from here.
type SlackApp struct {
	Installer *slack.Installer
	Store     SlackInstalls
}

// installRow is one installation as the Slack page shows it.
type installRow struct {
	store.SlackInstall
	Company     string
	Linked      bool
	ProfileTeam bool // a workspace's company.yaml names this team: the profile wins
}

// visibleInstalls are the installations an account may see: all of them for an account
// granted every workspace, else those linked to its workspaces.
func (s *Server) visibleInstalls(ctx context.Context, v *viewer) ([]installRow, []store.Workspace, error) {
	all, err := s.slack.Store.SlackInstalls(ctx)
	if err != nil {
		return nil, nil, err
	}
	wss, err := s.store.Workspaces(ctx)
	if err != nil {
		return nil, nil, err
	}
	company, byTeam := map[string]string{}, map[string]string{}
	var mine []store.Workspace
	for _, ws := range wss {
		company[ws.ID] = ws.Company
		if team, _ := ws.PlatformKeys(); team != "" {
			byTeam[team] = ws.ID
		}
		if v.Account.Sees(ws.ID) {
			mine = append(mine, ws)
		}
	}
	var rows []installRow
	for _, in := range all {
		ws := in.Workspace
		profile := false
		if id, ok := byTeam[in.Team]; ok {
			ws, profile = id, true
		}
		if !v.Account.Sees(store.AllWorkspaces) && (ws == "" || !v.Account.Sees(ws)) {
			continue
		}
		rows = append(rows, installRow{SlackInstall: in, Company: company[ws], Linked: ws != "", ProfileTeam: profile})
	}
	return rows, mine, nil
}

func (s *Server) slackPage(w http.ResponseWriter, r *http.Request) {
	p := printer(r)
	if s.slack == nil {
		s.notFound(w, r, p.T("slack.not_set_up"))
		return
	}
	rows, mine, err := s.visibleInstalls(r.Context(), viewerOf(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, "slack", map[string]any{"Title": p.T("slack.title"), "Installs": rows, "Workspaces": mine, "CanInstall": s.slack.Installer.Ready()})
}

// slackInstall starts the install flow, for a workspace of the account's when one is asked.
func (s *Server) slackInstall(w http.ResponseWriter, r *http.Request) {
	p := printer(r)
	if s.slack == nil || !s.slack.Installer.Ready() {
		s.notFound(w, r, p.T("slack.not_set_up"))
		return
	}
	ws := r.URL.Query().Get("workspace")
	if ws != "" && !viewerOf(r).Account.Sees(ws) {
		s.notFound(w, r, p.T("error.no_workspace", "id", ws))
		return
	}
	if err := s.slack.Installer.Start(w, r, viewerOf(r).Account.Name, ws); err != nil {
		s.fail(w, r, err)
	}
}

func (s *Server) slackCallback(w http.ResponseWriter, r *http.Request) {
	p := printer(r)
	if s.slack == nil {
		s.notFound(w, r, p.T("slack.not_set_up"))
		return
	}
	in, err := s.slack.Installer.Finish(w, r, viewerOf(r).Account.Name)
	var problem *slack.InstallProblem
	if errors.As(err, &problem) {
		s.log.WarnContext(r.Context(), "slack install refused", "account", viewerOf(r).Account.Name, "err", err)
		s.renderStatus(w, r, http.StatusUnprocessableEntity, "error", map[string]any{"Title": p.T("error.not_done"), "Message": p.T("slack.problem." + problem.Reason)})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.InfoContext(r.Context(), "slack app installed", "team", in.Team, "workspace", in.Workspace, "account", viewerOf(r).Account.Name)
	http.Redirect(w, r, "/slack?notice=installed:"+url.QueryEscape(firstOf(in.TeamName, in.Team)), http.StatusSeeOther)
}

// slackLink links an installation the account sees to one of its workspaces.
func (s *Server) slackLink(w http.ResponseWriter, r *http.Request) {
	p := printer(r)
	if s.slack == nil {
		s.notFound(w, r, p.T("slack.not_set_up"))
		return
	}
	v, team, ws := viewerOf(r), r.PathValue("team"), r.PostFormValue("workspace")
	rows, _, err := s.visibleInstalls(r.Context(), v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var row *installRow
	for i := range rows {
		if rows[i].Team == team {
			row = &rows[i]
		}
	}
	switch {
	case row == nil:
		s.notFound(w, r, p.T("slack.no_team", "team", team))
		return
	case ws != "" && !v.Account.Sees(ws):
		s.notFound(w, r, p.T("error.no_workspace", "id", ws))
		return
	case row.ProfileTeam:
		s.renderStatus(w, r, http.StatusConflict, "error", map[string]any{"Title": p.T("error.not_done"), "Message": p.T("slack.by_profile", "company", row.Company)})
		return
	}
	if ws != "" {
		if rec, err := s.store.Workspace(r.Context(), ws); err == nil {
			if other, _ := rec.PlatformKeys(); other != "" && other != team {
				s.renderStatus(w, r, http.StatusConflict, "error", map[string]any{"Title": p.T("error.not_done"), "Message": p.T("slack.other_team", "company", rec.Company, "team", other)})
				return
			}
		}
	}
	if err := s.slack.Store.LinkSlackInstall(r.Context(), team, ws, s.now()); err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.InfoContext(r.Context(), "slack team linked", "team", team, "workspace", ws, "account", v.Account.Name)
	http.Redirect(w, r, "/slack?notice=linked:"+url.QueryEscape(firstOf(row.TeamName, team)), http.StatusSeeOther)
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
