package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/whybot/whybot/bot/chat"
	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/bot/discord"
	"github.com/whybot/whybot/bot/jobs"
	"github.com/whybot/whybot/bot/metrics"
	"github.com/whybot/whybot/bot/ops"
	"github.com/whybot/whybot/bot/slack"
	"github.com/whybot/whybot/knowledge/profile"
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
	if x.Transport == store.TransportSlack && n.slack != nil {
		return n.slack.Remind(ctx, x.Workspace, x.Text, x.To)
	}
	if x.Transport == store.TransportDiscord && n.discord != nil {
		return n.discord.Remind(ctx, x.Workspace, x.Text, x.To)
	}
	return n.console.Notify(ctx, x)
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
		return nil, &conversation.UserError{Reason: fmt.Sprintf("workspace folder %s has no KPI data file (.csv or .json)", dir)}
	}
	return workspace.Load(prof, data)
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

// loadDirs loads and validates every workspace folder, before anything is written.
func loadDirs(dirs []string) ([]*workspace.Workspace, error) {
	var loaded []*workspace.Workspace
	for _, d := range dirs {
		ws, err := loadDir(d)
		if err != nil {
			return nil, err
		}
		loaded = append(loaded, ws)
	}
	return loaded, nil
}

// storeWorkspaces indexes each workspace's knowledge and stores its KPI snapshot.
func (e *env) storeWorkspaces(s backend.DB, loaded []*workspace.Workspace) error {
	for _, ws := range loaded {
		e.syncKnowledge(s, ws)
		if err := s.ReplaceKPI(e.ctx, ws.Profile.Workspace, ws.KPIRows(), time.Now().UTC()); err != nil {
			return fmt.Errorf("store KPI snapshot of %s: %w", ws.Profile.Workspace, err)
		}
	}
	return nil
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
	timing, err := serveTimingFromEnv(os.Getenv)
	if err != nil {
		return &conversation.UserError{Reason: "the serve settings are not usable:\n" + err.Error()}
	}
	slackCfg, discordCfg, err := platformSettings(timing)
	if err != nil {
		return err
	}
	// every workspace is loaded and validated before anything is written
	loaded, err := loadDirs(workspaceDirs(dirs))
	if err != nil {
		return err
	}
	s, err := e.openStore(*db)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := e.storeWorkspaces(s, loaded); err != nil {
		return err
	}
	idx, err := e.index(s)
	if err != nil {
		return err
	}
	if *reload == 0 {
		*reload = -1
	}
	health := ops.NewHealth()
	health.Add("database", ops.SchemaCheck(s))
	met := metrics.New()
	met.Drafts(s)
	if e.model != nil {
		e.model = met.Model(e.model)
	}
	pgs, _ := s.(*pgstore.Store)
	s = counted{DB: s, m: met} // deliveries recorded in the inbox are counted
	// on SIGTERM: not ready at once, keep working for the drain period, then stop taking
	// work and give what is in flight the grace period
	run, release := ops.Shutdown{Drain: timing.Drain, Grace: timing.Grace}.Run(e.ctx, health)
	defer release()
	g, ctx := errgroup.WithContext(run)
	g.Go(func() error { <-ctx.Done(); health.Stopping(); return nil })
	if err := e.serveOps(ctx, g, timing.Grace, *opsAddr, health, met); err != nil {
		return err
	}
	notify := notifiers{console: consoleNotifier{e}}
	opts := []conversation.Option{conversation.WithKnowledge(idx), conversation.WithLease(timing.Lease), conversation.WithObserver(met)}
	if *webAddr != "" {
		opts = append(opts, webOptions(s)...)
	}
	var worker *slack.Worker
	if slackCfg.Enabled() {
		if err := checkSlackWorkspaces(ctx, s, slackCfg); err != nil {
			return err
		}
		api := slack.NewAPI(slackCfg, e.log)
		opts = append(opts, conversation.WithPoster(store.TransportSlack, &slack.Poster{API: api, Log: e.log}))
		notify.slack = &chat.Notifier{Store: s, Reviews: slack.ReviewChannels(api, slackCfg.ReviewChannel)}
		worker = &slack.Worker{Worker: chat.Worker{Store: s, ReviewChannel: slackCfg.ReviewChannel, Log: e.log, Timing: timing.inbox()}, API: api}
	}
	var dside *discordSide
	if discordCfg.Enabled() {
		if dside, err = e.openDiscord(ctx, s, discordCfg, timing.inbox()); err != nil {
			return err
		}
		opts = append(opts, conversation.WithPoster(store.TransportDiscord, &discord.Poster{API: dside.api, Log: e.log, Self: dside.self}))
		notify.discord = &chat.Notifier{Store: s, Reviews: discord.ReviewChannels(dside.api, discordCfg.ReviewChannel, e.log)}
	}
	cfg := jobs.Config{Store: s, Notifier: notify, Log: e.log, Poll: *poll, ReloadKPIEvery: *reload, SweepEvery: timing.Sweep, Grace: timing.Grace}
	mode := "SQLite store, jobs in-process"
	var eng *conversation.Engine
	if pgs != nil {
		eng = e.engine(s, append(opts, conversation.WithQueuedDelivery(nil))...)
		cfg.Engine = eng
		rc, err := jobs.NewRiver(jobs.New(cfg), pgs.Pool())
		if err != nil {
			return err
		}
		g.Go(func() error { return jobs.RunRiver(ctx, rc, timing.Grace) })
		mode = "PostgreSQL store, jobs on River"
	} else {
		var local *jobs.Local
		eng = e.engine(s, append(opts, conversation.WithQueuedDelivery(func() { local.Wake() }))...)
		cfg.Engine = eng
		local = jobs.NewLocal(jobs.New(cfg))
		g.Go(func() error { return local.Run(ctx) })
	}
	if worker != nil {
		worker.Engine = eng
		g.Go(func() error { return worker.Run(ctx, time.Second) })
		if slackCfg.HTTPMode() {
			in := &slack.Ingress{Secret: slackCfg.SigningSecret, Inbox: s, Wake: worker.Wake, Log: e.log}
			addr, err := serveHTTP(ctx, g, timing.Grace, slackCfg.Listen, "SLACK_LISTEN", in.Handler())
			if err != nil {
				return err
			}
			mode += fmt.Sprintf("; Slack over HTTP on %s (/slack/events, /slack/interactions, /slack/commands)", addr)
		} else {
			sock := slack.NewSocket(slackCfg, s, worker.Wake, e.log)
			health.Add("slack", sock.Ready)
			g.Go(func() error { return sock.Run(ctx) })
			mode += "; Slack in Socket Mode"
		}
	}
	if *webAddr != "" {
		srv, err := e.webConsole(s, eng)
		if err != nil {
			return err
		}
		mux := http.NewServeMux()
		mux.Handle("GET /healthz", health.Handler())
		mux.Handle("GET /readyz", health.Handler())
		mux.Handle("/", srv)
		addr, err := serveHTTP(ctx, g, timing.Grace, *webAddr, "WHYBOT_WEB_LISTEN", mux)
		if err != nil {
			return err
		}
		mode += fmt.Sprintf("; web console on http://%s", addr)
		if accs, err := s.Accounts(ctx); err == nil && len(accs) == 0 {
			fmt.Fprintln(e.stderr, "whybot: the web console has no accounts yet: create one with `whybot user add NAME --workspace ID`")
		}
	}
	if dside != nil {
		what, err := dside.start(ctx, g, e, s, eng, health)
		if err != nil {
			return err
		}
		mode += "; " + what
	}
	e.log.Info("serving", "mode", mode)
	fmt.Fprintf(e.stderr, "whybot: serving (%s); Ctrl-C to stop\n", mode)
	return g.Wait()
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
		none:     "Slack is configured but no workspace names a Slack team: add `slack: {team: T…, review_channel: C…}` to company.yaml and start with --workspace DIR"})
}

// platformCheck says how a chat platform is named in profiles.
type platformCheck struct {
	place, fallback, how, none string
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
	if found == 0 {
		return &conversation.UserError{Reason: c.none}
	}
	if len(errs) > 0 {
		return &conversation.UserError{Reason: errors.Join(errs...).Error()}
	}
	return nil
}
