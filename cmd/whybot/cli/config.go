package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/whybot/whybot/bot/discord"
	"github.com/whybot/whybot/bot/slack"
	"github.com/whybot/whybot/knowledge/retrieval"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/backend"
	"github.com/whybot/whybot/knowledge/workspace"
)

// configCmd is `whybot config check|table`.
func (e *env) configCmd(args []string) error {
	fs := newFlags("config", e)
	db := fs.String("db", DefaultDBPath(), "database file (embedded SQLite)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || (pos[0] != "check" && pos[0] != "table") {
		return usagef("config needs check or table")
	}
	if pos[0] == "table" {
		fmt.Fprint(e.stdout, settingsTable())
		return nil
	}
	failed := 0
	report := func(what string, err error, ok string) {
		if err != nil {
			failed++
			fmt.Fprintf(e.stdout, "FAIL  %s: %v\n", what, err)
			return
		}
		fmt.Fprintf(e.stdout, "ok    %s: %s\n", what, ok)
	}
	// the log and LLM settings were validated before any command ran
	report("logging", nil, fmt.Sprintf("format %s, level %s", firstOr(os.Getenv("WHYBOT_LOG_FORMAT"), "text"), firstOr(os.Getenv("WHYBOT_LOG_LEVEL"), "warn")))
	llmWhat := "none: the parser reads and the rules write"
	if e.model != nil {
		llmWhat = os.Getenv("WHYBOT_LLM") + " " + os.Getenv("WHYBOT_LLM_MODEL")
	}
	report("language model", nil, llmWhat)
	_, err = serveTimingFromEnv(os.Getenv)
	report("shutdown, lease and sweep", err, "valid")
	emb, err := retrieval.FromEnv(os.Getenv)
	embWhat := ""
	if err == nil {
		embWhat = fmt.Sprintf("%s (%d dimensions)", emb.Model().Name, emb.Model().Dim)
	}
	report("embedder", err, embWhat)
	budget, err := retrieval.MemoryFromEnv(os.Getenv)
	report("knowledge memory", err, fmt.Sprintf("%d MB for the search graphs", budget>>20))
	for _, name := range []string{"WHYBOT_WEB_LISTEN", "WHYBOT_OPS_LISTEN", "SLACK_LISTEN", "DISCORD_LISTEN"} {
		if v := os.Getenv(name); v != "" {
			_, _, err := net.SplitHostPort(v)
			if err != nil {
				err = fmt.Errorf("%s=%q is not an address: use HOST:PORT or :PORT, e.g. :8080", name, v)
			}
			report(name, err, v)
		}
	}
	if c := slack.FromEnv(os.Getenv); c.Enabled() {
		mode := "Socket Mode"
		if c.HTTPMode() {
			mode = "HTTP mode on " + c.Listen
		}
		report("Slack", c.Validate(), mode+" (tokens checked by shape; start-up checks them with Slack)")
	}
	if c := discord.FromEnv(os.Getenv); c.Enabled() {
		report("Discord", c.Validate(), "settings complete (start-up checks the token with Discord)")
	}
	report("sources", sourceSettings(*db), sourcesWhat(*db))
	for _, d := range workspaceDirs(nil) {
		ws, err := loadDir(d)
		what := ""
		var pe *pendingError
		switch {
		case errors.As(err, &pe):
			what, err = fmt.Sprintf("%s (%s), no data file: waits for its sources' first pull", pe.Profile.Workspace, pe.Profile.Company), nil
		case err == nil:
			what = fmt.Sprintf("%s (%s), %d KPI rows", ws.Profile.Workspace, ws.Profile.Company, len(ws.KPIRows()))
		}
		report("workspace "+d, err, what)
	}
	ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
	defer cancel()
	dbErr := checkDatabase(ctx, *db)
	report("database", dbErr, describeDatabase(*db))
	if dbErr == nil {
		e.checkStoredWorkspaces(ctx, *db, report)
	}
	if failed > 0 {
		return refusedError{fmt.Sprintf("%d setting(s) to fix, listed above", failed)}
	}
	fmt.Fprintln(e.stdout, "the configuration is usable")
	return nil
}

