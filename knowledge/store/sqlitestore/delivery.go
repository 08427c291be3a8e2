package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/whybot/whybot/knowledge/store"
)

// TurnReply returns the reply kept under a message key.
func (s *Store) TurnReply(ctx context.Context, workspace, key string) (json.RawMessage, error) {
	var reply string
	err := s.db.QueryRowContext(ctx, `SELECT reply FROM turn_replies WHERE workspace = ? AND key = ?`, workspace, key).Scan(&reply)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read the reply to %s: %w", key, err)
	}
	return json.RawMessage(reply), nil
}

// ChatPosted returns a recorded bot message.
func (s *Store) ChatPosted(ctx context.Context, workspace, key string) (string, bool, error) {
	var ref string
	err := s.db.QueryRowContext(ctx, `SELECT ref FROM chat_posts WHERE workspace = ? AND key = ?`, workspace, key).Scan(&ref)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read post %s: %w", key, err)
	}
	return ref, true, nil
}

// MarkChatPosted records a bot message the platform accepted.
func (s *Store) MarkChatPosted(ctx context.Context, workspace, key, ref string, at time.Time) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO chat_posts (workspace, key, ref, posted_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		workspace, key, ref, ts(at)); err != nil {
		return fmt.Errorf("record post %s: %w", key, err)
	}
	return nil
}
