package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/whybot/whybot/knowledge/store"
)

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
		if _, err := tx.Exec(ctx, `INSERT INTO facts (workspace, thread_id, seq, topic, metric, value, text, by, at, reading) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb)`,
			workspace, thread, seq, f.Topic, f.Metric, f.Value, f.Text, f.By, f.At, store.ReadingJSON(f)); err != nil {
			return fmt.Errorf("record fact from %s: %w", f.By, err)
		}
	}
	return nil
}

// Facts lists what people told the bot in a thread.
func (s *Store) Facts(ctx context.Context, workspace, threadID string) ([]store.Fact, error) {
	rows, err := s.pool.Query(ctx, `SELECT topic, metric, value, text, by, at, reading::text FROM facts WHERE workspace = $1 AND thread_id = $2 ORDER BY seq`, workspace, threadID)
	if err != nil {
		return nil, fmt.Errorf("list facts of %s: %w", threadID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Fact, error) {
		var f store.Fact
		var reading *string
		err := r.Scan(&f.Topic, &f.Metric, &f.Value, &f.Text, &f.By, &f.At, &reading)
		f.At = f.At.UTC()
		f.Reading = store.DecodeReading(reading)
		return f, err
	})
	if err != nil {
		return nil, fmt.Errorf("list facts of %s: %w", threadID, err)
	}
	return out, nil
}
