// Package cli implements whybot's subcommands. Run is the whole program; main only wires
// the process to it, so tests can run every command in-process or through the binary.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/whybot/whybot/bot/console"
	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/bot/llm"
	"github.com/whybot/whybot/bot/ops"
	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/backend"
)

// Version and Commit are set at build time (-ldflags "-X …cli.Version=… -X …cli.Commit=…");
// without them, the module version and the VCS revision Go recorded are used.
var (
	Version = "dev"
	Commit  = ""
)

// versionLine is what `whybot version` prints: version, commit (+dirty), Go version.
func versionLine() string {
	v, commit, dirty := Version, Commit, false
	goVersion := runtime.Version()
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && commit == "":
				commit = s.Value
			case s.Key == "vcs.modified" && s.Value == "true":
				dirty = true
			}
		}
	}
	if len(commit) > 12 {
		commit = commit[:12]
	}
	if commit == "" {
		commit = "unknown"
	} else if dirty && Commit == "" {
		commit += "+dirty"
	}
	return fmt.Sprintf("whybot %s (commit %s, %s)", v, commit, goVersion)
}

const usage = `whybot explains marketing KPIs the way a good agency would, and a human approves every answer.

Usage:
  whybot demo [--addr HOST:PORT]               the sample company, a demo reviewer and the web console on localhost
  whybot init DIR                              write a sample workspace (company.yaml, kpis.csv, knowledge/)
  whybot chat [--profile F --data F…]          interactive conversation (sample workspace by default)
  whybot ask --profile F [--data F…] [--thread ID] [--as HANDLE] [--lang it|en] [--json] QUESTION
  whybot review list [--json]                  drafts waiting for approval
  whybot review show DRAFT [--json]
  whybot review approve DRAFT --as HANDLE [--json]
  whybot review edit DRAFT --as HANDLE --text TEXT [--json]
  whybot review reject DRAFT --as HANDLE --reason TEXT [--json]
  whybot audit THREAD [--json]                 a thread's full audit trail
  whybot validate --profile F --data F…        check a profile and data, list the rules that fire
  whybot metrics [--profile F | --workspace W] [--json]   every metric name: built-in and the company's own, with synonyms and where each comes from
  whybot source list [--workspace W] [--json]  the workspace's sources: connected, last version, failing or backfilling
  whybot source test NAME [--workspace W]      pull once and show what would be stored, storing nothing
  whybot source pull NAME [--workspace W] [--from DAY --to DAY]   pull now (again over a range)
  whybot source connect NAME [--workspace W] [--key SA.json]      store its credential sealed (a token on stdin)
  whybot source disconnect NAME [--workspace W]
  whybot secret new | rotate                   make a secret key; seal every credential again with the current key
  whybot eval [--llm] DIR                      run the scenario cases in DIR (--llm: also through the language model)
  whybot migrate up|status [--json]            apply or show the database migrations
  whybot knowledge sync [--workspace W] [--dir D]   index the profile, glossary and knowledge folder
  whybot knowledge add FILE… [--workspace W]   index Markdown or text documents
  whybot knowledge list [--workspace W] [--json]
  whybot knowledge remove SOURCE [--workspace W]
  whybot knowledge search [--workspace W] [-k N] [--json] QUERY
  whybot knowledge reindex [--workspace W]     re-embed after changing the embedder
  whybot serve [--workspace DIR…] [--web ADDR] run the job worker (posting, reminders, KPI reloads), Slack, Discord and the web console
  whybot user add NAME (--workspace ID… | --all) [--password-stdin]   a web console account (password generated unless given)
  whybot user list | remove NAME
  whybot discord register [--guild ID…] [--workspace DIR…]   install the /why command
  whybot config check [--db PATH]              validate the configuration (settings, workspaces, database) without starting
  whybot config table                          the settings as a Markdown table
  whybot health [--url URL]                    exit 0 when the local replica's /readyz says ready (container HEALTHCHECK)
  whybot version

Every command that stores takes --db PATH (default: $WHYBOT_DB, else the user data dir).
DATABASE_URL=postgres://… uses PostgreSQL instead (run ` + "`whybot migrate up`" + ` first).
`

type env struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
	// model is the configured language model (WHYBOT_LLM), or nil: the parser reads and the
	// rules write
	model llm.Model
	// pending are the workspace folders serve found with no data files, whose numbers all
	// come from their sources
	pending []*profile.Profile
}

// exit codes
const (
	exitOK      = 0
	exitFailure = 1 // something went wrong
	exitRefused = 2 // bad usage, bad input, or a refused action
)

