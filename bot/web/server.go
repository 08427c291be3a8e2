// Package web is whybot's web console: the review inbox across the workspaces an account
// is granted, each draft with its evidence and the approve / edit / reject actions (through
// the same engine as Slack and Discord), the audit trail of a thread, a browser chat (the
// console transport in a page) and a workspace's profile and KPIs.
//
// Pages are html/template, embedded; the small script only adds keyboard shortcuts, and
// every action works without it. Sign-in uses local accounts (`whybot user add`): argon2id
// hashes, a session cookie (Secure, HttpOnly, SameSite=Lax) whose token the store keeps
// only as a hash, a CSRF token on every form that changes anything, and a lock-out after
// repeated failed logins.
package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/bot/web/auth"
	"github.com/whybot/whybot/bot/web/locale"
	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/workspace"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Store is what the console reads and where it keeps sessions.
type Store interface {
	Account(ctx context.Context, name string) (store.Account, error)
	CreateSession(ctx context.Context, s store.Session) error
	Session(ctx context.Context, id string, now time.Time) (store.Session, error)
	DeleteSession(ctx context.Context, id string) error
	RecordLogin(ctx context.Context, account string, ok bool, at time.Time) error
	LoginFailures(ctx context.Context, account string, since time.Time) (int, error)

	Workspaces(ctx context.Context) ([]store.Workspace, error)
	Workspace(ctx context.Context, id string) (store.Workspace, error)
	Drafts(ctx context.Context, workspace string, states ...store.DraftState) ([]store.Draft, error)
	ListDrafts(ctx context.Context, q store.DraftQuery) ([]store.ListedDraft, error)
	Draft(ctx context.Context, workspace, id string) (store.Draft, error)
	Thread(ctx context.Context, workspace, id string) (store.Thread, error)
	Events(ctx context.Context, workspace, threadID string) ([]store.Event, error)
	Facts(ctx context.Context, workspace, threadID string) ([]store.Fact, error)
	KPI(ctx context.Context, workspace string) ([]kpi.Row, time.Time, error)
	WorkspaceStamp(ctx context.Context, key store.WorkspaceKey) (store.WorkspaceStamp, error)
	SetAccountLanguage(ctx context.Context, name, lang string, at time.Time) error
	ChatPeople(ctx context.Context, workspace string) ([]store.ChatPerson, error)
	ChatPeopleLog(ctx context.Context, workspace string) ([]store.PersonChange, error)
}

// Lock-out: this many failed logins for an account within the window lock it until the
// window has passed.
const (
	LockoutFailures = 5
	LockoutWindow   = 15 * time.Minute
)

// MaxForm bounds a request body: the largest form is a draft's edited text.
const MaxForm = 256 << 10

// Server is the web console.
type Server struct {
	store      Store
	engine     *conversation.Engine
	log        *slog.Logger
	now        func() time.Time
	sessionTTL time.Duration
	pages      map[string]map[string]*template.Template // language → page
	mux        *http.ServeMux
	ipLimit    *limiter
	workspaces *workspace.Registry
	sources    *Sources
	slack      *SlackApp
}

// Config configures a Server.
type Config struct {
	Store      Store
	Engine     *conversation.Engine // with WithAccounts(store) so accounts may review
	Workspaces *workspace.Registry  // the workspaces built from the store, shared with the chat platforms; made when nil
	Log        *slog.Logger
	Now        func() time.Time // default time.Now
	SessionTTL time.Duration    // default 12h
	Sources    *Sources         // the workspaces' sources and their OAuth connections; nil: none
	Slack      *SlackApp        // the Slack app installed in many teams; nil: one token or none
}

// New builds the console.
func New(c Config) (*Server, error) {
	s := &Server{store: c.Store, engine: c.Engine, log: c.Log, now: c.Now, sessionTTL: c.SessionTTL,
		pages: map[string]map[string]*template.Template{}, mux: http.NewServeMux(), ipLimit: newLimiter(20, time.Minute), workspaces: c.Workspaces, sources: c.Sources, slack: c.Slack}
	if s.workspaces == nil {
		s.workspaces = workspace.NewRegistry(c.Store)
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.sessionTTL == 0 {
		s.sessionTTL = 12 * time.Hour
	}
	if err := s.parse(); err != nil {
		return nil, err
	}
	s.routes()
	return s, nil
}

func (s *Server) parse() error {
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return err
	}
	for _, lang := range locale.Languages {
		s.pages[lang] = map[string]*template.Template{}
		for _, n := range names {
			base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
			if base == "layout" || base == "lines" {
				continue
			}
			t, err := template.New(base).Funcs(funcsFor(lang)).ParseFS(templateFiles, "templates/layout.html", "templates/lines.html", n)
			if err != nil {
				return fmt.Errorf("parse page %s: %w", base, err)
			}
			s.pages[lang][base] = t
		}
	}
	return nil
}

