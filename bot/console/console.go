// Package console is the terminal transport: an interactive conversation where one person
// plays every role (asker, the people who answer, the reviewer), and a Poster that prints
// approved answers. It converses through the same chat core as Slack and Discord: what
// the core says in the thread and shows on the review card is printed.
package console

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/whybot/whybot/bot/chat"
	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/workspace"
	"github.com/whybot/whybot/prompts"
)

// Poster prints approved answers to a writer.
type Poster struct{ W io.Writer }

// Post prints the answer as it would appear in the thread.
func (p Poster) Post(_ context.Context, post conversation.Post) (string, error) {
	_, err := fmt.Fprintf(p.W, "\n=== posted in thread %s (approved by %s) ===\n%s\n===\n", post.ThreadID, post.ApprovedBy, post.Text)
	if err != nil {
		return "", fmt.Errorf("print answer: %w", err)
	}
	return "console:" + post.ThreadID, nil
}

// Chat runs the interactive conversation until EOF or /quit.
type Chat struct {
	Engine    *conversation.Engine
	Store     conversation.ReviewStore
	Workspace *workspace.Workspace
	In        io.Reader
	Out       io.Writer
	As        string // current identity
	Lang      string

	thread string
	draft  string
}

const help = `Commands:
  <text>                 ask a question, or answer the bot's questions
  /as HANDLE [text]      speak as someone from company.yaml (alone: switch identity)
  /anyway                draft now, with the open questions as caveats
  /approve               approve the draft (as a reviewer)
  /edit TEXT             approve an edited text instead of the draft
  /reject REASON         reject the draft with a reason
  /who                   list the people
  /new                   start a new thread
  /lang it|en            answer language
  /help, /quit`

// Run reads lines and answers until the input ends.
func (c *Chat) Run(ctx context.Context) error {
	p := c.Workspace.Profile
	if c.As == "" {
		c.As = p.DefaultAsker().Handle
	}
	fmt.Fprintf(c.Out, "whybot — %s (%s). You are %s. Type /help for commands.\n", p.Company, p.Workspace, c.As)
	fmt.Fprintln(c.Out, `Try: perché i lead sono aumentati del 30%?  or  why did leads rise 30%?`)
	sc := bufio.NewScanner(c.In)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for {
		fmt.Fprintf(c.Out, "%s> ", c.As)
		if !sc.Scan() {
			fmt.Fprintln(c.Out)
			return sc.Err()
		}
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if quit := c.handle(ctx, line, c.As); quit {
			return nil
		}
	}
}

func (c *Chat) handle(ctx context.Context, line, as string) (quit bool) {
	cmd, rest, _ := strings.Cut(line, " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(cmd) {
	case "/quit", "/exit":
		return true
	case "/help":
		fmt.Fprintln(c.Out, help)
	case "/who":
		for _, x := range c.Workspace.Profile.People {
			rev := ""
			if x.Reviewer {
				rev = ", reviewer"
			}
			fmt.Fprintf(c.Out, "  %-10s %s (%s%s)\n", x.Handle, x.DisplayName(), x.Role, rev)
		}
	case "/as":
		handle, text, _ := strings.Cut(rest, " ")
		if _, ok := c.Workspace.Profile.Person(handle); !ok {
			c.fail(&conversation.UserError{Reason: fmt.Sprintf("%q is not in company.yaml; /who lists the people", handle)})
			return false
		}
		if strings.TrimSpace(text) == "" {
			c.As = strings.ToLower(handle)
			fmt.Fprintf(c.Out, "You are now %s.\n", c.As)
			return false
		}
		return c.handle(ctx, strings.TrimSpace(text), strings.ToLower(handle))
	case "/new":
		c.thread, c.draft = "", ""
		fmt.Fprintln(c.Out, "New thread: ask a question.")
	case "/lang":
		c.Lang = rest
	case "/anyway":
		c.say(ctx, "answer anyway", as)
	case "/approve":
		c.decide(ctx, as, conversation.Action{Approve: true})
	case "/edit":
		if rest == "" {
			c.fail(&conversation.UserError{Reason: "write the new text after /edit"})
			return false
		}
		c.decide(ctx, as, conversation.Action{Approve: true, EditedText: rest})
	case "/reject":
		c.decide(ctx, as, conversation.Action{Reason: rest})
	default:
		if strings.HasPrefix(cmd, "/") {
			c.fail(&conversation.UserError{Reason: fmt.Sprintf("unknown command %s; /help lists them", cmd)})
			return false
		}
		c.say(ctx, line, as)
	}
	return false
}

func (c *Chat) say(ctx context.Context, text, as string) {
	t := &terminal{c: c}
	r, err := chat.Turn(ctx, c.Engine, t, c.Workspace, conversation.Request{ThreadID: c.thread, As: as, Text: text, Lang: c.Lang, Transport: store.TransportConsole, Channel: "console"})
	if err != nil {
		c.fail(err)
		return
	}
	c.thread = r.Thread
	Print(c.Out, r)
	t.flush()
	if r.Draft != nil {
		c.draft = r.Draft.ID
	}
}

func (c *Chat) decide(ctx context.Context, as string, a conversation.Action) {
	if c.draft == "" {
		c.fail(&conversation.UserError{Reason: "there is no draft to decide on yet"})
		return
	}
	t := &terminal{c: c, draft: c.draft}
	err := chat.Decide(ctx, c.Engine, c.Store, t, c.Workspace.Profile, c.draft, record.Person(as), a)
	t.flush()
	if err != nil {
		c.fail(err)
	}
}

func (c *Chat) fail(err error) {
	var ue *conversation.UserError
	if errors.As(err, &ue) {
		fmt.Fprintf(c.Out, "! %s\n", ue.Reason)
		return
	}
	fmt.Fprintf(c.Out, "! %v\n", err)
}

// Print writes a turn's summary for people: the thread and its state, and the rules that
// fired.
func Print(w io.Writer, r conversation.Reply) {
	fmt.Fprintf(w, "[thread %s · %s]\n", r.Thread, r.State)
	if len(r.Findings) > 0 {
		fmt.Fprintln(w, "Rules:")
		for _, f := range r.Findings {
			fmt.Fprintf(w, "  %-8s %-22s %s\n", f.Severity, f.Rule, f.Message)
		}
	}
}

// PrintThread writes what a turn says in the thread: what was read from a reply, the
// questions put again, the questions, with whom they are for, or the draft waiting for
// approval.
func PrintThread(w io.Writer, r conversation.Reply) {
	view, err := prompts.NewView(r.Language, nil)
	if err != nil {
		fmt.Fprintf(w, "! %v\n", err)
		return
	}
	for _, line := range r.Readback { // what was read from the reply, to confirm or correct
		fmt.Fprintf(w, "  ✓ %s\n", line)
	}
	for _, q := range r.AskedBack {
		fmt.Fprintf(w, "  ? @%s [%s] %s\n", q.To, q.Topic, q.Text)
	}
	if r.Later != "" {
		fmt.Fprintf(w, "  … %s\n", r.Later)
	}
	if r.State == store.ThreadAwaitingAnswers && len(r.Questions) > 0 {
		fmt.Fprintln(w, view.Set.UI("questions_intro"))
		for _, q := range r.Questions {
			fmt.Fprintf(w, "  → @%s [%s] %s\n", q.To, q.Topic, q.Text)
		}
	}
	if r.Draft != nil {
		fmt.Fprintf(w, "\n--- draft %s (pending approval) ---\n%s\n---\n%s\n", r.Draft.ID, r.Draft.Text, view.Set.UI("pending"))
	}
}
