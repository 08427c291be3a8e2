package sqlitestore

import (
	"context"
	"fmt"
	"time"
)

// FirstSeen records a delivery key once.
func (s *Store) FirstSeen(ctx context.Context, workspace, key string, at time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO seen_keys (workspace, key, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, workspace, key, ts(at))
	if err != nil {
		return false, fmt.Errorf("record delivery %s: %w", key, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// MarkReminded records a reminder once.
func (s *Store) MarkReminded(ctx context.Context, workspace, draftID string, level int, at time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO reminders (workspace, draft_id, level, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, workspace, draftID, level, ts(at))
	if err != nil {
		return false, fmt.Errorf("record reminder for %s: %w", draftID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