// sourceSettings checks the settings the source pulls need: the secret key (one every
// replica shares on PostgreSQL), the OAuth app pairs and the platforms' addresses.
func sourceSettings(db string) error {
	if _, err := keyring(db, false); err != nil {
		return err
	}
	_, _, err := sourceEnv(os.Getenv)
	return err
}

func sourcesWhat(db string) string {
	keys, err := keyring(db, false)
	if err != nil {
		return ""
	}
	env, dev, _ := sourceEnv(os.Getenv)
	var apps []string
	for _, a := range []string{"google", "hubspot"} {
		if env.OAuth[a] != nil {
			apps = append(apps, a)
		}
	}
	what := "no secret key yet: connecting a source makes one beside the database"
	if os.Getenv("DATABASE_URL") != "" {
		what = "no secret key: set WHYBOT_SECRET_KEY (the same on every replica) before connecting a source"
	}
	if keys.Has() {
		what = "secret key " + keys.Current()
	}
	what += "; OAuth apps: " + orNone(apps)
	if dev != "" {
		what += "; a Google Ads developer token"
	}
	return what
}

// checkStoredWorkspaces builds every stored workspace as serve would, and reports any that
// no longer validates (serve sets it aside and keeps the others working).
func (e *env) checkStoredWorkspaces(ctx context.Context, path string, report func(string, error, string)) {
	url := os.Getenv("DATABASE_URL")
	if url == "" {
		if _, err := os.Stat(path); err != nil {
			return // no embedded file yet: nothing stored
		}
	}
	s, err := backend.Open(ctx, url, path)
	if err != nil {
		return // reported with the database
	}
	defer s.Close()
	if st, err := s.SchemaStatus(ctx); err != nil || st.Current != st.Latest {
		return // serve migrates the embedded file first; PostgreSQL was reported
	}
	wss, err := s.Workspaces(ctx)
	if err != nil {
		report("stored workspaces", err, "")
		return
	}
	reg := workspace.NewRegistry(s)
	for _, w := range wss {
		ws, err := reg.Find(ctx, store.WorkspaceKey{ID: w.ID})
		what := ""
		if err == nil && ws != nil {
			what = fmt.Sprintf("%s, %d KPI rows", ws.Profile.Company, len(ws.KPIRows()))
		}
		report("stored workspace "+w.ID, err, what)
	}
}

func describeDatabase(path string) string {
	if os.Getenv("DATABASE_URL") != "" {
		return "PostgreSQL reachable, schema current"
	}
	return "embedded SQLite at " + path + " (created and migrated on first use)"
}

// checkDatabase opens the configured database without migrating it and checks its schema.
func checkDatabase(ctx context.Context, path string) error {
	url := os.Getenv("DATABASE_URL")
	if url == "" {
		return nil // the embedded file is created on first use
	}
	s, err := backend.Open(ctx, url, path)
	if err != nil {
		return err
	}
	defer s.Close()
	st, err := s.SchemaStatus(ctx)
	if err != nil {
		return err
	}
	return st.Check()
}

func firstOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// healthCmd is `whybot health [--url URL]`: the container's HEALTHCHECK, for images with
// no shell or curl. It asks the ops address's /readyz and exits 0 when ready.
func (e *env) healthCmd(args []string) error {
	fs := newFlags("health", e)
	def := "http://127.0.0.1:9090/readyz"
	if v := os.Getenv("WHYBOT_OPS_LISTEN"); v != "" {
		if _, port, err := net.SplitHostPort(v); err == nil {
			def = "http://127.0.0.1:" + port + "/readyz"
		}
	}
	u := fs.String("url", def, "the readiness URL (default: /readyz on WHYBOT_OPS_LISTEN's port)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(e.ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *u, nil)
	if err != nil {
		return usagef("--url %q: %v", *u, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("not healthy: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("not ready (%s): %s", resp.Status, strings.TrimSpace(string(body)))
	}
	fmt.Fprintln(e.stdout, "ready")
	return nil
}