// Run runs one command and returns the process exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	level := slog.LevelWarn
	if v := os.Getenv("WHYBOT_LOG_LEVEL"); v != "" {
		if err := level.UnmarshalText([]byte(v)); err != nil {
			fmt.Fprintf(stderr, "whybot: WHYBOT_LOG_LEVEL=%q is not a level: use debug, info, warn or error\n", v)
			return exitRefused
		}
	}
	var h slog.Handler
	switch f := os.Getenv("WHYBOT_LOG_FORMAT"); f {
	case "", "text":
		h = slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})
	case "json":
		h = slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level})
	default:
		fmt.Fprintf(stderr, "whybot: WHYBOT_LOG_FORMAT=%q is not a log format: use text or json\n", f)
		return exitRefused
	}
	e := &env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, log: slog.New(ops.LogHandler(h))}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitRefused
	}
	llmCfg, err := llm.FromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "whybot: the LLM settings are not usable:\n%v\n", err)
		return exitRefused
	}
	if llmCfg.Enabled() {
		m, err := llm.New(llmCfg, e.log)
		if err != nil {
			fmt.Fprintf(stderr, "whybot: the LLM settings are not usable: %v\n", err)
			return exitRefused
		}
		e.model = m
	}
	switch args[0] {
	case "init":
		err = e.initCmd(args[1:])
	case "chat":
		err = e.chat(args[1:])
	case "ask":
		err = e.ask(args[1:])
	case "review":
		err = e.review(args[1:])
	case "audit":
		err = e.audit(args[1:])
	case "validate":
		err = e.validate(args[1:])
	case "eval":
		err = e.eval(args[1:])
	case "metrics":
		err = e.metricsCmd(args[1:])
	case "source":
		err = e.sourceCmd(args[1:])
	case "secret":
		err = e.secretCmd(args[1:])
	case "migrate":
		err = e.migrate(args[1:])
	case "knowledge":
		err = e.knowledge(args[1:])
	case "user":
		err = e.userCmd(args[1:])
	case "demo":
		err = e.demo(args[1:])
	case "serve":
		err = e.serve(args[1:])
	case "discord":
		err = e.discordCmd(args[1:])
	case "config":
		err = e.configCmd(args[1:])
	case "health":
		err = e.healthCmd(args[1:])
	case "version", "--version":
		fmt.Fprintln(stdout, versionLine())
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "whybot: unknown command %q\n\n%s", args[0], usage)
		return exitRefused
	}
	return e.report(err)
}

// usageError marks a mistake in the command line.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// refusedError marks a check that failed (validation, eval) after its report was printed.
type refusedError struct{ msg string }

func (r refusedError) Error() string { return r.msg }

func (e *env) report(err error) int {
	if err == nil {
		return exitOK
	}
	var ue *conversation.UserError
	var us usageError
	var rf refusedError
	var pe *profile.Error
	var ke *kpi.Error
	switch {
	case errors.Is(err, flag.ErrHelp):
		return exitRefused
	case errors.As(err, &us):
		fmt.Fprintf(e.stderr, "whybot: %s (whybot help shows the usage)\n", us.msg)
	case errors.As(err, &ue):
		e.log.Debug("refused", "err", err)
		fmt.Fprintf(e.stderr, "whybot: %s\n", ue.Reason)
	case errors.As(err, &pe), errors.As(err, &ke):
		fmt.Fprintf(e.stderr, "whybot: invalid input, nothing was imported:\n%s\n", err)
	case errors.As(err, &rf):
		fmt.Fprintf(e.stderr, "whybot: %s\n", rf.msg)
	default:
		fmt.Fprintf(e.stderr, "whybot: %v\n", err)
		return exitFailure
	}
	return exitRefused
}

// strList is a repeatable flag.
type strList []string

func (s *strList) String() string     { return strings.Join(*s, ",") }
func (s *strList) Set(v string) error { *s = append(*s, v); return nil }

// parse parses flags anywhere among the arguments and returns the positional ones.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func newFlags(name string, e *env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// DefaultDBPath is where the embedded store lives when neither --db nor WHYBOT_DB is set.
func DefaultDBPath() string {
	if v := os.Getenv("WHYBOT_DB"); v != "" {
		return v
	}
	dir := os.Getenv("XDG_DATA_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return filepath.Join(os.TempDir(), "whybot", "whybot.db")
		}
		dir = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(dir, "whybot", "whybot.db")
}

// openStore opens the store DATABASE_URL selects (the SQLite file at path by default) and
// checks its schema: the embedded file migrates itself, PostgreSQL must be migrated first.
func (e *env) openStore(path string) (backend.DB, error) {
	return backend.Ready(e.ctx, os.Getenv("DATABASE_URL"), path, e.log)
}

func (e *env) engine(s conversation.Store, opts ...conversation.Option) *conversation.Engine {
	p := console.Poster{W: e.stdout}
	base := []conversation.Option{conversation.WithLogger(e.log), conversation.WithPoster(store.TransportConsole, p), conversation.WithPoster(store.TransportCLI, p)}
	base = append(base, e.llmOptions()...)
	return conversation.New(s, append(base, opts...)...)
}

// llmOptions let the configured language model read messages and phrase drafts.
func (e *env) llmOptions() []conversation.Option {
	if e.model == nil {
		return nil
	}
	return []conversation.Option{conversation.WithReader(&llm.Reader{Model: e.model, Log: e.log}), conversation.WithPhraser(&llm.Phraser{Model: e.model, Log: e.log})}
}

func (e *env) printJSON(v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