func (s *Server) routes() {
	static, _ := fs.Sub(staticFiles, "static")
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	s.mux.HandleFunc("GET /login", s.loginPage)
	s.mux.HandleFunc("POST /login", s.login)
	s.mux.HandleFunc("POST /logout", s.signedIn(s.logout))
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/inbox", http.StatusSeeOther) })
	s.mux.HandleFunc("GET /inbox", s.signedIn(s.inbox))
	s.mux.HandleFunc("GET /w/{ws}", s.granted(s.workspacePage))
	s.mux.HandleFunc("GET /w/{ws}/drafts/{id}", s.granted(s.draftPage))
	s.mux.HandleFunc("POST /w/{ws}/drafts/{id}/approve", s.granted(s.approve))
	s.mux.HandleFunc("POST /w/{ws}/drafts/{id}/edit", s.granted(s.editPreview))
	s.mux.HandleFunc("POST /w/{ws}/drafts/{id}/reject", s.granted(s.reject))
	s.mux.HandleFunc("GET /w/{ws}/drafts/{id}/chart.png", s.granted(s.draftChartPNG))
	s.mux.HandleFunc("GET /w/{ws}/kpis/{metric}/chart.png", s.granted(s.metricChartPNG))
	s.mux.HandleFunc("GET /w/{ws}/threads/{id}", s.granted(s.threadPage))
	s.mux.HandleFunc("GET /w/{ws}/threads/{id}/audit.json", s.granted(s.auditJSON))
	s.mux.HandleFunc("GET /w/{ws}/sources", s.granted(s.sourcesPage))
	s.mux.HandleFunc("GET /w/{ws}/sources/{name}/connect", s.granted(s.connectSource))
	s.mux.HandleFunc("POST /w/{ws}/sources/{name}/disconnect", s.granted(s.disconnectSource))
	s.mux.HandleFunc("POST /w/{ws}/sources/{name}/pull", s.granted(s.pullSource))
	s.mux.HandleFunc("GET /oauth/callback", s.signedIn(s.oauthCallback))
	s.mux.HandleFunc("POST /account/language", s.signedIn(s.setLanguage))
	s.mux.HandleFunc("GET /slack", s.signedIn(s.slackPage))
	s.mux.HandleFunc("GET /slack/install", s.signedIn(s.slackInstall))
	s.mux.HandleFunc("GET /slack/oauth/callback", s.signedIn(s.slackCallback))
	s.mux.HandleFunc("POST /slack/teams/{team}/link", s.signedIn(s.slackLink))
	s.mux.HandleFunc("GET /w/{ws}/chat", s.granted(s.chatPage))
	s.mux.HandleFunc("POST /w/{ws}/chat", s.granted(s.chatPost))
}

// ServeHTTP serves the console with its security headers.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	if r.Method == http.MethodPost && !sameOrigin(r) {
		http.Error(w, printer(r).T("error.cross_site"), http.StatusForbidden)
		return
	}
	if r.ContentLength > MaxForm {
		http.Error(w, printer(r).T("error.too_large"), http.StatusRequestEntityTooLarge)
		return
	}
	if r.Body != nil {
		// a form is a message or a draft's text: far below this; a larger body fails to parse
		r.Body = http.MaxBytesReader(w, r.Body, MaxForm)
	}
	s.mux.ServeHTTP(w, r)
}

// sameOrigin refuses a POST whose Origin (or, failing that, Referer) names another host;
// the CSRF token is the main defence, this one costs nothing.
func sameOrigin(r *http.Request) bool {
	for _, h := range []string{r.Header.Get("Origin"), r.Header.Get("Referer")} {
		if h == "" || h == "null" {
			continue
		}
		u := h
		if i := strings.Index(u, "://"); i >= 0 {
			u = u[i+3:]
		}
		if i := strings.IndexAny(u, "/?#"); i >= 0 {
			u = u[:i]
		}
		return strings.EqualFold(u, r.Host)
	}
	return true
}

// sessions

