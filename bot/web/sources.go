package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/secret"
	"github.com/whybot/whybot/knowledge/source"
	"github.com/whybot/whybot/knowledge/source/pull"
	"github.com/whybot/whybot/knowledge/store"
)

// Sources lets reviewers see each workspace's sources and connect them by OAuth: a state
// parameter and PKCE, the state and verifier kept in a sealed cookie (any replica can take
// the callback), the refresh token sealed in the store.
type Sources struct {
	Store  store.SourceStore
	Keys   *secret.Keyring
	OAuth  map[string]*oauth2.Config // google, hubspot
	Puller *pull.Puller              // "pull now"; nil hides it
	// PublicURL is where the console is reached (https://whybot.example.it): the OAuth
	// redirect is PublicURL/oauth/callback. Empty: the request's own host over https.
	PublicURL string
}

// oauthApp is the OAuth app and the scopes a kind of source is connected with.
var oauthApp = map[string]struct {
	app    string
	scopes []string
}{
	"ga4":            {"google", []string{"https://www.googleapis.com/auth/analytics.readonly"}},
	"search_console": {"google", []string{"https://www.googleapis.com/auth/webmasters.readonly"}},
	"sheets":         {"google", []string{"https://www.googleapis.com/auth/spreadsheets.readonly"}},
	"google_ads":     {"google", []string{"https://www.googleapis.com/auth/adwords"}},
	"hubspot":        {"hubspot", []string{"crm.objects.contacts.read"}},
}

const oauthCookie = "whybot_oauth"

// oauthState is what the sealed cookie carries between the redirect and the callback.
type oauthState struct {
	Workspace string    `json:"ws"`
	Source    string    `json:"source"`
	Account   string    `json:"account"`
	State     string    `json:"state"`
	Verifier  string    `json:"verifier"`
	Expires   time.Time `json:"exp"`
}

type sourceRow struct {
	profile.Source
	Connected  bool
	CanConnect bool // an OAuth app is configured for its kind
	Version    int64
	PulledAt   *time.Time
	Rows       int
	From       string
	Failing    string
	Backfill   string
	Revisions  []store.Revision
}

