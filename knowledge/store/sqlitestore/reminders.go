package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/whybot/whybot/knowledge/store"
)

// saveReminders writes a turn's answer reminders and drops those of the people who gave a
// fact in it.
func saveReminders(ctx context.Context, tx *sql.Tx, turn store.Turn) error {
	t := turn.Thread
	for _, f := range turn.Facts {
		if _, err := tx.ExecContext(ctx, `DELETE FROM answer_reminders WHERE workspace = ? AND thread_id = ? AND person = ?`, t.Workspace, t.ID, f.By); err != nil {
			return fmt.Errorf("drop reminder of %s: %w", f.By, err)
		}
	}
	for _, r := range turn.Reminders {
		if _, err := tx.ExecContext(ctx, `INSERT INTO answer_reminders (workspace, thread_id, person, topics, due_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (workspace, thread_id, person) DO UPDATE SET topics = excluded.topics, due_at = excluded.due_at, sent_at = NULL`,
			t.Workspace, t.ID, r.Person, r.QuestionsJSON(), ts(r.DueAt)); err != nil {
			return fmt.Errorf("record reminder to %s: %w", r.Person, err)
		}
	}
	return nil
}

// DueAnswerReminders lists the answer reminders due at now, oldest first.
func (s *Store) DueAnswerReminders(ctx context.Context, now time.Time, limit int) ([]store.AnswerReminder, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT workspace, thread_id, person, topics, due_at FROM answer_reminders
		WHERE sent_at IS NULL AND due_at <= ? ORDER BY due_at, workspace, thread_id, person LIMIT ?`, ts(now), limit)
	if err != nil {
		return nil, fmt.Errorf("list answer reminders: %w", err)
	}
	defer rows.Close()
	var out []store.AnswerReminder
	for rows.Next() {
		var r store.AnswerReminder
		var qs, due string
		if err := rows.Scan(&r.Workspace, &r.Thread, &r.Person, &qs, &due); err != nil {
			return nil, fmt.Errorf("list answer reminders: %w", err)
		}
		if err := json.Unmarshal([]byte(qs), &r.Questions); err != nil {
			return nil, fmt.Errorf("answer reminder of %s/%s: %w", r.Workspace, r.Thread, err)
		}
		r.DueAt = parseTS(due)
		out = append(out, r)
	}
	return out, rows.Err()
}

// MarkAnswerReminded records that a reminder went out, once.
func (s *Store) MarkAnswerReminded(ctx context.Context, r store.AnswerReminder, at time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE answer_reminders SET sent_at = ? WHERE workspace = ? AND thread_id = ? AND person = ? AND due_at = ? AND sent_at IS NULL`,
		ts(at), r.Workspace, r.Thread, r.Person, ts(r.DueAt))
	if err != nil {
		return false, fmt.Errorf("mark answer reminder: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
