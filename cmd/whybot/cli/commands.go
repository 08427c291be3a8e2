package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/whybot/whybot/bot/console"
	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/evals"
	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/rules"
	"github.com/whybot/whybot/knowledge/sample"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/backend"
	"github.com/whybot/whybot/knowledge/workspace"
	"github.com/whybot/whybot/prompts"
)

func (e *env) chat(args []string) error {
	fs := newFlags("chat", e)
	var data strList
	prof := fs.String("profile", "", "company profile (company.yaml)")
	fs.Var(&data, "data", "KPI data file, CSV or JSON (repeatable)")
	db := fs.String("db", "", "database file (default: a temporary one for the sample, else the user data dir)")
	as := fs.String("as", "", "who you are at the start (a handle of the profile)")
	lang := fs.String("lang", "", "answer language: it or en")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if (*prof == "") != (len(data) == 0) {
		return usagef("give both --profile and --data, or neither to use the sample workspace")
	}
	if *prof == "" {
		dir, err := os.MkdirTemp("", "whybot-sample-")
		if err != nil {
			return fmt.Errorf("create sample workspace: %w", err)
		}
		defer os.RemoveAll(dir)
		p, d, err := sample.Write(dir)
		if err != nil {
			return err
		}
		*prof, data = p, strList{d}
		if *db == "" {
			*db = filepath.Join(dir, "whybot.db")
		}
		fmt.Fprintf(e.stdout, "Using the sample workspace in %s (Meccanica Rossi, 14 months of KPIs).\n", dir)
	}
	if *db == "" {
		*db = DefaultDBPath()
	}
	ws, err := workspace.Load(*prof, data)
	if err != nil {
		return err
	}
	s, err := e.openStore(*db)
	if err != nil {
		return err
	}
	defer s.Close()
	c := &console.Chat{Engine: e.engine(s, conversation.WithKnowledge(e.syncKnowledge(s, ws))), Store: s, Workspace: ws, In: e.stdin, Out: e.stdout, As: strings.ToLower(*as), Lang: *lang}
	return c.Run(e.ctx)
}

func (e *env) ask(args []string) error {
	fs := newFlags("ask", e)
	var data strList
	prof := fs.String("profile", "", "company profile (company.yaml)")
	fs.Var(&data, "data", "KPI data file, CSV or JSON (repeatable)")
	db := fs.String("db", DefaultDBPath(), "database file")
	thread := fs.String("thread", "", "continue this thread")
	as := fs.String("as", "", "who speaks (a handle of the profile)")
	lang := fs.String("lang", "", "answer language: it or en")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("ask needs the question as its last argument")
	}
	question := strings.Join(pos, " ")
	s, err := e.openStore(*db)
	if err != nil {
		return err
	}
	defer s.Close()
	var ws *workspace.Workspace
	switch {
	case *prof != "" && len(data) > 0:
		ws, err = workspace.Load(*prof, data)
	case *prof == "" && len(data) == 0 && *thread != "":
		ws, err = e.threadWorkspace(s, *thread)
	case *prof != "" && len(data) == 0:
		ws, err = e.pulledWorkspace(s, *prof) // a company whose numbers all come from its sources
	default:
		return usagef("ask needs --profile and --data (only a --thread continuation may omit both)")
	}
	if err == nil {
		ws, err = e.withSources(s, ws)
	}
	if err != nil {
		return err
	}
	idx := e.syncKnowledge(s, ws)
	r, err := e.engine(s, conversation.WithKnowledge(idx)).Ask(e.ctx, ws, conversation.Request{ThreadID: *thread, As: *as, Text: question, Lang: *lang, Transport: store.TransportCLI, Channel: "cli"})
	if err != nil {
		return err
	}
	if *asJSON {
		return e.printJSON(r)
	}
	console.Print(e.stdout, r)
	console.PrintThread(e.stdout, r)
	if r.State == store.ThreadAwaitingAnswers {
		fmt.Fprintf(e.stdout, "\nAnswer with: whybot ask --thread %s --as HANDLE \"…\" (add --profile/--data if the files moved)\n", r.Thread)
	}
	if r.Draft != nil {
		fmt.Fprintf(e.stdout, "\nReview with: whybot review approve %s --as REVIEWER\n", r.Draft.ID)
	}
	return nil
}

// threadWorkspace finds the workspace of a thread and reloads it from what the store recorded.
func (e *env) threadWorkspace(s backend.DB, thread string) (*workspace.Workspace, error) {
	wss, err := s.Workspaces(e.ctx)
	if err != nil {
		return nil, err
	}
	for _, w := range wss {
		if _, err := s.Thread(e.ctx, w.ID, thread); err == nil {
			return workspace.FromStore(w)
		}
	}
	return nil, &conversation.UserError{Reason: fmt.Sprintf("thread %s is not in this database", thread)}
}

