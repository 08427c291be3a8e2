package sqlitestore

import (
	"context"
	"fmt"
	"time"

	"github.com/whybot/whybot/knowledge/store"
)

const outboxCols = `o.workspace, o.draft_id, o.thread_id, o.transport, o.channel, o.text, o.idempotency_key, o.state, o.attempts, o.last_error, a.by, o.created_at`

func scanOutbox(r scanner) (store.Outbox, error) {
	var o store.Outbox
	var created string
	err := r.Scan(&o.Workspace, &o.DraftID, &o.ThreadID, &o.Transport, &o.Channel, &o.Text, &o.IdempotencyKey, &o.State, &o.Attempts, &o.LastError, &o.ApprovedBy, &created)
	o.CreatedAt = parseTS(created)
	return o, err
}

// ClaimOutbox takes a row for posting.
func (s *Store) ClaimOutbox(ctx context.Context, workspace, draftID string, now time.Time, lease time.Duration) (store.Outbox, bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE outbox SET state = 'sending', claimed_at = ?, attempts = attempts + 1
		WHERE workspace = ? AND draft_id = ? AND (state = 'pending' OR (state = 'sending' AND claimed_at < ?))`,
		ts(now), workspace, draftID, ts(now.Add(-lease)))
	if err != nil {
		return store.Outbox{}, false, fmt.Errorf("claim post of %s: %w", draftID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return store.Outbox{}, false, nil
	}
	o, err := scanOutbox(s.db.QueryRowContext(ctx, `SELECT `+outboxCols+` FROM outbox o JOIN approvals a ON a.workspace = o.workspace AND a.draft_id = o.draft_id
		WHERE o.workspace = ? AND o.draft_id = ?`, workspace, draftID))
	if err != nil {
		return o, false, fmt.Errorf("claim post of %s: %w", draftID, err)
	}
	return o, true, nil
}

// PendingOutbox lists rows to post.
func (s *Store) PendingOutbox(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]store.Outbox, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+outboxCols+` FROM outbox o JOIN approvals a ON a.workspace = o.workspace AND a.draft_id = o.draft_id
		WHERE (o.state = 'pending' AND o.available_at <= ?) OR (o.state = 'sending' AND o.claimed_at < ?) ORDER BY o.created_at LIMIT ?`,
		ts(now), ts(now.Add(-lease)), limit)
	if err != nil {
		return nil, fmt.Errorf("list pending posts: %w", err)
	}
	defer rows.Close()
	var out []store.Outbox
	for rows.Next() {
		o, err := scanOutbox(rows)
		if err != nil {
			return nil, fmt.Errorf("list pending posts: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// MarkPosted records a post.
func (s *Store) MarkPosted(ctx context.Context, workspace, draftID string, at time.Time, ref string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("mark %s posted: %w", draftID, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE outbox SET state = 'sent', sent_at = ?, ref = ? WHERE workspace = ? AND draft_id = ? AND state = 'sending'`,
		ts(at), ref, workspace, draftID)
	if err != nil {
		return fmt.Errorf("mark %s posted: %w", draftID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("mark %s posted: %w", draftID, store.ErrConflict)
	}
	var threadID, text string
	if err := tx.QueryRowContext(ctx, `SELECT thread_id, text FROM outbox WHERE workspace = ? AND draft_id = ?`, workspace, draftID).Scan(&threadID, &text); err != nil {
		return fmt.Errorf("mark %s posted: %w", draftID, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE drafts SET state = 'posted', posted_at = ? WHERE workspace = ? AND id = ?`, ts(at), workspace, draftID); err != nil {
		return fmt.Errorf("mark %s posted: %w", draftID, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE threads SET state = 'posted', version = version + 1, updated_at = ? WHERE workspace = ? AND id = ?`, ts(at), workspace, threadID); err != nil {
		return fmt.Errorf("mark %s posted: %w", draftID, err)
	}
	if err := appendEvents(ctx, tx, workspace, threadID, []store.Event{store.PostedEvent(draftID, text, ref, at)}); err != nil {
		return err
	}
	return tx.Commit()
}

// ReleaseOutbox puts a claimed row back after a failure.
func (s *Store) ReleaseOutbox(ctx context.Context, workspace, draftID string, now time.Time, errMsg string) error {
	var attempts int
	err := s.db.QueryRowContext(ctx, `SELECT attempts FROM outbox WHERE workspace = ? AND draft_id = ?`, workspace, draftID).Scan(&attempts)
	if err != nil {
		return fmt.Errorf("release post of %s: %w", draftID, err)
	}
	_, err = s.db.ExecContext(ctx, `UPDATE outbox SET state = 'pending', last_error = ?, claimed_at = NULL, available_at = ? WHERE workspace = ? AND draft_id = ? AND state = 'sending'`,
		errMsg, ts(now.Add(store.Backoff(attempts))), workspace, draftID)
	if err != nil {
		return fmt.Errorf("release post of %s: %w", draftID, err)
	}
	return nil
}
