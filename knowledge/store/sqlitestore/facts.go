package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/whybot/whybot/knowledge/store"
)

func insertFacts(ctx context.Context, tx *sql.Tx, workspace, thread string, facts []store.Fact) error {
	if len(facts) == 0 {
		return nil
	}
	var seq int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM facts WHERE workspace = ? AND thread_id = ?`, workspace, thread).Scan(&seq); err != nil {
		return fmt.Errorf("record facts: %w", err)
	}
	for _, f := range facts {
		seq++
		var v sql.NullFloat64
		if f.Value != nil {
			v = sql.NullFloat64{Float64: *f.Value, Valid: true}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO facts (workspace, thread_id, seq, topic, metric, value, text, by, at, reading) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			workspace, thread, seq, f.Topic, f.Metric, v, f.Text, f.By, ts(f.At), store.ReadingJSON(f)); err != nil {
			return fmt.Errorf("record fact from %s: %w", f.By, err)
		}
	}
	return nil
}

// Facts lists what people told the bot in a thread.
func (s *Store) Facts(ctx context.Context, workspace, threadID string) ([]store.Fact, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT topic, metric, value, text, by, at, reading FROM facts WHERE workspace = ? AND thread_id = ? ORDER BY seq`, workspace, threadID)
	if err != nil {
		return nil, fmt.Errorf("list facts of %s: %w", threadID, err)
	}
	defer rows.Close()
	var out []store.Fact
	for rows.Next() {
		var f store.Fact
		var v sql.NullFloat64
		var at string
		var reading *string
		if err := rows.Scan(&f.Topic, &f.Metric, &v, &f.Text, &f.By, &at, &reading); err != nil {
			return nil, fmt.Errorf("list facts of %s: %w", threadID, err)
		}
		if v.Valid {
			f.Value = &v.Float64
		}
		f.At = parseTS(at)
		f.Reading = store.DecodeReading(reading)
		out = append(out, f)
	}
	return out, rows.Err()
}