const sessionCookie = "whybot_session"
const loginCookie = "whybot_login"

type viewer struct {
	Account store.Account
	Session store.Session
}

type ctxKey struct{}

func (s *Server) current(r *http.Request) (*viewer, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, store.ErrNotFound
	}
	se, err := s.store.Session(r.Context(), auth.SessionID(c.Value), s.now())
	if err != nil {
		return nil, err
	}
	acc, err := s.store.Account(r.Context(), se.Account)
	if err != nil {
		return nil, err
	}
	return &viewer{Account: acc, Session: se}, nil
}

// signedIn runs h for a signed-in account, after checking the CSRF token of a POST;
// others go to the sign-in page.
func (s *Server) signedIn(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := s.current(r)
		if errors.Is(err, store.ErrNotFound) {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/login?next="+urlQuery(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			http.Error(w, printer(r).T("error.session_ended"), http.StatusUnauthorized)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if r.Method == http.MethodPost && !auth.Equal(r.PostFormValue("csrf"), v.Session.CSRF) {
			http.Error(w, printer(r).T("error.form_expired"), http.StatusForbidden)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, v)))
	}
}

// granted is signedIn for pages of one workspace: an account that is not granted it gets
// the same 404 as for a workspace that does not exist.
func (s *Server) granted(h http.HandlerFunc) http.HandlerFunc {
	return s.signedIn(func(w http.ResponseWriter, r *http.Request) {
		if !viewerOf(r).Account.Sees(r.PathValue("ws")) {
			s.notFound(w, r, printer(r).T("error.no_workspace", "id", r.PathValue("ws")))
			return
		}
		h(w, r)
	})
}