func (s *Server) sourcesPage(w http.ResponseWriter, r *http.Request) {
	ctx, wsID := r.Context(), r.PathValue("ws")
	_, p, err := s.profileOf(ctx, wsID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if s.sources == nil {
		s.notFound(w, r, printer(r).T("src.not_set_up"))
		return
	}
	var rows []sourceRow
	for _, d := range p.Sources {
		row := sourceRow{Source: d}
		_, row.Connected, err = s.sources.Store.Credential(ctx, wsID, d.Name)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if a, ok := oauthApp[d.Kind]; ok && s.sources.OAuth[a.app] != nil && s.sources.Keys.Has() {
			row.CanConnect = true
		}
		vs, err := s.sources.Store.SourceVersions(ctx, wsID, d.Name)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if len(vs) > 0 {
			v, _, err := s.sources.Store.LatestSource(ctx, wsID, d.Name)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			var prov source.Provenance
			_ = json.Unmarshal(v.Provenance, &prov)
			row.Version, row.PulledAt, row.Rows, row.From, row.Revisions = v.Version, &v.PulledAt, len(v.Rows), prov.Label(), v.Revisions
		}
		st, err := s.sources.Store.SourceState(ctx, wsID, d.Name)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		row.Failing, row.Backfill = st.Message, st.Backfill
		rows = append(rows, row)
	}
	s.render(w, r, "sources", map[string]any{"Title": printer(r).T("src.title", "company", p.Company), "WS": wsID, "Company": p.Company, "Sources": rows,
		"CanPull": s.sources.Puller != nil})
}

// connectSource sends the reviewer to the provider's consent page.
func (s *Server) connectSource(w http.ResponseWriter, r *http.Request) {
	ctx, wsID, name := r.Context(), r.PathValue("ws"), r.PathValue("name")
	_, p, err := s.profileOf(ctx, wsID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d, ok := p.SourceByName(name)
	if !ok || s.sources == nil {
		s.notFound(w, r, printer(r).T("src.no_source", "name", name, "id", wsID))
		return
	}
	a, ok := oauthApp[d.Kind]
	app := s.sources.OAuth[a.app]
	if !ok || app == nil || !s.sources.Keys.Has() {
		s.userError(w, r, printer(r).T("src.cli_only", "name", name, "kind", d.Kind))
		return
	}
	st := oauthState{Workspace: wsID, Source: name, Account: viewerOf(r).Account.Name, State: random(24), Verifier: oauth2.GenerateVerifier(), Expires: s.now().Add(10 * time.Minute)}
	b, _ := json.Marshal(st)
	sealed, _, err := s.sources.Keys.Seal(b, "oauth", "state")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: oauthCookie, Value: sealed, Path: "/oauth", MaxAge: 600, HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
	cfg := s.redirectConfig(r, app, a.scopes)
	http.Redirect(w, r, cfg.AuthCodeURL(st.State, oauth2.AccessTypeOffline, oauth2.ApprovalForce, oauth2.S256ChallengeOption(st.Verifier)), http.StatusSeeOther)
}

// oauthCallback takes the provider's answer: the state must match the sealed cookie's, the
// code is exchanged with the PKCE verifier, and the grant is sealed in the store.
func (s *Server) oauthCallback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if s.sources == nil {
		s.notFound(w, r, printer(r).T("src.not_set_up"))
		return
	}
	c, err := r.Cookie(oauthCookie)
	if err != nil {
		s.userError(w, r, printer(r).T("src.oauth_expired"))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: oauthCookie, Value: "", Path: "/oauth", MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
	var st oauthState
	plain, err := s.sources.Keys.Open(c.Value, "oauth", "state")
	if err != nil || json.Unmarshal(plain, &st) != nil {
		s.userError(w, r, printer(r).T("src.oauth_unchecked"))
		return
	}
	q := r.URL.Query()
	v := viewerOf(r)
	switch {
	case subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(st.State)) != 1:
		s.userError(w, r, printer(r).T("src.oauth_forged"))
		return
	case s.now().After(st.Expires):
		s.userError(w, r, printer(r).T("src.oauth_slow"))
		return
	case st.Account != v.Account.Name || !v.Account.Sees(st.Workspace):
		s.userError(w, r, printer(r).T("src.oauth_other_account"))
		return
	case q.Get("error") != "":
		s.userError(w, r, printer(r).T("src.oauth_denied", "error", clipWords(q.Get("error"))))
		return
	}
	_, p, err := s.profileOf(ctx, st.Workspace)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d, ok := p.SourceByName(st.Source)
	a := oauthApp[d.Kind]
	app := s.sources.OAuth[a.app]
	if !ok || app == nil {
		s.userError(w, r, printer(r).T("src.oauth_gone"))
		return
	}
	tok, err := s.redirectConfig(r, app, a.scopes).Exchange(ctx, q.Get("code"), oauth2.VerifierOption(st.Verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		msg := "the provider refused the code"
		if errors.As(err, &re) && re.ErrorCode != "" {
			msg += " (" + clipWords(re.ErrorCode) + ")"
		}
		s.log.WarnContext(ctx, "OAuth exchange failed", "workspace", st.Workspace, "source", st.Source, "err", msg)
		s.userError(w, r, printer(r).T("src.oauth_failed", "name", st.Source, "why", printer(r).T("src.refused_code")+strings.TrimPrefix(msg, "the provider refused the code")))
		return
	}
	if tok.RefreshToken == "" {
		s.userError(w, r, printer(r).T("src.oauth_no_refresh"))
		return
	}
	b, _ := json.Marshal(source.Credential{OAuth: tok})
	sealed, keyID, err := s.sources.Keys.Seal(b, st.Workspace, st.Source)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.sources.Store.PutCredential(ctx, store.SealedCredential{Workspace: st.Workspace, Conn: st.Source, KeyID: keyID, Sealed: sealed, UpdatedAt: s.now().UTC()}); err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.InfoContext(ctx, "source connected", "workspace", st.Workspace, "source", st.Source, "account", v.Account.Name)
	http.Redirect(w, r, "/w/"+st.Workspace+"/sources?notice=connected:"+st.Source, http.StatusSeeOther)
}

func (s *Server) disconnectSource(w http.ResponseWriter, r *http.Request) {
	wsID, name := r.PathValue("ws"), r.PathValue("name")
	if s.sources == nil {
		s.notFound(w, r, printer(r).T("src.not_set_up"))
		return
	}
	if err := s.sources.Store.DeleteCredential(r.Context(), wsID, name); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/w/"+wsID+"/sources?notice=disconnected:"+name, http.StatusSeeOther)
}

func (s *Server) pullSource(w http.ResponseWriter, r *http.Request) {
	wsID, name := r.PathValue("ws"), r.PathValue("name")
	if s.sources == nil || s.sources.Puller == nil {
		s.notFound(w, r, printer(r).T("src.no_pulls"))
		return
	}
	o, err := s.sources.Puller.Pull(r.Context(), wsID, name, pull.Options{})
	if err != nil && o.State != store.PullStopped {
		s.userError(w, r, o.Error)
		return
	}
	http.Redirect(w, r, "/w/"+wsID+"/sources?notice=pulled:"+name, http.StatusSeeOther)
}

// redirectConfig is the app with the console's callback address and the kind's scopes.
func (s *Server) redirectConfig(r *http.Request, app *oauth2.Config, scopes []string) *oauth2.Config {
	c := *app
	base := strings.TrimRight(s.sources.PublicURL, "/")
	if base == "" {
		base = "https://" + r.Host
	}
	c.RedirectURL, c.Scopes = base+"/oauth/callback", scopes
	return &c
}

func (s *Server) userError(w http.ResponseWriter, r *http.Request, msg string) {
	s.renderStatus(w, r, http.StatusBadRequest, "error", map[string]any{"Title": printer(r).T("error.not_done"), "Message": msg})
}

func random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func clipWords(s string) string {
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return s
}

// pulledLine is where the numbers of a draft pulled from a source came from.
type pulledLine struct {
	Source, From string
	Version      int64
}

// pulledFrom lists the provenance of every source a draft's evidence names: API and
// version, endpoint, when it was pulled, time zone, attribution.
func (s *Server) pulledFrom(ctx context.Context, ws string, ev record.Evidence) []pulledLine {
	if s.sources == nil {
		return nil
	}
	seen := map[string]bool{}
	var names []string
	note := func(src string) { // "source:NAME", or "source:NAME:LINE" in a direct answer's evidence
		name, ok := kpi.PulledFrom(src)
		if i := strings.IndexByte(name, ':'); i > 0 {
			name = name[:i]
		}
		if ok && !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	for _, o := range ev.Observed {
		note(o.Source)
	}
	for _, f := range ev.Findings {
		for _, d := range f.Evidence {
			note(d.Source)
		}
	}
	var out []pulledLine
	for _, n := range names {
		v, ok, err := s.sources.Store.LatestSource(ctx, ws, n)
		if err != nil || !ok {
			continue
		}
		var prov source.Provenance
		_ = json.Unmarshal(v.Provenance, &prov)
		out = append(out, pulledLine{Source: n, From: prov.Label(), Version: v.Version})
	}
	return out
}
