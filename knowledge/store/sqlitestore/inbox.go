package sqlitestore

import (
	"context"
	"fmt"
	"time"

	"github.com/whybot/whybot/knowledge/store"
)

// Receive queues a delivery once.
func (s *Store) Receive(ctx context.Context, in store.Inbound) (bool, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO inbox (source, key, payload, state, received_at) VALUES (?, ?, ?, 'queued', ?)
		ON CONFLICT (source, key) DO NOTHING`, in.Source, in.Key, jsonOr(in.Payload, "{}"), ts(in.ReceivedAt))
	if err != nil {
		return false, fmt.Errorf("receive %s delivery %s: %w", in.Source, in.Key, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ClaimInbound takes deliveries to handle.
func (s *Store) ClaimInbound(ctx context.Context, source string, now time.Time, lease time.Duration, limit int) ([]store.Inbound, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("claim %s deliveries: %w", source, err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT id, source, key, payload, state, attempts, last_error, received_at FROM inbox
		WHERE source = ? AND state IN ('queued', 'working') AND ((state = 'queued' AND (available_at IS NULL OR available_at <= ?)) OR (state = 'working' AND claimed_at < ?)) ORDER BY id LIMIT ?`, source, ts(now), ts(now.Add(-lease)), limit)
	if err != nil {
		return nil, fmt.Errorf("claim %s deliveries: %w", source, err)
	}
	var out []store.Inbound
	for rows.Next() {
		var in store.Inbound
		var payload, received string
		if err := rows.Scan(&in.ID, &in.Source, &in.Key, &payload, &in.State, &in.Attempts, &in.LastError, &received); err != nil {
			rows.Close()
			return nil, fmt.Errorf("claim %s deliveries: %w", source, err)
		}
		in.Payload, in.ReceivedAt = []byte(payload), parseTS(received)
		out = append(out, in)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim %s deliveries: %w", source, err)
	}
	for i := range out {
		if _, err := tx.ExecContext(ctx, `UPDATE inbox SET state = 'working', claimed_at = ?, attempts = attempts + 1 WHERE id = ?`, ts(now), out[i].ID); err != nil {
			return nil, fmt.Errorf("claim %s deliveries: %w", source, err)
		}
		out[i].State = store.InboxWorking
		out[i].Attempts++
	}
	return out, tx.Commit()
}

// FinishInbound records a delivery's outcome.
func (s *Store) FinishInbound(ctx context.Context, id int64, errMsg string, retryAt time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE inbox SET claimed_at = NULL, last_error = ?, available_at = ?,
		state = CASE WHEN ? = '' THEN 'done' WHEN attempts >= ? THEN 'failed' ELSE 'queued' END
		WHERE id = ? AND state = 'working'`, errMsg, ts(retryAt), errMsg, store.InboxAttempts, id)
	if err != nil {
		return fmt.Errorf("finish delivery %d: %w", id, err)
	}
	return nil
}

// PruneInbox deletes handled and failed deliveries received before a moment, a batch at a
// time (a write lock is held only briefly).
func (s *Store) PruneInbox(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		res, err := s.db.ExecContext(ctx, `DELETE FROM inbox WHERE id IN (SELECT id FROM inbox
			WHERE state IN ('done', 'failed') AND received_at < ? LIMIT 5000)`, ts(before))
		if err != nil {
			return total, fmt.Errorf("prune the inbox: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
		if n < 5000 {
			return total, nil
		}
	}
}
