package pgstore

import (
	"context"
	"fmt"
	"time"
)

// FirstSeen records a delivery key once.
func (s *Store) FirstSeen(ctx context.Context, workspace, key string, at time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO seen_keys (workspace, key, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, workspace, key, at)
	if err != nil {
		return false, fmt.Errorf("record delivery %s: %w", key, err)
	}
	return tag.RowsAffected() == 1, nil
}

// MarkReminded records a reminder once.
func (s *Store) MarkReminded(ctx context.Context, workspace, draftID string, level int, at time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO reminders (workspace, draft_id, level, at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, workspace, draftID, level, at)
	if err != nil {
		return false, fmt.Errorf("record reminder for %s: %w", draftID, err)
	}
	return tag.RowsAffected() == 1, nil
}
