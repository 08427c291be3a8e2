package pgstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/whybot/whybot/knowledge/store"
)

// Receive queues a delivery once.
func (s *Store) Receive(ctx context.Context, in store.Inbound) (bool, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO inbox (source, key, payload, state, received_at) VALUES ($1, $2, $3::jsonb, 'queued', $4)
		ON CONFLICT (source, key) DO NOTHING`, in.Source, in.Key, jsonOr(in.Payload, "{}"), in.ReceivedAt)
	if err != nil {
		return false, fmt.Errorf("receive %s delivery %s: %w", in.Source, in.Key, err)
	}
	return tag.RowsAffected() == 1, nil
}

// ClaimInbound takes deliveries to handle; replicas skip each other's rows.
func (s *Store) ClaimInbound(ctx context.Context, source string, now time.Time, lease time.Duration, limit int) ([]store.Inbound, error) {
	rows, err := s.pool.Query(ctx, `UPDATE inbox SET state = 'working', claimed_at = $1, attempts = attempts + 1
		WHERE id IN (SELECT id FROM inbox WHERE source = $4 AND state IN ('queued', 'working') AND ((state = 'queued' AND (available_at IS NULL OR available_at <= $1)) OR (state = 'working' AND claimed_at < $2))
			ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
		RETURNING id, source, key, payload, state, attempts, last_error, received_at`, now, now.Add(-lease), limit, source)
	if err != nil {
		return nil, fmt.Errorf("claim %s deliveries: %w", source, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Inbound, error) {
		var in store.Inbound
		var payload []byte
		err := r.Scan(&in.ID, &in.Source, &in.Key, &payload, &in.State, &in.Attempts, &in.LastError, &in.ReceivedAt)
		in.Payload, in.ReceivedAt = payload, in.ReceivedAt.UTC()
		return in, err
	})
	if err != nil {
		return nil, fmt.Errorf("claim %s deliveries: %w", source, err)
	}
	slices.SortFunc(out, func(a, b store.Inbound) int { return cmp.Compare(a.ID, b.ID) }) // oldest first
	return out, nil
}

// FinishInbound records a delivery's outcome.
func (s *Store) FinishInbound(ctx context.Context, id int64, errMsg string, retryAt time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE inbox SET claimed_at = NULL, last_error = $1, available_at = $4,
		state = CASE WHEN $1 = '' THEN 'done' WHEN attempts >= $2 THEN 'failed' ELSE 'queued' END
		WHERE id = $3 AND state = 'working'`, errMsg, store.InboxAttempts, id, retryAt)
	if err != nil {
		return fmt.Errorf("finish delivery %d: %w", id, err)
	}
	return nil
}

// PruneInbox deletes handled and failed deliveries received before a moment, a batch at a
// time (no long lock, no long transaction).
func (s *Store) PruneInbox(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		tag, err := s.pool.Exec(ctx, `DELETE FROM inbox WHERE id IN (SELECT id FROM inbox
			WHERE state IN ('done', 'failed') AND received_at < $1 LIMIT 5000)`, before)
		if err != nil {
			return total, fmt.Errorf("prune the inbox: %w", err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < 5000 {
			return total, nil
		}
	}
}
