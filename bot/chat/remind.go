package chat

import (
	"context"

	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/workspace"
)

// Reviews is a platform's review channel, where the reminders go.
type Reviews interface {
	Markup
	// PostReview posts text in the workspace's review channel, notifying the people whose
	// handles are in notify and nobody else.
	PostReview(ctx context.Context, p *profile.Profile, text string, notify []string) error
	// PostInThread posts text in a conversation's thread (store.Thread.Channel), notifying
	// the people whose handles are in notify and nobody else.
	PostInThread(ctx context.Context, p *profile.Profile, channel, text string, notify []string) error
}

// Notifier posts review reminders and escalations in a workspace's review channel on
// one platform, with the people reminded mentioned.
type Notifier struct {
	Store   workspace.Getter
	Reviews Reviews
}

// Remind posts one reminder; text names the people reminded as @handle.
func (n *Notifier) Remind(ctx context.Context, workspaceID, text string, to []string) error {
	p, err := workspace.ProfileByID(ctx, n.Store, workspaceID)
	if err != nil {
		return err
	}
	return n.Reviews.PostReview(ctx, p, Mentioned(n.Reviews, p, text, to), to)
}

// RemindInThread reminds people in a conversation's thread of the questions they said
// they would answer later; text names them as @handle.
func (n *Notifier) RemindInThread(ctx context.Context, workspaceID, channel, text string, to []string) error {
	p, err := workspace.ProfileByID(ctx, n.Store, workspaceID)
	if err != nil {
		return err
	}
	return n.Reviews.PostInThread(ctx, p, channel, Mentioned(n.Reviews, p, text, to), to)
}
