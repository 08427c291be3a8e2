package slack

import (
	"context"
	"fmt"

	goslack "github.com/slack-go/slack"

	"github.com/whybot/whybot/bot/chat"
	"github.com/whybot/whybot/knowledge/profile"
)

// Reviews is a workspace's Slack review channel, where reminders go (chat.Notifier);
// Slack notifies the people a message mentions.
type Reviews struct {
	chat.AtMarkup
	api      *goslack.Client
	teams    *Teams
	fallback string
}

// ReviewChannels are the workspaces' review channels; fallback is the channel when a
// profile names none.
func ReviewChannels(api *goslack.Client, fallback string) Reviews {
	return Reviews{AtMarkup: markup, api: api, fallback: fallback}
}

// WithTeams posts each workspace's reminders with its own team's client.
func (r Reviews) WithTeams(t *Teams) Reviews {
	r.teams = t
	return r
}

// PostReview posts text in the workspace's review channel.
func (r Reviews) PostReview(ctx context.Context, p *profile.Profile, text string, _ []string) error {
	channel, err := reviewChannel(p, r.fallback)
	if err != nil {
		return err
	}
	api, err := clientFor(ctx, r.api, r.teams, p.Workspace)
	if err != nil {
		return fmt.Errorf("post reminder of %s: %w", p.Workspace, err)
	}
	err = retryRateLimited(ctx, nil, 0, "chat.postMessage", func() error {
		_, _, err := api.PostMessageContext(ctx, channel, goslack.MsgOptionText(text, false))
		return err
	})
	if err != nil {
		return fmt.Errorf("post reminder in %s: %w", channel, err)
	}
	return nil
}

// PostInThread posts text in a conversation's thread.
func (r Reviews) PostInThread(ctx context.Context, p *profile.Profile, thread, text string, _ []string) error {
	channel, ts, err := SplitChannel(thread)
	if err != nil {
		return err
	}
	api, err := clientFor(ctx, r.api, r.teams, p.Workspace)
	if err != nil {
		return fmt.Errorf("post reminder of %s: %w", p.Workspace, err)
	}
	err = retryRateLimited(ctx, nil, 0, "chat.postMessage", func() error {
		_, _, err := api.PostMessageContext(ctx, channel, goslack.MsgOptionText(text, false), goslack.MsgOptionTS(ts))
		return err
	})
	if err != nil {
		return fmt.Errorf("post reminder in %s: %w", thread, err)
	}
	return nil
}
