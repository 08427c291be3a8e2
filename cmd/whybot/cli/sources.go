package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/whybot/whybot/bot/conversation"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"

	"github.com/whybot/whybot/bot/slack"
	"github.com/whybot/whybot/knowledge/limits"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/secret"
	"github.com/whybot/whybot/knowledge/source"
	"github.com/whybot/whybot/knowledge/source/pull"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/backend"
	"github.com/whybot/whybot/knowledge/workspace"
)

// keyring is the secret key the credentials are sealed with: WHYBOT_SECRET_KEY, else the
// key file; with the embedded store, a key file beside the database is made on first use.
func keyring(db string, create bool) (*secret.Keyring, error) {
	def := ""
	if os.Getenv("DATABASE_URL") == "" && db != "" {
		def = db + ".key"
	}
	return secret.FromEnv(os.Getenv, def, create)
}

// sourceEnv is the connectors' environment the settings give: the OAuth apps, Google Ads'
// developer token and, for tests and proxies, other addresses for the platforms.
func sourceEnv(getenv func(string) string) (source.Env, string, error) {
	env := source.Env{Endpoints: map[string]string{}, OAuth: map[string]*oauth2.Config{}}
	tokenURL := map[string]string{"google": google.Endpoint.TokenURL, "hubspot": "https://api.hubapi.com/oauth/v1/token"}
	authURL := map[string]string{"google": google.Endpoint.AuthURL, "hubspot": "https://app.hubspot.com/oauth/authorize"}
	for _, kv := range strings.Split(getenv("WHYBOT_SOURCE_ENDPOINTS"), ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(v, "http") {
			return env, "", fmt.Errorf("WHYBOT_SOURCE_ENDPOINTS: %q is not KIND=URL (e.g. ga4=https://proxy.example/ga4)", kv)
		}
		switch {
		case strings.HasSuffix(k, "_token"):
			tokenURL[strings.TrimSuffix(k, "_token")] = v
		case profile.SourceKinds[k] != "" || k == "hubspot":
			env.Endpoints[k] = v
		default:
			return env, "", fmt.Errorf("WHYBOT_SOURCE_ENDPOINTS: %q is not a kind of source (%s) or google_token, hubspot_token", k, strings.Join(profile.SourceKindNames, ", "))
		}
	}
	for _, app := range []struct{ name, idVar, secretVar, id, secret string }{
		{"google", "WHYBOT_GOOGLE_CLIENT_ID", "WHYBOT_GOOGLE_CLIENT_SECRET", getenv("WHYBOT_GOOGLE_CLIENT_ID"), getenv("WHYBOT_GOOGLE_CLIENT_SECRET")},
		{"hubspot", "WHYBOT_HUBSPOT_CLIENT_ID", "WHYBOT_HUBSPOT_CLIENT_SECRET", getenv("WHYBOT_HUBSPOT_CLIENT_ID"), getenv("WHYBOT_HUBSPOT_CLIENT_SECRET")},
	} {
		id, sec := app.id, app.secret
		if (id == "") != (sec == "") {
			return env, "", fmt.Errorf("%s and %s go together: set both (the OAuth app's) or neither", app.idVar, app.secretVar)
		}
		if id != "" {
			env.OAuth[app.name] = &oauth2.Config{ClientID: id, ClientSecret: sec, Endpoint: oauth2.Endpoint{AuthURL: authURL[app.name], TokenURL: tokenURL[app.name], AuthStyle: oauth2.AuthStyleInParams}}
		}
	}
	return env, getenv("WHYBOT_GOOGLE_ADS_DEVELOPER_TOKEN"), nil
}

// puller is the pulls of the store's sources.
func (e *env) puller(s backend.DB, db string, notify pull.Notifier) (*pull.Puller, error) {
	keys, err := keyring(db, true) // the console may connect a source before any key file exists
	if err != nil {
		return nil, err
	}
	env, dev, err := sourceEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	env.AdsDeveloperToken = dev
	return &pull.Puller{Store: s, Keys: keys, Env: env, Log: e.log, Notify: notify}, nil
}

