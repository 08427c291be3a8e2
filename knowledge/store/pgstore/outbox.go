package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/whybot/whybot/knowledge/store"
)

const outboxCols = `o.workspace, o.draft_id, o.thread_id, o.transport, o.channel, o.text, o.idempotency_key, o.state, o.attempts, o.last_error, a.by, o.created_at`

func scanOutbox(r pgx.Row) (store.Outbox, error) {
	var o store.Outbox
	err := r.Scan(&o.Workspace, &o.DraftID, &o.ThreadID, &o.Transport, &o.Channel, &o.Text, &o.IdempotencyKey, &o.State, &o.Attempts, &o.LastError, &o.ApprovedBy, &o.CreatedAt)
	o.CreatedAt = o.CreatedAt.UTC()
	return o, err
}

// ClaimOutbox takes a row for posting.
func (s *Store) ClaimOutbox(ctx context.Context, workspace, draftID string, now time.Time, lease time.Duration) (store.Outbox, bool, error) {
	o, err := scanOutbox(s.pool.QueryRow(ctx, `WITH c AS (
			UPDATE outbox SET state = 'sending', claimed_at = $3, attempts = attempts + 1
			WHERE workspace = $1 AND draft_id = $2 AND (state = 'pending' OR (state = 'sending' AND claimed_at < $4))
			RETURNING *)
		SELECT `+outboxCols+` FROM c o JOIN approvals a ON a.workspace = o.workspace AND a.draft_id = o.draft_id`,
		workspace, draftID, now, now.Add(-lease)))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Outbox{}, false, nil
	}
	if err != nil {
		return store.Outbox{}, false, fmt.Errorf("claim post of %s: %w", draftID, err)
	}
	return o, true, nil
}

// PendingOutbox lists rows to post.
func (s *Store) PendingOutbox(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]store.Outbox, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+outboxCols+` FROM outbox o JOIN approvals a ON a.workspace = o.workspace AND a.draft_id = o.draft_id
		WHERE (o.state = 'pending' AND o.available_at <= $1) OR (o.state = 'sending' AND o.claimed_at < $2) ORDER BY o.created_at LIMIT $3`,
		now, now.Add(-lease), limit)
	if err != nil {
		return nil, fmt.Errorf("list pending posts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Outbox, error) { return scanOutbox(r) })
	if err != nil {
		return nil, fmt.Errorf("list pending posts: %w", err)
	}
	return out, nil
}

// MarkPosted records a post.
func (s *Store) MarkPosted(ctx context.Context, workspace, draftID string, at time.Time, ref string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var threadID, text string
		err := tx.QueryRow(ctx, `UPDATE outbox SET state = 'sent', sent_at = $1, ref = $2 WHERE workspace = $3 AND draft_id = $4 AND state = 'sending'
			RETURNING thread_id, text`, at, ref, workspace, draftID).Scan(&threadID, &text)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrConflict
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE drafts SET state = 'posted', posted_at = $1 WHERE workspace = $2 AND id = $3`, at, workspace, draftID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE threads SET state = 'posted', version = version + 1, updated_at = $1 WHERE workspace = $2 AND id = $3`, at, workspace, threadID); err != nil {
			return err
		}
		return appendEvents(ctx, tx, workspace, threadID, []store.Event{store.PostedEvent(draftID, text, ref, at)})
	})
	if err != nil {
		return fmt.Errorf("mark %s posted: %w", draftID, err)
	}
	return nil
}

// ReleaseOutbox puts a claimed row back after a failure, to retry after a backoff.
func (s *Store) ReleaseOutbox(ctx context.Context, workspace, draftID string, now time.Time, errMsg string) error {
	_, err := s.pool.Exec(ctx, `UPDATE outbox SET state = 'pending', last_error = $1, claimed_at = NULL,
		available_at = $2::timestamptz + make_interval(secs => LEAST(3600, 5 * power(2, GREATEST(attempts - 1, 0))))
		WHERE workspace = $3 AND draft_id = $4 AND state = 'sending'`, errMsg, now, workspace, draftID)
	if err != nil {
		return fmt.Errorf("release post of %s: %w", draftID, err)
	}
	return nil
}
