package slack

import (
	"context"
	"fmt"
	"slices"
	"strings"

	goslack "github.com/slack-go/slack"

	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/workspace"
)

// Notifier posts review reminders in a workspace's review channel, with the people
// reminded mentioned by their Slack ids.
type Notifier struct {
	API   *goslack.Client
	Store interface {
		Workspace(ctx context.Context, id string) (store.Workspace, error)
	}
	ReviewChannel string // used when the profile names none
}

// Remind posts one reminder; text names people as @handle.
func (n *Notifier) Remind(ctx context.Context, workspaceID, text string, to []string) error {
	rec, err := n.Store.Workspace(ctx, workspaceID)
	if err != nil {
		return fmt.Errorf("load workspace %s: %w", workspaceID, err)
	}
	p, err := workspace.StoredProfile(rec)
	if err != nil {
		return err
	}
	channel, err := reviewChannel(p, n.ReviewChannel)
	if err != nil {
		return err
	}
	text = escape(text)
	to = slices.Clone(to)
	slices.SortFunc(to, func(a, b string) int { return len(b) - len(a) }) // @lucas before @luca
	for _, h := range to {
		text = strings.ReplaceAll(text, "@"+h, mention(p, h))
	}
	err = retryRateLimited(ctx, nil, 0, "chat.postMessage", func() error {
		_, _, err := n.API.PostMessageContext(ctx, channel, goslack.MsgOptionText(text, false))
		return err
	})
	if err != nil {
		return fmt.Errorf("post reminder in %s: %w", channel, err)
	}
	return nil
}
