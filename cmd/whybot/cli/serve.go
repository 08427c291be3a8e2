package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	goslack "github.com/slack-go/slack"
	"golang.org/x/sync/errgroup"

	"github.com/whybot/whybot/bot/chart"
	"github.com/whybot/whybot/bot/chat"
	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/bot/discord"
	"github.com/whybot/whybot/bot/jobs"
	"github.com/whybot/whybot/bot/metrics"
	"github.com/whybot/whybot/bot/ops"
	"github.com/whybot/whybot/bot/slack"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/source/pull"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/backend"
	"github.com/whybot/whybot/knowledge/store/pgstore"
	"github.com/whybot/whybot/knowledge/workspace"
)

// consoleNotifier prints reminders where the console transport prints posts.
type consoleNotifier struct{ e *env }

func (c consoleNotifier) Notify(_ context.Context, n jobs.Notice) error {
	_, err := fmt.Fprintf(c.e.stdout, "=== reminder (workspace %s, draft %s) ===\n%s\n", n.Workspace, n.DraftID, n.Text)
	return err
}

// notifiers sends a reminder through the transport of the draft's thread.
type notifiers struct {
	console consoleNotifier
	slack   *chat.Notifier
	discord *chat.Notifier
}

func (n notifiers) Notify(ctx context.Context, x jobs.Notice) error {
	var to *chat.Notifier
	switch {
	case x.Transport == store.TransportSlack && n.slack != nil:
		to = n.slack
	case x.Transport == store.TransportDiscord && n.discord != nil:
		to = n.discord
	default:
		return n.console.Notify(ctx, x)
	}
	if x.InThread {
		return to.RemindInThread(ctx, x.Workspace, x.Channel, x.Text, x.To)
	}
	return to.Remind(ctx, x.Workspace, x.Text, x.To)
}

// sourceBroke tells a workspace's reviewers that one of its sources broke, where its
// review cards go: Slack, else Discord, else the console.
func (n notifiers) sourceBroke(ctx context.Context, ws string, to []string, text string) error {
	t := store.TransportConsole
	switch {
	case n.slack != nil:
		t = store.TransportSlack
	case n.discord != nil:
		t = store.TransportDiscord
	}
	return n.Notify(ctx, jobs.Notice{Workspace: ws, Transport: t, To: to, Text: text})
}

