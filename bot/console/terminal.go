package console

import (
	"bytes"
	"context"
	"fmt"

	"github.com/whybot/whybot/bot/chat"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/prompts"
)

// terminal is the console as the chat core speaks through it (chat.Platform, and
// chat.Review for a decision on draft): what it says in the thread, on the review card
// and to the reviewer is written out once the turn or the decision is done, after the
// turn's summary.
type terminal struct {
	c     *Chat
	draft string
	out   bytes.Buffer
}

func (t *terminal) flush() { _, _ = t.c.Out.Write(t.out.Bytes()) }

// Mention names a person by handle: everyone in the console is the one person typing.
func (*terminal) Mention(_ *profile.Profile, handle string) string { return "@" + handle }

// MentionUser names a platform user; the console has none but the people of the profile.
func (*terminal) MentionUser(id string) string { return "@" + id }

// Escape leaves text as it is: a terminal has no markup.
func (*terminal) Escape(text string) string { return text }

// Say writes a message of the thread.
func (t *terminal) Say(_ context.Context, _ *profile.Profile, _, text string, _ []string) error {
	_, err := fmt.Fprintf(&t.out, "[to the thread] %s\n", text)
	return err
}

// Card writes the draft waiting for a reviewer.
func (t *terminal) Card(ctx context.Context, set *prompts.Set, _ *profile.Profile, draftID, _ string) error {
	d, err := t.c.Store.Draft(ctx, t.c.Workspace.Profile.Workspace, draftID)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(&t.out, "\n--- draft %s (%s) ---\n%s\n---\n", d.ID, set.UI("pending"), d.Text)
	return err
}

// Note writes what only the reviewer is told.
func (t *terminal) Note(_ context.Context, text string) error {
	_, err := fmt.Fprintf(&t.out, "! %s\n", text)
	return err
}

// Update writes the review card's decision line.
func (t *terminal) Update(ctx context.Context) error {
	p := t.c.Workspace.Profile
	d, err := t.c.Store.Draft(ctx, p.Workspace, t.draft)
	if err != nil {
		return err
	}
	set, err := prompts.For(p.Language)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(&t.out, "Draft %s: %s\n", d.ID, chat.Decision(set, "console", d, chat.Who(t, p, d.DecidedBy), "", d.Reason))
	return err
}

// InThread is the console itself: one thread at a time.
func (t *terminal) InThread(store.Thread) (chat.Platform, error) { return t, nil }