func viewerOf(r *http.Request) *viewer { return r.Context().Value(ctxKey{}).(*viewer) }

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.renderLogin(w, r, http.StatusOK, "")
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, problem string) {
	tok := auth.NewToken()
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: tok, Path: "/login", HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	s.renderStatus(w, r, status, "login", map[string]any{"CSRF": tok, "Next": safeNext(r.FormValue("next")), "Problem": problem, "Name": r.PostFormValue("name")})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c, err := r.Cookie(loginCookie)
	if err != nil || !auth.Equal(r.PostFormValue("csrf"), c.Value) {
		s.renderLogin(w, r, http.StatusForbidden, printer(r).T("login.expired"))
		return
	}
	if !s.ipLimit.allow(clientIP(r), s.now()) {
		s.renderLogin(w, r, http.StatusTooManyRequests, printer(r).T("login.too_many_ip"))
		return
	}
	name := strings.ToLower(strings.TrimSpace(r.PostFormValue("name")))
	now := s.now()
	failures, err := s.store.LoginFailures(ctx, name, now.Add(-LockoutWindow))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if failures >= LockoutFailures {
		s.log.WarnContext(ctx, "web sign-in refused: locked out", "account", name)
		s.renderLogin(w, r, http.StatusTooManyRequests, printer(r).T("login.locked", "minutes", int(LockoutWindow.Minutes())))
		return
	}
	acc, err := s.store.Account(ctx, name)
	ok := false
	if err == nil {
		ok, err = auth.Verify(acc.PasswordHash, r.PostFormValue("password"))
	} else if errors.Is(err, store.ErrNotFound) {
		_, _ = auth.Verify(dummyHash, r.PostFormValue("password")) // the same time for unknown names
		err = nil
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.store.RecordLogin(ctx, name, ok, now); err != nil {
		s.fail(w, r, err)
		return
	}
	if !ok {
		s.log.InfoContext(ctx, "web sign-in failed", "account", name)
		s.renderLogin(w, r, http.StatusUnauthorized, printer(r).T("login.wrong"))
		return
	}
	tok := auth.NewToken()
	se := store.Session{ID: auth.SessionID(tok), Account: acc.Name, CSRF: auth.NewToken(), CreatedAt: now, ExpiresAt: now.Add(s.sessionTTL)}
	if err := s.store.CreateSession(ctx, se); err != nil {
		s.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: tok, Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode, Expires: se.ExpiresAt})
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Path: "/login", MaxAge: -1})
	s.log.InfoContext(ctx, "web sign-in", "account", acc.Name)
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if err := s.store.DeleteSession(r.Context(), viewerOf(r).Session.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Path: "/", MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// dummyHash is verified against for unknown account names, so their answer takes as long.
var dummyHash = func() string {
	h, _ := auth.Hash("not-a-real-password-0000")
	return h
}()

// safeNext keeps redirects after sign-in on this site.
// safeNext is where a sign-in goes on: next when it is a path of this site, else the
// inbox. A path starts with one slash, has no second slash or backslash right after it, no
// control character or space anywhere (browsers drop a tab or a newline, so "/\t/evil"
// would be "//evil", another origin), and parses to a path with no scheme or host.
func safeNext(next string) string {
	const home = "/inbox"
	if len(next) < 1 || len(next) > 2048 || next[0] != '/' || (len(next) > 1 && (next[1] == '/' || next[1] == '\\')) {
		return home
	}
	for _, r := range next {
		if r < 0x21 || r == 0x7f || r == '\\' || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return home
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || strings.HasPrefix(u.Path, "//") {
		return home
	}
	return next
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limiter allows n attempts per key in a sliding window (per replica; the account
// lock-out in the store is the shared limit).
type limiter struct {
	mu     sync.Mutex
	n      int
	window time.Duration
	seen   map[string][]time.Time
}

func newLimiter(n int, window time.Duration) *limiter {
	return &limiter{n: n, window: window, seen: map[string][]time.Time{}}
}

func (l *limiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	recent := l.seen[key][:0]
	for _, t := range l.seen[key] {
		if now.Sub(t) < l.window {
			recent = append(recent, t)
		}
	}
	if len(recent) >= l.n {
		l.seen[key] = recent
		return false
	}
	l.seen[key] = append(recent, now)
	if len(l.seen) > 10000 { // forget idle addresses
		for k, ts := range l.seen {
			if len(ts) == 0 || now.Sub(ts[len(ts)-1]) >= l.window {
				delete(l.seen, k)
			}
		}
	}
	return true
}

// rendering and errors

func (s *Server) render(w http.ResponseWriter, r *http.Request, page string, data map[string]any) {
	s.renderStatus(w, r, http.StatusOK, page, data)
}

// renderStatus renders a page with its language's words, whole, then sends it with status.
func (s *Server) renderStatus(w http.ResponseWriter, r *http.Request, status int, page string, data map[string]any) {
	p := printer(r)
	t, ok := s.pages[p.Lang][page]
	if !ok {
		s.log.ErrorContext(r.Context(), "render page", "page", page, "err", "no such page")
		http.Error(w, p.T("error.failed"), http.StatusInternalServerError)
		return
	}
	if data == nil {
		data = map[string]any{}
	}
	data["Lang"], data["Languages"], data["Here"] = p.Lang, languages, r.URL.RequestURI()
	data["SlackTeams"] = s.slack != nil
	if n := noticeOf(p, r.URL.Query().Get("notice")); n != "" && data["Notice"] == nil {
		data["Notice"] = n
	}
	if v, ok := r.Context().Value(ctxKey{}).(*viewer); ok {
		data["Viewer"] = v.Account.Name
		data["CSRF"] = v.Session.CSRF
	}
	// the whole page first: a page that fails half-way is an error, not half a page
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		s.log.ErrorContext(r.Context(), "render page", "page", page, "err", err)
		http.Error(w, p.T("error.failed"), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", p.Lang)
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// noticeOf words a notice a redirect carries ("approved:D12"): only the catalogue's own
// notices, with the argument as plain text; anything else shows nothing.
func noticeOf(p locale.Printer, q string) string {
	key, arg, _ := strings.Cut(q, ":")
	if key == "" || !locale.Has(p.Lang, "notice."+key) {
		return ""
	}
	if len(arg) > 80 {
		arg = arg[:80]
	}
	return p.T("notice."+key, "name", arg)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request, msg string) {
	s.renderStatus(w, r, http.StatusNotFound, "error", map[string]any{"Title": printer(r).T("error.not_found"), "Message": msg})
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	p := printer(r)
	var ue *conversation.UserError
	if errors.As(err, &ue) {
		s.renderStatus(w, r, http.StatusUnprocessableEntity, "error", map[string]any{"Title": p.T("error.not_done"), "Message": ue.Reason})
		return
	}
	if errors.Is(err, store.ErrNotFound) {
		s.notFound(w, r, p.T("error.not_found_text"))
		return
	}
	s.log.ErrorContext(r.Context(), "web request failed", "path", r.URL.Path, "err", err)
	s.renderStatus(w, r, http.StatusInternalServerError, "error", map[string]any{"Title": p.T("error.went_wrong"), "Message": p.T("error.failed")})
}
