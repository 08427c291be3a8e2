package slack

import (
	"context"
	"fmt"

	goslack "github.com/slack-go/slack"

	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/workspace"
)

// Notifier posts review reminders in a workspace's review channel, with the people
// reminded mentioned by their Slack ids.
type Notifier struct {
	API           *goslack.Client
	Store         workspace.Getter
	ReviewChannel string // used when the profile names none
}

// Remind posts one reminder; text names people as @handle.
func (n *Notifier) Remind(ctx context.Context, workspaceID, text string, to []string) error {
	p, err := workspace.ProfileByID(ctx, n.Store, workspaceID)
	if err != nil {
		return err
	}
	channel, err := reviewChannel(p, n.ReviewChannel)
	if err != nil {
		return err
	}
	text = profile.MentionHandles(escape(text), "@", to, func(h string) string { return mention(p, h) })
	err = retryRateLimited(ctx, nil, 0, "chat.postMessage", func() error {
		_, _, err := n.API.PostMessageContext(ctx, channel, goslack.MsgOptionText(text, false))
		return err
	})
	if err != nil {
		return fmt.Errorf("post reminder in %s: %w", channel, err)
	}
	return nil
}