func (e *env) sourceCmd(args []string) error {
	if len(args) == 0 {
		return usagef("source needs list, test NAME, pull NAME, connect NAME or disconnect NAME")
	}
	fs := newFlags("source "+args[0], e)
	db := fs.String("db", DefaultDBPath(), "database file (embedded SQLite)")
	wsID := fs.String("workspace", "", "the stored workspace (its id)")
	profPath := fs.String("profile", "", "a company.yaml: stored (or updated) first, so its sources can be connected and pulled")
	asJSON := fs.Bool("json", false, "print JSON")
	from := fs.String("from", "", "pull: first day to read again (YYYY-MM-DD)")
	to := fs.String("to", "", "pull: last day to read again (YYYY-MM-DD)")
	key := fs.String("key", "", "connect: a Google service account's JSON key file")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	s, err := e.openStore(*db)
	if err != nil {
		return err
	}
	defer s.Close()
	if *profPath != "" {
		if *wsID, err = e.storeProfile(s, *profPath); err != nil {
			return err
		}
	}
	rec, prof, err := e.sourceWorkspace(s, *wsID)
	if err != nil {
		return err
	}
	name := ""
	if args[0] != "list" {
		if len(pos) != 1 {
			return usagef("source %s needs the source's name: one of %s", args[0], pull.SourceNames(prof))
		}
		name = pos[0]
		if _, ok := prof.SourceByName(name); !ok {
			return usagef("%s has no source %q: its sources are %s", rec.ID, name, pull.SourceNames(prof))
		}
	}
	switch args[0] {
	case "list":
		return e.sourceList(s, rec, prof, *asJSON)
	case "test", "pull":
		opt := pull.Options{DryRun: args[0] == "test"}
		if *from != "" || *to != "" {
			if opt.From, err = time.Parse("2006-01-02", *from); err != nil {
				return usagef("--from %q is not a day (YYYY-MM-DD)", *from)
			}
			if opt.To, err = time.Parse("2006-01-02", *to); err != nil || opt.To.Before(opt.From) {
				return usagef("--to %q is not a day on or after --from (YYYY-MM-DD)", *to)
			}
		}
		p, err := e.puller(s, *db, nil)
		if err != nil {
			return err
		}
		o, err := p.Pull(e.ctx, rec.ID, name, opt)
		return e.printOutcome(o, err, prof.Language, *asJSON)
	case "connect":
		return e.sourceConnect(s, *db, rec.ID, prof, name, *key)
	case "disconnect":
		if err := s.DeleteCredential(e.ctx, rec.ID, name); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "Disconnected %s of %s: its credential is deleted; its pulled numbers stay until the source is removed from company.yaml.\n", name, rec.ID)
		return nil
	}
	return usagef("source %s is not a subcommand: use list, test, pull, connect or disconnect", args[0])
}

// storeProfile stores a company profile as its workspace (keeping the data files it was
// stored with), for a company whose numbers come from its sources.
func (e *env) storeProfile(s backend.DB, path string) (string, error) {
	p, err := profile.Load(path)
	if err != nil {
		return "", err
	}
	var files []string
	if old, err := s.Workspace(e.ctx, p.Workspace); err == nil {
		files = old.DataFiles
	}
	rec, err := workspace.RecordOf(p, files)
	if err != nil {
		return "", err
	}
	rec.UpdatedAt = time.Now().UTC()
	return rec.ID, s.UpsertWorkspace(e.ctx, rec)
}

// sourceWorkspace is the stored workspace the command is about: the one given, else the
// only one stored.
func (e *env) sourceWorkspace(s backend.DB, id string) (store.Workspace, *profile.Profile, error) {
	if id == "" {
		all, err := s.Workspaces(e.ctx)
		if err != nil {
			return store.Workspace{}, nil, err
		}
		if len(all) != 1 {
			var ids []string
			for _, w := range all {
				ids = append(ids, w.ID)
			}
			return store.Workspace{}, nil, usagef("say which workspace with --workspace: stored are %s", orNone(ids))
		}
		id = all[0].ID
	}
	rec, err := s.Workspace(e.ctx, id)
	if err != nil {
		return rec, nil, usagef("no stored workspace %q (whybot serve or whybot ask stores it)", id)
	}
	p, err := workspace.StoredProfile(rec)
	return rec, p, err
}

func orNone(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}

