package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"github.com/whybot/whybot/knowledge/source/pull"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/whybot/whybot/bot/console"
	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/bot/slack"
	"github.com/whybot/whybot/bot/web"
	"github.com/whybot/whybot/bot/web/auth"
	"github.com/whybot/whybot/knowledge/sample"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/backend"
	"github.com/whybot/whybot/knowledge/workspace"
)

// userCmd is `whybot user add|list|remove`: the web console's accounts.
func (e *env) userCmd(args []string) error {
	if len(args) == 0 {
		return usagef("user takes add, list or remove: whybot user add NAME --workspace ID")
	}
	fs := newFlags("user "+args[0], e)
	db := fs.String("db", DefaultDBPath(), "database file (embedded SQLite)")
	var wss strList
	fs.Var(&wss, "workspace", "a workspace the account may see and review (repeatable)")
	all := fs.Bool("all", false, "the account may see and review every workspace (agency staff)")
	stdin := fs.Bool("password-stdin", false, "read the password from standard input instead of generating one")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	s, err := e.openStore(*db)
	if err != nil {
		return err
	}
	defer s.Close()
	switch args[0] {
	case "add":
		if len(pos) != 1 {
			return usagef("user add takes one account name: whybot user add NAME --workspace ID [--all] [--password-stdin]")
		}
		password := ""
		if *stdin {
			line, err := bufio.NewReader(e.stdin).ReadString('\n')
			if err != nil && line == "" {
				return usagef("--password-stdin: no password on standard input")
			}
			password = strings.TrimRight(line, "\r\n")
		}
		grants := []string(wss)
		if *all {
			grants = append(grants, store.AllWorkspaces)
		}
		made, err := addAccount(e.ctx, s, pos[0], password, grants)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "Account %s may review %s.\n", strings.ToLower(pos[0]), strings.Join(grants, ", "))
		if made != "" {
			fmt.Fprintf(e.stdout, "Password: %s\n(shown once; run the command again to set a new one)\n", made)
		}
		return nil
	case "list":
		accs, err := s.Accounts(e.ctx)
		if err != nil {
			return err
		}
		for _, a := range accs {
			fmt.Fprintf(e.stdout, "%-20s %s\n", a.Name, strings.Join(a.Workspaces, ", "))
		}
		return nil
	case "remove":
		if len(pos) != 1 {
			return usagef("user remove takes one account name")
		}
		if err := s.DeleteAccount(e.ctx, strings.ToLower(pos[0])); errors.Is(err, store.ErrNotFound) {
			return &conversation.UserError{Reason: fmt.Sprintf("there is no account %s: see whybot user list", pos[0])}
		} else if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "Account %s removed; its sessions are ended.\n", pos[0])
		return nil
	}
	return usagef("user takes add, list or remove, not %q", args[0])
}

// linkAllPeople adds web: account to every person of a profile file.
func linkAllPeople(prof, account string) error {
	y, err := os.ReadFile(prof)
	if err != nil {
		return err
	}
	linked := regexp.MustCompile(`(?m)^(\s*- \{handle: [a-z0-9_]+,)`).ReplaceAll(y, []byte("${1} web: "+account+","))
	return os.WriteFile(prof, linked, 0o600)
}

// addAccount creates or updates an account after checking its name and workspaces; with
// no password it generates one and returns it.
func addAccount(ctx context.Context, s backend.DB, name, password string, grants []string) (generated string, err error) {
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" || strings.ContainsAny(name, " \t:/") {
		return "", &conversation.UserError{Reason: fmt.Sprintf("%q is not an account name: use letters, digits, dots or dashes", name)}
	}
	if len(grants) == 0 {
		return "", usagef("say which workspaces %s may review: --workspace ID (repeatable) or --all", name)
	}
	for _, w := range grants {
		if w == store.AllWorkspaces {
			continue
		}
		if _, err := s.Workspace(ctx, w); errors.Is(err, store.ErrNotFound) {
			return "", &conversation.UserError{Reason: fmt.Sprintf("workspace %s is not stored: load it first (whybot serve --workspace DIR), or check the id in its company.yaml", w)}
		} else if err != nil {
			return "", err
		}
	}
	if password == "" {
		password = auth.NewPassword()
		generated = password
	}
	hash, err := auth.Hash(password)
	if err != nil {
		return "", &conversation.UserError{Reason: err.Error()}
	}
	now := time.Now().UTC()
	if err := s.PutAccount(ctx, store.Account{Name: name, PasswordHash: hash, Workspaces: grants, CreatedAt: now, UpdatedAt: now}); err != nil {
		return "", err
	}
	return generated, nil
}

