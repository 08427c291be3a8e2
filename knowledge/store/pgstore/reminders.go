package pgstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/whybot/whybot/knowledge/store"
)

// saveReminders writes a turn's answer reminders and drops those of the people who gave a
// fact in it.
func saveReminders(ctx context.Context, tx pgx.Tx, turn store.Turn) error {
	t := turn.Thread
	for _, f := range turn.Facts {
		if _, err := tx.Exec(ctx, `DELETE FROM answer_reminders WHERE workspace = $1 AND thread_id = $2 AND person = $3`, t.Workspace, t.ID, f.By); err != nil {
			return fmt.Errorf("drop reminder of %s: %w", f.By, err)
		}
	}
	for _, r := range turn.Reminders {
		if _, err := tx.Exec(ctx, `INSERT INTO answer_reminders (workspace, thread_id, person, topics, due_at) VALUES ($1, $2, $3, $4::jsonb, $5)
			ON CONFLICT (workspace, thread_id, person) DO UPDATE SET topics = excluded.topics, due_at = excluded.due_at, sent_at = NULL`,
			t.Workspace, t.ID, r.Person, r.QuestionsJSON(), r.DueAt); err != nil {
			return fmt.Errorf("record reminder to %s: %w", r.Person, err)
		}
	}
	return nil
}

// DueAnswerReminders lists the answer reminders due at now, oldest first.
func (s *Store) DueAnswerReminders(ctx context.Context, now time.Time, limit int) ([]store.AnswerReminder, error) {
	rows, err := s.pool.Query(ctx, `SELECT workspace, thread_id, person, topics, due_at FROM answer_reminders
		WHERE sent_at IS NULL AND due_at <= $1 ORDER BY due_at, workspace, thread_id, person LIMIT $2`, now, limit)
	if err != nil {
		return nil, fmt.Errorf("list answer reminders: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.AnswerReminder, error) {
		var r store.AnswerReminder
		var qs []byte
		if err := row.Scan(&r.Workspace, &r.Thread, &r.Person, &qs, &r.DueAt); err != nil {
			return r, err
		}
		r.DueAt = r.DueAt.UTC()
		return r, json.Unmarshal(qs, &r.Questions)
	})
	if err != nil {
		return nil, fmt.Errorf("list answer reminders: %w", err)
	}
	return out, nil
}

// MarkAnswerReminded records that a reminder went out, once.
func (s *Store) MarkAnswerReminded(ctx context.Context, r store.AnswerReminder, at time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE answer_reminders SET sent_at = $1 WHERE workspace = $2 AND thread_id = $3 AND person = $4 AND due_at = $5 AND sent_at IS NULL`,
		at, r.Workspace, r.Thread, r.Person, r.DueAt)
	if err != nil {
		return false, fmt.Errorf("mark answer reminder: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}