// workspaceDirs are the folders --workspace and WHYBOT_WORKSPACES name.
func workspaceDirs(flags []string) []string {
	dirs := append([]string(nil), flags...)
	for _, d := range strings.Split(os.Getenv("WHYBOT_WORKSPACES"), string(os.PathListSeparator)) {
		if d = strings.TrimSpace(d); d != "" {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// loadDir loads a workspace folder: company.yaml and every .csv and .json data file in it
// (the layout `whybot init` writes).
func loadDir(dir string) (*workspace.Workspace, error) {
	prof := filepath.Join(dir, "company.yaml")
	if _, err := os.Stat(prof); err != nil {
		return nil, &conversation.UserError{Reason: fmt.Sprintf("workspace folder %s has no company.yaml: give folders laid out as `whybot init DIR` writes them", dir), Err: err}
	}
	var data []string
	for _, pat := range []string{"*.csv", "*.json"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			return nil, err
		}
		data = append(data, m...)
	}
	if len(data) == 0 {
		if p, err := profile.Load(prof); err == nil && len(p.Sources) > 0 {
			return nil, &pendingError{Profile: p} // its numbers all come from its sources
		} else if err != nil {
			return nil, err
		}
		return nil, &conversation.UserError{Reason: fmt.Sprintf("workspace folder %s has no KPI data file (.csv or .json) and no sources: in company.yaml", dir)}
	}
	return workspace.Load(prof, data)
}

// pendingError is a workspace folder with no data files whose numbers come from its
// sources: it is stored and pulled, and answers once its first pull is in.
type pendingError struct{ Profile *profile.Profile }

func (p *pendingError) Error() string {
	return p.Profile.Workspace + ": " + workspace.ErrNotPulled.Error()
}

// serveOps serves /healthz, /readyz and /metrics on addr, when one is set.
func (e *env) serveOps(ctx context.Context, g *errgroup.Group, grace time.Duration, addr string, health *ops.Health, met *metrics.Metrics) error {
	if addr == "" {
		return nil
	}
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", health.Handler())
	mux.Handle("GET /readyz", health.Handler())
	mux.Handle("GET /metrics", met.Handler())
	at, err := serveHTTP(ctx, g, grace, addr, "WHYBOT_OPS_LISTEN", mux)
	if err != nil {
		return err
	}
	e.log.Info("health endpoints", "addr", at.String())
	return nil
}

// platformSettings reads and checks the Slack and Discord settings; their API calls time
// out inside the lease.
func platformSettings(timing serveTiming) (slack.Config, discord.Config, error) {
	slackCfg := slack.FromEnv(os.Getenv)
	slackCfg.CallTimeout = timing.callTimeout()
	if slackCfg.Enabled() {
		if err := slackCfg.Validate(); err != nil {
			return slackCfg, discord.Config{}, &conversation.UserError{Reason: "the Slack settings are not usable:\n" + err.Error()}
		}
	}
	discordCfg := discord.FromEnv(os.Getenv)
	discordCfg.CallTimeout = timing.callTimeout()
	if discordCfg.Enabled() {
		if err := discordCfg.Validate(); err != nil {
			return slackCfg, discordCfg, &conversation.UserError{Reason: "the Discord settings are not usable:\n" + err.Error()}
		}
	}
	return slackCfg, discordCfg, nil
}

// loadDirs loads and validates every workspace folder, before anything is written. A
// folder that does not validate is set aside, named with its problems, and the others are
// served; when every folder given is set aside, serve does not start.
func (e *env) loadDirs(dirs []string) ([]*workspace.Workspace, []string, error) {
	var loaded []*workspace.Workspace
	bad := map[string]error{}
	var errs []error
	for _, d := range dirs {
		ws, err := loadDir(d)
		var pe *pendingError
		if errors.As(err, &pe) {
			e.pending = append(e.pending, pe.Profile)
			continue
		}
		if err != nil {
			bad[d] = err
			errs = append(errs, err)
			continue
		}
		loaded = append(loaded, ws)
	}
	if len(loaded) == 0 && len(e.pending) == 0 && len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	var aside []string
	for _, d := range dirs {
		if err := bad[d]; err != nil {
			fmt.Fprintf(e.stderr, "whybot: workspace folder %s is set aside until it is fixed; the others are served:\n%v\n", d, err)
			e.log.Error("workspace folder set aside", "dir", d, "err", err)
			aside = append(aside, fmt.Sprintf("folder %s is set aside until it is fixed: %v", d, err))
		}
	}
	return loaded, aside, nil
}

// storeWorkspaces indexes each workspace's knowledge and stores its KPI snapshot.
func (e *env) storeWorkspaces(s backend.DB, loaded []*workspace.Workspace) error {
	for _, p := range e.pending { // stored so that their sources are pulled; no snapshot until then
		rec, err := workspace.RecordOf(p, nil)
		if err != nil {
			return err
		}
		rec.UpdatedAt = time.Now().UTC()
		if err := s.UpsertWorkspace(e.ctx, rec); err != nil {
			return fmt.Errorf("store workspace %s: %w", rec.ID, err)
		}
		e.log.Info("workspace waits for its sources' first pull", "workspace", rec.ID)
	}
	for _, ws := range loaded {
		e.syncKnowledge(s, ws)
		rows, err := pull.Snapshot(e.ctx, s, ws) // with the sources' pulled numbers
		if err != nil {
			return fmt.Errorf("KPI snapshot of %s: %w", ws.Profile.Workspace, err)
		}
		if err := s.ReplaceKPI(e.ctx, ws.Profile.Workspace, rows, time.Now().UTC()); err != nil {
			return fmt.Errorf("store KPI snapshot of %s: %w", ws.Profile.Workspace, err)
		}
	}
	return nil
}

// serving is one run of serve: its settings, its store and what it started.
type serving struct {
	e        *env
	s        backend.DB
	pgs      *pgstore.Store // the store when it is PostgreSQL (jobs on River)
	timing   serveTiming
	slackCfg slack.Config
	// slackInstaller adds client teams from the console (SLACK_CLIENT_ID); nil otherwise
	slackInstaller *slack.Installer
	discord        discord.Config
	health         *ops.Health
	met            *metrics.Metrics
	g              *errgroup.Group
	ctx            context.Context
	opts           []conversation.Option
	notify         notifiers
	eng            *conversation.Engine
	mode           []string // what serves, for the log and the operator
	poll           time.Duration
	reload         time.Duration
	webAddr        string
	slackWork      *slack.Worker
	dside          *discordSide
	reg            *workspace.Registry // the workspaces built from the store, shared by the transports
	dbPath         string              // the embedded store's file (its secret key file is beside it)
	puller         *pull.Puller        // the sources' pulls, shared by the jobs and the console
}

func (e *env) serve(args []string) error {
	fs := newFlags("serve", e)
	db := fs.String("db", DefaultDBPath(), "database file (embedded SQLite)")
	poll := fs.Duration("poll", 2*time.Second, "how often the job worker looks for work")
	reload := fs.Duration("kpi-reload", time.Hour, "how often KPI data files are reloaded (0: never)")
	opsAddr := fs.String("ops", os.Getenv("WHYBOT_OPS_LISTEN"), "where /healthz, /readyz and /metrics answer, e.g. :9090 (also WHYBOT_OPS_LISTEN; the web console's address serves the probes too)")
	webAddr := fs.String("web", os.Getenv("WHYBOT_WEB_LISTEN"), "where the web console listens, e.g. 127.0.0.1:8080 (also WHYBOT_WEB_LISTEN; empty: no console)")
	var dirs strList
	fs.Var(&dirs, "workspace", "a workspace folder (company.yaml + KPI files) to load at start (repeatable; also WHYBOT_WORKSPACES)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	sv := &serving{e: e, poll: *poll, reload: *reload, webAddr: *webAddr, dbPath: *db}
	if sv.reload == 0 {
		sv.reload = -1
	}
	s, err := sv.open(*db, dirs)
	if err != nil {
		return err
	}
	defer s.Close()
	// on SIGTERM: not ready at once, keep working for the drain period, then stop taking
	// work and give what is in flight the grace period
	run, release := ops.Shutdown{Drain: sv.timing.Drain, Grace: sv.timing.Grace}.Run(e.ctx, sv.health)
	defer release()
	sv.g, sv.ctx = errgroup.WithContext(run)
	sv.g.Go(func() error { <-sv.ctx.Done(); sv.health.Stopping(); return nil })
	for _, step := range []func() error{
		func() error { return e.serveOps(sv.ctx, sv.g, sv.timing.Grace, *opsAddr, sv.health, sv.met) },
		sv.platforms, sv.jobs, sv.slack, sv.web, sv.discordStart,
	} {
		if err := step(); err != nil {
			return err
		}
	}
	mode := strings.Join(sv.mode, "; ")
	e.log.Info("serving", "mode", mode)
	fmt.Fprintf(e.stderr, "whybot: serving (%s); Ctrl-C to stop\n", mode)
	// start-up (workspaces validated, data sets built, knowledge synced) leaves garbage
	// behind: give its pages back now rather than when the scavenger gets to them
	debug.FreeOSMemory()
	return sv.g.Wait()
}

// open reads and checks the settings, loads and validates every workspace folder before
// anything is written, then opens the store and stores the workspaces.
func (sv *serving) open(db string, dirs []string) (backend.DB, error) {
	e := sv.e
	var err error
	if sv.timing, err = serveTimingFromEnv(os.Getenv); err != nil {
		return nil, &conversation.UserError{Reason: "the serve settings are not usable:\n" + err.Error()}
	}
	if sv.slackCfg, sv.discord, err = platformSettings(sv.timing); err != nil {
		return nil, err
	}
	loaded, aside, err := e.loadDirs(workspaceDirs(dirs))
	if err != nil {
		return nil, err
	}
	s, err := e.openStore(db)
	if err != nil {
		return nil, err
	}
	if err := e.storeWorkspaces(s, loaded); err != nil {
		s.Close()
		return nil, err
	}
	idx, err := e.servingIndex(s)
	if err != nil {
		s.Close()
		return nil, err
	}
	sv.health = ops.NewHealth()
	sv.health.Add("database", ops.SchemaCheck(s))
	sv.met = metrics.New()
	sv.met.Drafts(s)
	if e.model != nil {
		e.model = sv.met.Model(e.model)
	}
	sv.pgs, _ = s.(*pgstore.Store)
	sv.s = counted{DB: s, m: sv.met} // deliveries recorded in the inbox are counted
	sv.reg = workspace.NewRegistry(sv.s)
	sv.health.Warn("workspaces", func() []string { // listed on /readyz, which stays ready for the others
		out := slices.Clone(aside)
		for _, err := range sv.reg.SetAside() {
			out = append(out, err.Error())
		}
		return out
	})
	sv.notify = notifiers{console: consoleNotifier{e}}
	sv.opts = []conversation.Option{conversation.WithKnowledge(idx), conversation.WithLease(sv.timing.Lease), conversation.WithObserver(sv.met),
		conversation.WithPictures(chart.Pictures{Drafts: s, Workspaces: sv.reg})}
	if sv.webAddr != "" {
		sv.opts = append(sv.opts, webOptions(sv.s)...)
	}
	return s, nil
}

// platforms readies Slack and Discord: their posters and reminders, the Slack worker,
// and the Discord connection.
func (sv *serving) platforms() error {
	e, s := sv.e, sv.s
	if sv.slackCfg.Enabled() {
		if err := checkSlackWorkspaces(sv.ctx, s, sv.slackCfg); err != nil {
			return err
		}
		var api *goslack.Client
		if sv.slackCfg.BotToken != "" {
			api = slack.NewAPI(sv.slackCfg, e.log)
		}
		teams, err := sv.slackTeams(api)
		if err != nil {
			return err
		}
		sv.opts = append(sv.opts, conversation.WithPoster(store.TransportSlack, &slack.Poster{API: api, Teams: teams, Log: e.log}))
		sv.notify.slack = &chat.Notifier{Store: s, Reviews: slack.ReviewChannels(api, sv.slackCfg.ReviewChannel).WithTeams(teams)}
		sv.slackWork = &slack.Worker{Worker: chat.Worker{Store: s, ReviewChannel: sv.slackCfg.ReviewChannel, Log: e.log, Timing: sv.timing.inbox(), Workspaces: sv.reg},
			API: api, Teams: teams}
	}
	if sv.discord.Enabled() {
		var err error
		if sv.dside, err = e.openDiscord(sv.ctx, s, sv.discord, sv.timing.inbox(), sv.reg); err != nil {
			return err
		}
		sv.opts = append(sv.opts, conversation.WithPoster(store.TransportDiscord, &discord.Poster{API: sv.dside.api, Log: e.log, Self: sv.dside.self}))
		sv.notify.discord = &chat.Notifier{Store: s, Reviews: discord.ReviewChannels(sv.dside.api, sv.discord.ReviewChannel, e.log)}
	}
	return nil
}

// slackTeams is each installed team's client when the app is installed in many teams
// (SLACK_CLIENT_ID), falling back on the single token; nil for one company.
func (sv *serving) slackTeams(single *goslack.Client) (*slack.Teams, error) {
	if !sv.slackCfg.MultiTeam() {
		return nil, nil
	}
	keys, err := keyring(sv.dbPath, true)
	if err != nil {
		return nil, err
	}
	sv.slackInstaller = &slack.Installer{ClientID: sv.slackCfg.ClientID, ClientSecret: sv.slackCfg.ClientSecret, PublicURL: os.Getenv("WHYBOT_PUBLIC_URL"),
		APIURL: sv.slackCfg.APIURL, Keys: keys, Store: sv.s}
	return &slack.Teams{Store: sv.s, Keys: keys, Config: sv.slackCfg, Single: single, Log: sv.e.log}, nil
}

// jobs makes the engine and starts the jobs: on River with PostgreSQL, in-process with
// SQLite.
func (sv *serving) jobs() error {
	e, s := sv.e, sv.s
	cfg := jobs.Config{Store: s, Notifier: sv.notify, Log: e.log, Poll: sv.poll, ReloadKPIEvery: sv.reload, SweepEvery: sv.timing.Sweep, Grace: sv.timing.Grace,
		InboxRetention: sv.timing.Retention}
	puller, err := e.puller(sv.s, sv.dbPath, sv.notify.sourceBroke)
	if err != nil {
		return err
	}
	cfg.Sources, sv.puller = puller, puller
	if sv.pgs != nil {
		sv.eng = e.engine(s, append(sv.opts, conversation.WithQueuedDelivery(nil))...)
		cfg.Engine = sv.eng
		rc, err := jobs.NewRiver(jobs.New(cfg), sv.pgs.Pool())
		if err != nil {
			return err
		}
		sv.g.Go(func() error { return jobs.RunRiver(sv.ctx, rc, sv.timing.Grace) })
		sv.mode = append(sv.mode, "PostgreSQL store, jobs on River")
		return nil
	}
	var local *jobs.Local
	sv.eng = e.engine(s, append(sv.opts, conversation.WithQueuedDelivery(func() { local.Wake() }))...)
	cfg.Engine = sv.eng
	local = jobs.NewLocal(jobs.New(cfg))
	sv.g.Go(func() error { return local.Run(sv.ctx) })
	sv.mode = append(sv.mode, "SQLite store, jobs in-process")
	return nil
}

// slack starts the Slack worker and its ingress: the HTTP endpoints, or Socket Mode.
func (sv *serving) slack() error {
	w, e, cfg := sv.slackWork, sv.e, sv.slackCfg
	if w == nil {
		return nil
	}
	w.Engine = sv.eng
	sv.g.Go(func() error { return w.Run(sv.ctx, time.Second) })
	if !cfg.HTTPMode() {
		sock := slack.NewSocket(cfg, sv.s, w.Wake, e.log)
		sv.health.Add("slack", sock.Ready)
		sv.g.Go(func() error { return sock.Run(sv.ctx) })
		sv.mode = append(sv.mode, "Slack in Socket Mode")
		return nil
	}
	in := &slack.Ingress{Secret: cfg.SigningSecret, Inbox: sv.s, Wake: w.Wake, Log: e.log}
	addr, err := serveHTTP(sv.ctx, sv.g, sv.timing.Grace, cfg.Listen, "SLACK_LISTEN", in.Handler())
	if err != nil {
		return err
	}
	sv.mode = append(sv.mode, fmt.Sprintf("Slack over HTTP on %s (/slack/events, /slack/interactions, /slack/commands)", addr))
	return nil
}

// web serves the web console, with the health probes, when an address is given.
func (sv *serving) web() error {
	if sv.webAddr == "" {
		return nil
	}
	ws, err := sv.e.webSources(sv.s, sv.dbPath, sv.puller)
	if err != nil {
		return err
	}
	srv, err := sv.e.webConsole(sv.s, sv.eng, sv.reg, ws, sv.slackInstaller)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", sv.health.Handler())
	mux.Handle("GET /readyz", sv.health.Handler())
	mux.Handle("/", srv)
	addr, err := serveHTTP(sv.ctx, sv.g, sv.timing.Grace, sv.webAddr, "WHYBOT_WEB_LISTEN", mux)
	if err != nil {
		return err
	}
	sv.mode = append(sv.mode, fmt.Sprintf("web console on http://%s", addr))
	if accs, err := sv.s.Accounts(sv.ctx); err == nil && len(accs) == 0 {
		fmt.Fprintln(sv.e.stderr, "whybot: the web console has no accounts yet: create one with `whybot user add NAME --workspace ID`")
	}
	return nil
}

// discordStart starts the Discord side: the worker, and the gateway or the HTTP endpoint.
func (sv *serving) discordStart() error {
	if sv.dside == nil {
		return nil
	}
	what, err := sv.dside.start(sv.ctx, sv.g, sv.e, sv.s, sv.eng, sv.health)
	if err != nil {
		return err
	}
	sv.mode = append(sv.mode, what)
	return nil
}

// counted is the store with the deliveries it records counted, fresh or duplicate.
type counted struct {
	backend.DB
	m *metrics.Metrics
}

func (c counted) Receive(ctx context.Context, in store.Inbound) (bool, error) {
	fresh, err := c.DB.Receive(ctx, in)
	if err == nil {
		c.m.Received(in.Source, fresh)
	}
	return fresh, err
}

// checkSlackWorkspaces makes sure every workspace with a Slack team has a review channel.
func checkSlackWorkspaces(ctx context.Context, s backend.DB, cfg slack.Config) error {
	return checkWorkspaces(ctx, s, platformCheck{place: "Slack team", fallback: cfg.ReviewChannel,
		settings: func(p *profile.Profile) (string, string) { return p.Slack.Team, p.Slack.ReviewChannel },
		how:      "slack.review_channel in its company.yaml, or SLACK_REVIEW_CHANNEL",
		optional: cfg.MultiTeam(),
		none:     "Slack is configured but no workspace names a Slack team: add `slack: {team: T…, review_channel: C…}` to company.yaml and start with --workspace DIR"})
}

// platformCheck says how a chat platform is named in profiles.
type platformCheck struct {
	place, fallback, how, none string
	optional                   bool // teams are linked from the console: none named is fine
	settings                   func(p *profile.Profile) (id, reviewChannel string)
}

// checkWorkspaces makes sure some workspace uses the platform and each that does has a
// review channel, naming every one that lacks it.
func checkWorkspaces(ctx context.Context, s backend.DB, c platformCheck) error {
	all, err := s.Workspaces(ctx)
	if err != nil {
		return err
	}
	found := 0
	var errs []error
	for _, rec := range all {
		p, err := workspace.StoredProfile(rec)
		if err != nil {
			continue
		}
		id, review := c.settings(p)
		if id == "" {
			continue
		}
		found++
		if review == "" && c.fallback == "" {
			errs = append(errs, fmt.Errorf("workspace %s (%s %s) has no review channel: set %s", rec.ID, c.place, id, c.how))
		}
	}
	if found == 0 && !c.optional {
		return &conversation.UserError{Reason: c.none}
	}
	if len(errs) > 0 {
		return &conversation.UserError{Reason: errors.Join(errs...).Error()}
	}
	return nil
}