// webConsole builds the console on an engine that lets accounts review and posts web
// chat answers.
func (e *env) webConsole(s backend.DB, eng *conversation.Engine, reg *workspace.Registry, sources *web.Sources, installer *slack.Installer) (*web.Server, error) {
	cfg := web.Config{Store: s, Engine: eng, Log: e.log, Workspaces: reg, Sources: sources}
	if installer != nil {
		cfg.Slack = &web.SlackApp{Installer: installer, Store: s}
	}
	return web.New(cfg)
}

// webSources is the console's view of the sources: their state, OAuth connections (the
// apps the settings configure) and "pull now".
func (e *env) webSources(s backend.DB, db string, p *pull.Puller) (*web.Sources, error) {
	keys, err := keyring(db, true)
	if err != nil {
		return nil, err
	}
	env, _, err := sourceEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	return &web.Sources{Store: s, Keys: keys, OAuth: env.OAuth, Puller: p, PublicURL: os.Getenv("WHYBOT_PUBLIC_URL")}, nil
}

// webOptions are the engine options the console needs.
func webOptions(s backend.DB) []conversation.Option {
	return []conversation.Option{conversation.WithAccounts(s), conversation.WithPoster(store.TransportWeb, web.Poster{})}
}

// demo is `whybot demo`: the sample company on an embedded store, a demo reviewer, and the
// console on localhost; it prints the address, the password and what to try.
func (e *env) demo(args []string) error {
	fs := newFlags("demo", e)
	addr := fs.String("addr", "127.0.0.1:8080", "where the console listens")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "whybot-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	prof, data, err := sample.Write(filepath.Join(dir, "sample"))
	if err != nil {
		return err
	}
	// the demo account plays every person of the sample company, so one person can try
	// the whole conversation; a real account is linked to its own person only
	if err := linkAllPeople(prof, "demo"); err != nil {
		return err
	}
	ws, err := workspace.Load(prof, []string{data})
	if err != nil {
		return err
	}
	s, err := backend.Ready(e.ctx, "", filepath.Join(dir, "demo.db"), e.log)
	if err != nil {
		return err
	}
	defer s.Close()
	rec, err := ws.Record()
	if err != nil {
		return err
	}
	rec.UpdatedAt = time.Now().UTC()
	if err := s.UpsertWorkspace(e.ctx, rec); err != nil {
		return err
	}
	if err := s.ReplaceKPI(e.ctx, rec.ID, ws.KPIRows(), time.Now().UTC()); err != nil {
		return err
	}
	e.syncKnowledge(s, ws)
	password, err := addAccount(e.ctx, s, "demo", "", []string{rec.ID})
	if err != nil {
		return err
	}
	opts := append(webOptions(s), conversation.WithPoster(store.TransportConsole, console.Poster{W: e.stdout}))
	if idx, err := e.servingIndex(s); err == nil {
		opts = append(opts, conversation.WithKnowledge(idx))
	}
	eng := e.engine(s, opts...)
	srv, err := e.webConsole(s, eng, nil, nil, nil)
	if err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(e.ctx)
	at, err := serveHTTP(ctx, g, 5*time.Second, *addr, "--addr", srv)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, `whybot demo: %s (sample company %q) on a temporary embedded store.

  Open      http://%s/
  Sign in   demo / %s

Try: in Chat, ask as Anna "perché i lead sono aumentati del 30%%?" (or "why did leads rise 30%%?");
answer as Giulia ("solo il 40%% è in target"), Marco ("ne abbiamo richiamati un quarto") and Luca;
then open the draft from the Inbox, edit or approve it, and see it posted in the chat and in the
audit trail. Ctrl-C stops the demo and deletes its data.
`, rec.ID, rec.Company, at, password)
	return g.Wait()
}