// findDraft locates a draft's workspace by asking each workspace (queries stay scoped).
func (e *env) findDraft(s backend.DB, id string) (store.Draft, error) {
	wss, err := s.Workspaces(e.ctx)
	if err != nil {
		return store.Draft{}, err
	}
	for _, w := range wss {
		d, err := s.Draft(e.ctx, w.ID, id)
		if err == nil {
			return d, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return d, err
		}
	}
	return store.Draft{}, &conversation.UserError{Reason: fmt.Sprintf("draft %s is not in this database (whybot review list shows the pending ones)", id)}
}

// reviewFlags are the flags of the review subcommands.
type reviewFlags struct {
	as, text, reason, after *string
	asJSON, all             *bool
	limit                   *int
}

func (e *env) review(args []string) error {
	if len(args) == 0 {
		return usagef("review needs a subcommand: list, show, approve, edit or reject")
	}
	sub := args[0]
	fs := newFlags("review "+sub, e)
	db := fs.String("db", DefaultDBPath(), "database file")
	f := reviewFlags{
		as:     fs.String("as", "", "the reviewer (a handle marked reviewer: true)"),
		text:   fs.String("text", "", "edited text (edit)"),
		reason: fs.String("reason", "", "why the draft is rejected (reject)"),
		asJSON: fs.Bool("json", false, "print JSON"),
		all:    fs.Bool("all", false, "list: drafts in every state, not only pending"),
		limit:  fs.Int("limit", 0, fmt.Sprintf("list: at most this many drafts, one page (at most %d); 0: all", store.MaxDraftPage)),
		after:  fs.String("after", "", "list: the drafts after this one (the last id of the previous page)"),
	}
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	switch sub {
	case "list", "show", "approve", "edit", "reject":
	default:
		return usagef("unknown review subcommand %q: use list, show, approve, edit or reject", sub)
	}
	if sub != "list" && len(pos) != 1 {
		return usagef("review %s takes one draft id", sub)
	}
	s, err := e.openStore(*db)
	if err != nil {
		return err
	}
	defer s.Close()
	if sub == "list" {
		return e.reviewList(s, f)
	}
	d, err := e.findDraft(s, pos[0])
	if err != nil {
		return err
	}
	if sub == "show" {
		return e.reviewShow(d, *f.asJSON)
	}
	return e.reviewDecide(s, d, sub, f)
}