// sourceLine is one source as `whybot source list` shows it.
type sourceLine struct {
	Name      string            `json:"name"`
	Kind      string            `json:"kind"`
	Schedule  string            `json:"schedule"`
	TimeZone  string            `json:"timezone"`
	Truth     []string          `json:"truth,omitempty"`
	Connected bool              `json:"connected"`
	Version   int64             `json:"version,omitempty"`
	PulledAt  *time.Time        `json:"pulled_at,omitempty"`
	Rows      int               `json:"rows,omitempty"`
	Failing   string            `json:"failing,omitempty"`
	Message   string            `json:"message,omitempty"`
	Backfill  string            `json:"backfill_resumes,omitempty"`
	From      source.Provenance `json:"provenance"`
}

func (e *env) sourceList(s backend.DB, rec store.Workspace, prof *profile.Profile, asJSON bool) error {
	var lines []sourceLine
	for _, d := range prof.Sources {
		l := sourceLine{Name: d.Name, Kind: d.Kind, Schedule: d.Schedule, TimeZone: d.TimeZone, Truth: d.Truth}
		if l.Schedule == "" {
			l.Schedule = "0 6 * * *"
		}
		_, l.Connected, _ = s.Credential(e.ctx, rec.ID, d.Name)
		if v, ok, err := s.LatestSource(e.ctx, rec.ID, d.Name); err != nil {
			return err
		} else if ok {
			l.Version, l.PulledAt, l.Rows = v.Version, &v.PulledAt, len(v.Rows)
			_ = json.Unmarshal(v.Provenance, &l.From)
		}
		st, err := s.SourceState(e.ctx, rec.ID, d.Name)
		if err != nil {
			return err
		}
		l.Failing, l.Message, l.Backfill = st.Failing, st.Message, st.Backfill
		lines = append(lines, l)
	}
	if asJSON {
		return e.printJSON(map[string]any{"workspace": rec.ID, "sources": lines})
	}
	if len(lines) == 0 {
		fmt.Fprintf(e.stdout, "%s has no sources: add sources: to its company.yaml (README: Pulling KPI sources).\n", rec.ID)
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tSCHEDULE\tCONNECTED\tVERSION\tPULLED\tROWS\tSTATUS")
	for _, l := range lines {
		pulled, status := "never", "ok"
		if l.PulledAt != nil {
			pulled = l.PulledAt.Format("2006-01-02 15:04 MST")
		}
		switch {
		case l.Failing != "":
			status = "failing: " + l.Message
		case l.Backfill != "":
			status = "backfill resumes at " + l.Backfill
		case l.Version == 0:
			status = "not pulled yet"
		}
		connected := yesNo(l.Connected)
		if l.Kind == "https" {
			connected = "not needed"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s %s\t%s\t%d\t%s\t%d\t%s\n", l.Name, l.Kind, l.Schedule, l.TimeZone, connected, l.Version, pulled, l.Rows, status)
	}
	return tw.Flush()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func (e *env) printOutcome(o pull.Outcome, err error, lang string, asJSON bool) error {
	if asJSON {
		out := map[string]any{"outcome": o}
		var sample []map[string]any
		for i, r := range o.Sample {
			if i == 50 {
				break
			}
			sample = append(sample, map[string]any{"period": r.Period.String(), "metric": r.Metric, "value": r.Value, "dims": r.Dims})
		}
		out["rows"] = sample
		if perr := e.printJSON(out); perr != nil {
			return perr
		}
		if err != nil && o.State != store.PullStopped {
			return refusedError{o.Error}
		}
		return nil
	}
	if err != nil && o.State != store.PullStopped {
		return refusedError{o.Error}
	}
	verb := "Stored"
	if o.Sample != nil && o.Version == 0 {
		verb = "Would store (test: nothing stored)"
	}
	switch {
	case o.Unchanged:
		fmt.Fprintf(e.stdout, "%s: unchanged since version %d (the file answered 304 Not Modified).\n", o.Source, o.Version)
	case o.Rows == 0:
		fmt.Fprintf(e.stdout, "%s: nothing complete to read yet (a period is read once it is over).\n", o.Source)
	default:
		if o.From != "" {
			fmt.Fprintf(e.stdout, "%s %s: %d rows (%d read from %s to %s, %d requests).\n", verb, o.Source, o.Rows, o.Pulled, o.From, o.To, o.Requests)
		} else {
			fmt.Fprintf(e.stdout, "%s %s: %d rows (the file read whole, %d requests).\n", verb, o.Source, o.Rows, o.Requests)
		}
		if o.Version > 0 {
			fmt.Fprintf(e.stdout, "Version %d.\n", o.Version)
		}
	}
	if o.Provenance.API != "" {
		fmt.Fprintf(e.stdout, "From: %s\n", o.Provenance.Label())
	}
	for _, r := range o.Revisions {
		fmt.Fprintf(e.stdout, "Revised: %s %s %s from %g to %g\n", r.Metric, r.Period, dimsText(r.Dims.Channel, r.Dims.Campaign), r.Old, r.New)
	}
	if o.State == store.PullStopped {
		fmt.Fprintf(e.stdout, "%s\n", o.Error)
	}
	if verb != "Stored" {
		tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PERIOD\tMETRIC\tBREAKDOWN\tVALUE")
		for i, r := range o.Sample {
			if i == 20 {
				fmt.Fprintf(tw, "…\t%d more\t\t\n", len(o.Sample)-20)
				break
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%g\n", r.Period, r.Metric, dimsText(r.Dims.Channel, r.Dims.Campaign, r.Dims.Source, r.Dims.Medium), r.Value)
		}
		return tw.Flush()
	}
	return nil
}

func dimsText(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " / ")
}

// sourceConnect stores a source's credential, sealed: a Google service account key
// (--key), else what stdin gives for the kind (a refresh token, an access token, a
// connection string). Nothing secret is taken from the command line, where ps shows it.
func (e *env) sourceConnect(s backend.DB, db, ws string, prof *profile.Profile, name, keyFile string) error {
	decl, _ := prof.SourceByName(name)
	keys, err := keyring(db, true)
	if err != nil {
		return err
	}
	if !keys.Has() {
		return errors.New(secret.ErrNoKey.Error())
	}
	var cred source.Credential
	google := decl.Kind == "ga4" || decl.Kind == "search_console" || decl.Kind == "sheets" || decl.Kind == "google_ads"
	switch {
	case decl.Kind == "https":
		return usagef("an https source needs no credential: its link is in company.yaml")
	case keyFile != "" && google:
		b, err := os.ReadFile(keyFile)
		if err != nil {
			return fmt.Errorf("read the key file: %w", err)
		}
		var probe struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(b, &probe) != nil || probe.Type != "service_account" {
			return usagef("%s is not a Google service account key (a JSON file with \"type\": \"service_account\")", keyFile)
		}
		cred.ServiceAccount = b
	default:
		what := map[string]string{"meta_ads": "a system user's access token", "hubspot": "a private app's access token", "sql": "the connection string of a read-only user (postgres://…)"}[decl.Kind]
		if google {
			what = "a refresh token of the Google OAuth app (or give --key with a service account's JSON key)"
		}
		fmt.Fprintf(e.stderr, "Paste %s and press Enter (it is not shown again and never logged):\n", what)
		line, err := bufio.NewReader(io.LimitReader(e.stdin, 64<<10)).ReadString('\n')
		line = strings.TrimSpace(line)
		if line == "" {
			if err != nil && !errors.Is(err, io.EOF) {
				return err
			}
			return usagef("nothing was given on stdin")
		}
		switch {
		case google:
			cred.OAuth = &oauth2.Token{RefreshToken: line}
		case decl.Kind == "sql":
			cred.DSN = line
		default:
			cred.Token = line
		}
	}
	b, err := json.Marshal(cred)
	if err != nil {
		return err
	}
	sealed, keyID, err := keys.Seal(b, ws, name)
	if err != nil {
		return err
	}
	if err := s.PutCredential(e.ctx, store.SealedCredential{Workspace: ws, Conn: name, KeyID: keyID, Sealed: sealed, UpdatedAt: time.Now().UTC()}); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Connected %s of %s (sealed with key %s). Try it: whybot source test %s --workspace %s\n", name, ws, keyID, name, limits.Cut(ws))
	return nil
}

// secretCmd makes a key, or seals every stored credential again with the current one.
func (e *env) secretCmd(args []string) error {
	if len(args) == 0 {
		return usagef("secret needs new or rotate")
	}
	fs := newFlags("secret "+args[0], e)
	db := fs.String("db", DefaultDBPath(), "database file (embedded SQLite)")
	if _, err := parse(fs, args[1:]); err != nil {
		return err
	}
	switch args[0] {
	case "new":
		fmt.Fprintln(e.stdout, secret.NewKey(time.Now().UTC().Format("2006-01")))
		return nil
	case "rotate":
		keys, err := keyring(*db, false)
		if err != nil {
			return err
		}
		if !keys.Has() {
			return errors.New(secret.ErrNoKey.Error())
		}
		s, err := e.openStore(*db)
		if err != nil {
			return err
		}
		defer s.Close()
		all, err := s.Credentials(e.ctx)
		if err != nil {
			return err
		}
		n := 0
		for _, c := range all {
			if c.KeyID == keys.Current() {
				continue
			}
			plain, err := keys.Open(c.Sealed, c.Workspace, c.Conn)
			if err != nil {
				return fmt.Errorf("%s/%s: %w", c.Workspace, c.Conn, err)
			}
			c.Sealed, c.KeyID, err = keys.Seal(plain, c.Workspace, c.Conn)
			if err != nil {
				return err
			}
			c.UpdatedAt = time.Now().UTC()
			if err := s.PutCredential(e.ctx, c); err != nil {
				return err
			}
			n++
		}
		installs, err := s.SlackInstalls(e.ctx)
		if err != nil {
			return err
		}
		teams := 0
		for _, in := range installs {
			out, changed, err := slack.Reseal(keys, in)
			if err != nil {
				return err
			}
			if !changed {
				continue
			}
			out.UpdatedAt = time.Now().UTC()
			if err := s.PutSlackInstall(e.ctx, out); err != nil {
				return err
			}
			teams++
		}
		fmt.Fprintf(e.stdout, "Sealed %d credentials and %d Slack bot tokens again with key %s (%d credentials already were). The old key may now be dropped from WHYBOT_SECRET_KEYS_OLD.\n",
			n, teams, keys.Current(), len(all)-n)
		return nil
	}
	return usagef("secret %s is not a subcommand: use new or rotate", args[0])
}

// withSources is a workspace loaded from files with its sources' pulled numbers composed
// in, when any were pulled.
func (e *env) withSources(s backend.DB, ws *workspace.Workspace) (*workspace.Workspace, error) {
	if len(ws.Profile.Sources) == 0 {
		return ws, nil
	}
	rows, err := pull.Snapshot(e.ctx, s, ws)
	if err != nil {
		return nil, err
	}
	if len(pull.FileRows(rows)) == len(rows) {
		return ws, nil // nothing pulled yet
	}
	rec, err := ws.Record()
	if err != nil {
		return nil, err
	}
	out, err := workspace.FromSnapshot(rec, rows)
	if err != nil {
		return nil, err
	}
	out.Profile.File = ws.Profile.File
	if out.Data.Revisions, err = workspace.SourceRevisions(e.ctx, s, rec.ID, out.Profile); err != nil {
		return nil, err
	}
	return out, nil
}

// pulledWorkspace is a company with no data files, built from its sources' pulled numbers.
func (e *env) pulledWorkspace(s backend.DB, path string) (*workspace.Workspace, error) {
	p, err := profile.Load(path)
	if err != nil {
		return nil, err
	}
	if len(p.Sources) == 0 {
		return nil, usagef("ask needs --data, or sources: in %s to pull the numbers from", path)
	}
	rows, _, err := s.KPI(e.ctx, p.Workspace)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, &conversation.UserError{Reason: fmt.Sprintf("%s has %s", p.Company, workspace.ErrNotPulled)}
	}
	rec, err := workspace.RecordOf(p, nil)
	if err != nil {
		return nil, err
	}
	ws, err := workspace.FromSnapshot(rec, rows)
	if err != nil {
		return nil, err
	}
	ws.Profile.File = p.File
	if ws.Data.Revisions, err = workspace.SourceRevisions(e.ctx, s, rec.ID, ws.Profile); err != nil {
		return nil, err
	}
	return ws, nil
}
