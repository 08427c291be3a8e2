// Package delivery posts the bot's messages of a platform delivery (clarifying questions,
// holding notes, review cards) so that handling the delivery again, after a failed post,
// a crash or on another replica, posts each message once: a message is recorded as posted
// only after the platform accepted it, and when an earlier attempt may have reached the
// platform, the platform is searched for the message's key before it is posted again.
package delivery

import (
	"context"
	"fmt"
	"time"

	"github.com/whybot/whybot/knowledge/store"
)

// Handling is the delivery a transport's worker is handling, as the posts it makes need it.
type Handling struct {
	Key   string    // the inbox key of the delivery
	Retry bool      // it was tried before: what it posted then may be on the platform already
	Since time.Time // when it was received: a message it posted is newer
}

type handlingKey struct{}

// WithHandling is ctx carrying the delivery being handled.
func WithHandling(ctx context.Context, in store.Inbound) context.Context {
	return context.WithValue(ctx, handlingKey{}, Handling{Key: in.Key, Retry: in.Attempts > 1, Since: in.ReceivedAt})
}

// HandlingOf is the delivery being handled (zero when none).
func HandlingOf(ctx context.Context) Handling {
	h, _ := ctx.Value(handlingKey{}).(Handling)
	return h
}

// Marks records the messages the platform accepted (the store).
type Marks interface {
	ChatPosted(ctx context.Context, workspace, key string) (ref string, ok bool, err error)
	MarkChatPosted(ctx context.Context, workspace, key, ref string, at time.Time) error
}

// Message is one bot message of a delivery.
type Message struct {
	Workspace string
	Key       string // unique in the workspace: the delivery's message key and which message
	// Retry says the delivery was tried before, so this message may have reached the
	// platform even though it was not recorded (the process died, or the platform answered
	// too late): Find is asked first.
	Retry bool
	// Find looks on the platform for a message carrying Key; found is false when there is none.
	Find func(ctx context.Context) (ref string, found bool, err error)
	// Post posts the message, carrying Key where the platform keeps it (Slack message
	// metadata, Discord's nonce).
	Post func(ctx context.Context) (ref string, err error)
}

// Once posts m unless it was posted before, and returns the platform's reference of it.
func Once(ctx context.Context, marks Marks, m Message, now func() time.Time) (string, error) {
	if ref, ok, err := marks.ChatPosted(ctx, m.Workspace, m.Key); err != nil || ok {
		return ref, err
	}
	if m.Retry && m.Find != nil {
		ref, found, err := m.Find(ctx)
		if err != nil {
			return "", fmt.Errorf("look for message %s before posting it again: %w", m.Key, err)
		}
		if found {
			return ref, marks.MarkChatPosted(ctx, m.Workspace, m.Key, ref, now().UTC())
		}
	}
	ref, err := m.Post(ctx)
	if err != nil {
		return "", err
	}
	return ref, marks.MarkChatPosted(ctx, m.Workspace, m.Key, ref, now().UTC())
}