// reviewList prints the drafts waiting for approval (--all: in every state), oldest first:
// one page with --limit (after --after), else every one, read a page at a time.
func (e *env) reviewList(s backend.DB, f reviewFlags) error {
	q := store.DraftQuery{States: []store.DraftState{store.DraftPending}, Limit: store.MaxDraftPage}
	if *f.all {
		q.States = nil
	}
	if *f.limit < 0 || *f.limit > store.MaxDraftPage {
		return usagef("review list --limit takes 1 to %d (0: all)", store.MaxDraftPage)
	}
	if *f.limit > 0 {
		q.Limit = *f.limit
	}
	if *f.after != "" {
		d, err := e.findDraft(s, *f.after)
		if err != nil {
			return err
		}
		c := d.Cursor()
		q.After = &c
	}
	drafts := []store.ListedDraft{}
	for {
		page, err := s.ListDrafts(e.ctx, q)
		if err != nil {
			return err
		}
		drafts = append(drafts, page...)
		if *f.limit > 0 || len(page) < q.Size() {
			break
		}
		c := page[len(page)-1].Cursor()
		q.After = &c
	}
	if *f.asJSON {
		return e.printJSON(drafts)
	}
	if len(drafts) == 0 {
		fmt.Fprintln(e.stdout, "No drafts waiting for approval.")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DRAFT\tWORKSPACE\tTHREAD\tSTATE\tCREATED\tFIRST LINE")
	for _, d := range drafts {
		first, _, _ := strings.Cut(d.Text, "\n\n")
		rest := strings.SplitN(d.Text, "\n\n", 3)
		if len(rest) > 1 {
			first = rest[1]
		}
		if len(first) > 60 {
			first = first[:60] + "…"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.Workspace, d.ThreadID, d.State, d.CreatedAt.Format("2006-01-02 15:04"), strings.ReplaceAll(first, "\n", " "))
	}
	return tw.Flush()
}

// reviewShow prints a draft with the rules that fired and the knowledge it quotes.
func (e *env) reviewShow(d store.Draft, asJSON bool) error {
	if asJSON {
		return e.printJSON(d)
	}
	fmt.Fprintf(e.stdout, "draft %s · thread %s · %s\n\n%s\n", d.ID, d.ThreadID, d.State, d.Text)
	if d.FinalText != "" && d.FinalText != d.Text {
		fmt.Fprintf(e.stdout, "\napproved text (edited by %s):\n%s\n", d.DecidedBy, d.FinalText)
	}
	ev, err := record.Decode[record.Evidence](d.Evidence)
	if err != nil {
		return nil
	}
	if len(ev.Findings) > 0 {
		fmt.Fprintln(e.stdout, "\nrules fired:")
		for _, f := range ev.Findings {
			fmt.Fprintf(e.stdout, "  %-22s %s\n", f.Rule, f.Message)
		}
	}
	if len(ev.Knowledge) > 0 {
		fmt.Fprintln(e.stdout, "\ncompany knowledge quoted:")
		for _, c := range ev.Knowledge {
			fmt.Fprintf(e.stdout, "  %s (%s): %s\n", c.Source, c.Title, c.Excerpt)
		}
	}
	return nil
}

// reviewDecide approves, edits or rejects a draft as the reviewer --as names.
func (e *env) reviewDecide(s backend.DB, d store.Draft, sub string, f reviewFlags) error {
	if *f.as == "" {
		return usagef("review %s needs --as HANDLE (a reviewer of the workspace)", sub)
	}
	var a conversation.Action
	switch sub {
	case "approve":
		a = conversation.Action{Approve: true}
	case "edit":
		if strings.TrimSpace(*f.text) == "" {
			return usagef("review edit needs --text with the new answer")
		}
		a = conversation.Action{Approve: true, EditedText: *f.text}
	case "reject":
		if strings.TrimSpace(*f.reason) == "" {
			return usagef("review reject needs --reason")
		}
		a = conversation.Action{Reason: *f.reason}
	}
	idx, err := e.index(s)
	if err != nil {
		return err
	}
	out, err := e.engine(s, conversation.WithKnowledge(idx)).Decide(e.ctx, d.Workspace, d.ID, record.Person(*f.as), a)
	if err != nil {
		return err
	}
	if *f.asJSON {
		return e.printJSON(out)
	}
	switch {
	case out.AlreadyDecided:
		fmt.Fprintf(e.stdout, "draft %s was already %s by %s; nothing posted again\n", out.Draft.ID, out.Draft.State, out.Draft.DecidedBy)
	case out.Draft.State == store.DraftRejected:
		fmt.Fprintf(e.stdout, "draft %s rejected by %s: %s\n", out.Draft.ID, out.Draft.DecidedBy, out.Draft.Reason)
	default:
		fmt.Fprintf(e.stdout, "draft %s %s by %s\n", out.Draft.ID, out.Draft.State, out.Draft.DecidedBy)
	}
	if out.PostError != "" {
		fmt.Fprintf(e.stderr, "whybot: approved but not posted yet: %s\n", out.PostError)
	}
	return nil
}

func (e *env) audit(args []string) error {
	fs := newFlags("audit", e)
	db := fs.String("db", DefaultDBPath(), "database file")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("audit takes one thread id")
	}
	s, err := e.openStore(*db)
	if err != nil {
		return err
	}
	defer s.Close()
	wss, err := s.Workspaces(e.ctx)
	if err != nil {
		return err
	}
	for _, w := range wss {
		th, err := s.Thread(e.ctx, w.ID, pos[0])
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		events, err := s.Events(e.ctx, w.ID, th.ID)
		if err != nil {
			return err
		}
		if *asJSON {
			return e.printJSON(map[string]any{"thread": th.ID, "workspace": th.Workspace, "state": th.State, "events": events})
		}
		fmt.Fprintf(e.stdout, "thread %s · %s · %s\n", th.ID, th.Workspace, th.State)
		for _, ev := range events {
			fmt.Fprintf(e.stdout, "%3d %s %-15s %-8s %s\n", ev.Seq, ev.At.Format("2006-01-02 15:04:05"), ev.Kind, ev.By, summarize(ev))
		}
		return nil
	}
	return &conversation.UserError{Reason: fmt.Sprintf("thread %s is not in this database", pos[0])}
}

func summarize(ev store.Event) string {
	var m map[string]any
	if json.Unmarshal(ev.Data, &m) != nil {
		return ""
	}
	for _, k := range []string{"text", "message", "reason", "period"} {
		if v, ok := m[k].(string); ok && v != "" {
			v = strings.ReplaceAll(v, "\n", " ")
			if len(v) > 90 {
				v = v[:90] + "…"
			}
			if t, ok := m["topic"].(string); ok {
				return "@" + fmt.Sprint(m["to"]) + " [" + t + "] " + v
			}
			if r, ok := m["rule"].(string); ok {
				return r + ": " + v
			}
			return v
		}
	}
	return ""
}

