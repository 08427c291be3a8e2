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

func insertFacts(ctx context.Context, tx pgx.Tx, workspace, thread string, facts []store.Fact) error {
	if len(facts) == 0 {
		return nil
	}
	var seq int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM facts WHERE workspace = $1 AND thread_id = $2`, workspace, thread).Scan(&seq); err != nil {
		return fmt.Errorf("record facts: %w", err)
	}
	for _, f := range facts {
		seq++
		if _, err := tx.Exec(ctx, `INSERT INTO facts (workspace, thread_id, seq, topic, metric, value, text, by, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			workspace, thread, seq, f.Topic, f.Metric, f.Value, f.Text, f.By, f.At); err != nil {
			return fmt.Errorf("record fact from %s: %w", f.By, err)
		}
	}
	return nil
}

// Facts lists what people told the bot in a thread.
func (s *Store) Facts(ctx context.Context, workspace, threadID string) ([]store.Fact, error) {
	rows, err := s.pool.Query(ctx, `SELECT topic, metric, value, text, by, at FROM facts WHERE workspace = $1 AND thread_id = $2 ORDER BY seq`, workspace, threadID)
	if err != nil {
		return nil, fmt.Errorf("list facts of %s: %w", threadID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Fact, error) {
		var f store.Fact
		err := r.Scan(&f.Topic, &f.Metric, &f.Value, &f.Text, &f.By, &f.At)
		f.At = f.At.UTC()
		return f, err
	})
	if err != nil {
		return nil, fmt.Errorf("list facts of %s: %w", threadID, err)
	}
	return out, nil
}

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

// ReplaceKPI swaps a workspace's KPI snapshot, loading the rows with COPY.
func (s *Store) ReplaceKPI(ctx context.Context, workspace string, rows []store.KPIRow, at time.Time) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// replicas starting together replace the same snapshot: one at a time, or both
		// deletes would run before both inserts and the rows would be there twice
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('whybot.kpi:' || $1, 0))`, workspace); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM kpi_rows WHERE workspace = $1`, workspace); err != nil {
			return err
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"kpi_rows"},
			[]string{"workspace", "ord", "period", "metric", "value", "channel", "segment", "campaign", "source", "medium", "file", "line"},
			pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
				r := rows[i]
				return []any{workspace, i, r.Period, r.Metric, r.Value, r.Channel, r.Segment, r.Campaign, r.Source, r.Medium, r.File, r.Line}, nil
			}))
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO kpi_snapshots (workspace, loaded_at, rows) VALUES ($1, $2, $3)
			ON CONFLICT (workspace) DO UPDATE SET loaded_at = excluded.loaded_at, rows = excluded.rows`, workspace, at, len(rows))
		return err
	})
	if err != nil {
		return fmt.Errorf("store KPI of %s: %w", workspace, err)
	}
	return nil
}

// KPI returns a workspace's KPI snapshot.
func (s *Store) KPI(ctx context.Context, workspace string) ([]store.KPIRow, time.Time, error) {
	var loaded time.Time
	err := s.pool.QueryRow(ctx, `SELECT loaded_at FROM kpi_snapshots WHERE workspace = $1`, workspace).Scan(&loaded)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, time.Time{}, nil
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("read KPI of %s: %w", workspace, err)
	}
	rows, err := s.pool.Query(ctx, `SELECT period, metric, value, channel, segment, campaign, source, medium, file, line FROM kpi_rows WHERE workspace = $1 ORDER BY ord`, workspace)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("read KPI of %s: %w", workspace, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.KPIRow, error) {
		var k store.KPIRow
		err := r.Scan(&k.Period, &k.Metric, &k.Value, &k.Channel, &k.Segment, &k.Campaign, &k.Source, &k.Medium, &k.File, &k.Line)
		return k, err
	})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("read KPI of %s: %w", workspace, err)
	}
	return out, loaded.UTC(), nil
}