func (e *env) validate(args []string) error {
	fs := newFlags("validate", e)
	var data strList
	prof := fs.String("profile", "", "company profile (company.yaml)")
	fs.Var(&data, "data", "KPI data file (repeatable)")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *prof == "" || len(data) == 0 {
		return usagef("validate needs --profile and at least one --data")
	}
	ws, err := workspace.Load(*prof, data)
	if err != nil {
		return err
	}
	res := ws.Rules.Evaluate(rules.Input{Data: ws.Data, Intent: rules.Intent{Kind: rules.KindStatus}, Asker: ws.Profile.DefaultAsker()})
	view, err := viewFor(ws)
	if err != nil {
		return err
	}
	for i := range res.Findings {
		res.Findings[i].Message, _ = view.FindingMessage(res.Findings[i])
	}
	if *asJSON {
		return e.printJSON(map[string]any{"ok": true, "workspace": ws.Profile.Workspace, "periods": ws.Data.Len(), "grain": ws.Data.Grain,
			"period": res.Period, "metrics": ws.Data.Metrics(), "limits": ws.Rules.LimitIDs(), "findings": res.Findings})
	}
	first, last := ws.Data.Periods[0], ws.Data.Periods[ws.Data.Len()-1]
	fmt.Fprintf(e.stdout, "OK: %s (%s), %d %s periods %s…%s, %d metrics, %d limits compiled.\n",
		ws.Profile.Company, ws.Profile.Workspace, ws.Data.Len(), ws.Data.Grain, first, last, len(ws.Data.Metrics()), len(ws.Rules.LimitIDs()))
	fmt.Fprintf(e.stdout, "Rules that fire on %s:\n", res.Period)
	for _, f := range res.Findings {
		fmt.Fprintf(e.stdout, "  %-8s %-22s %s\n", f.Severity, f.Rule, f.Message)
	}
	return nil
}

func (e *env) eval(args []string) error {
	fs := newFlags("eval", e)
	verbose := fs.Bool("v", false, "print every failed expectation")
	withLLM := fs.Bool("llm", false, "also run the cases through the configured language model (WHYBOT_LLM) and compare")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("eval takes folders of cases or of replies: whybot eval [--llm] evals/cases [evals/replies]")
	}
	if *withLLM && e.model == nil {
		return usagef("--llm needs a language model: set WHYBOT_LLM (openai, ollama or anthropic) and WHYBOT_LLM_MODEL")
	}
	var failed []string
	for _, dir := range pos {
		var err error
		var bad string
		if evals.IsReplyCorpus(dir) {
			bad, err = e.evalReplies(dir, *verbose, *withLLM)
		} else {
			bad, err = e.evalCases(dir, *verbose, *withLLM)
		}
		if err != nil {
			return err
		}
		if bad != "" {
			failed = append(failed, bad)
		}
	}
	if len(failed) > 0 {
		return refusedError{strings.Join(failed, "; ")}
	}
	return nil
}

// evalCases runs a folder of scenario cases; it returns what failed, or "".
func (e *env) evalCases(dir string, verbose, withLLM bool) (string, error) {
	report, err := evals.RunDir(e.ctx, dir)
	if err != nil {
		return "", err
	}
	report.Print(e.stdout, verbose)
	if withLLM {
		withModel, err := evals.RunDir(e.ctx, dir, e.llmOptions()...)
		if err != nil {
			return "", err
		}
		fmt.Fprintln(e.stdout)
		evals.Compare(e.stdout, report, withModel)
		if verbose {
			for _, res := range withModel.Results {
				for _, f := range res.Failures {
					fmt.Fprintf(e.stdout, "llm: %s: %s\n", res.File, f)
				}
			}
		}
	}
	if report.Failed > 0 {
		return fmt.Sprintf("%d of %d eval cases failed", report.Failed, report.Failed+report.Passed), nil
	}
	return "", nil
}

// evalReplies reads a reply corpus and holds its floors: 95% read right, none dropped,
// none wrong, no invented precision. It returns what failed, or "".
func (e *env) evalReplies(dir string, verbose, withLLM bool) (string, error) {
	fmt.Fprintln(e.stdout)
	report, err := evals.RunReplies(e.ctx, dir)
	if err != nil {
		return "", err
	}
	report.Print(e.stdout, verbose)
	if withLLM {
		withModel, err := evals.RunReplies(e.ctx, dir, e.llmOptions()...)
		if err != nil {
			return "", err
		}
		fmt.Fprintln(e.stdout, "\nwith the language model:")
		withModel.Print(e.stdout, verbose)
	}
	return report.Floors(), nil
}

func viewFor(ws *workspace.Workspace) (prompts.View, error) {
	return prompts.NewView(ws.Profile.Language, ws.Profile)
}
