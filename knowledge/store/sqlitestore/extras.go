package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

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
		if _, err := tx.ExecContext(ctx, `INSERT INTO facts (workspace, thread_id, seq, topic, metric, value, text, by, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			workspace, thread, seq, f.Topic, f.Metric, v, f.Text, f.By, ts(f.At)); err != nil {
			return fmt.Errorf("record fact from %s: %w", f.By, err)
		}
	}
	return nil
}

// Facts lists what people told the bot in a thread.
func (s *Store) Facts(ctx context.Context, workspace, threadID string) ([]store.Fact, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT topic, metric, value, text, by, at FROM facts WHERE workspace = ? AND thread_id = ? ORDER BY seq`, workspace, threadID)
	if err != nil {
		return nil, fmt.Errorf("list facts of %s: %w", threadID, err)
	}
	defer rows.Close()
	var out []store.Fact
	for rows.Next() {
		var f store.Fact
		var v sql.NullFloat64
		var at string
		if err := rows.Scan(&f.Topic, &f.Metric, &v, &f.Text, &f.By, &at); err != nil {
			return nil, fmt.Errorf("list facts of %s: %w", threadID, err)
		}
		if v.Valid {
			f.Value = &v.Float64
		}
		f.At = parseTS(at)
		out = append(out, f)
	}
	return out, rows.Err()
}

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

// ReplaceKPI swaps a workspace's KPI snapshot.
func (s *Store) ReplaceKPI(ctx context.Context, workspace string, rows []store.KPIRow, at time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store KPI of %s: %w", workspace, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM kpi_rows WHERE workspace = ?`, workspace); err != nil {
		return fmt.Errorf("store KPI of %s: %w", workspace, err)
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO kpi_rows (workspace, period, metric, value, channel, segment, campaign, source, medium, file, line)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("store KPI of %s: %w", workspace, err)
	}
	defer stmt.Close()
	for _, r := range rows {
		if _, err := stmt.ExecContext(ctx, workspace, r.Period, r.Metric, r.Value, r.Channel, r.Segment, r.Campaign, r.Source, r.Medium, r.File, r.Line); err != nil {
			return fmt.Errorf("store KPI of %s: %s:%d: %w", workspace, r.File, r.Line, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO kpi_snapshots (workspace, loaded_at, rows) VALUES (?, ?, ?)
		ON CONFLICT (workspace) DO UPDATE SET loaded_at = excluded.loaded_at, rows = excluded.rows`, workspace, ts(at), len(rows)); err != nil {
		return fmt.Errorf("store KPI of %s: %w", workspace, err)
	}
	return tx.Commit()
}

// KPI returns a workspace's KPI snapshot.
func (s *Store) KPI(ctx context.Context, workspace string) ([]store.KPIRow, time.Time, error) {
	var loaded string
	err := s.db.QueryRowContext(ctx, `SELECT loaded_at FROM kpi_snapshots WHERE workspace = ?`, workspace).Scan(&loaded)
	if err == sql.ErrNoRows {
		return nil, time.Time{}, nil
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("read KPI of %s: %w", workspace, err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT period, metric, value, channel, segment, campaign, source, medium, file, line FROM kpi_rows WHERE workspace = ? ORDER BY rowid`, workspace)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("read KPI of %s: %w", workspace, err)
	}
	defer rows.Close()
	var out []store.KPIRow
	for rows.Next() {
		var r store.KPIRow
		if err := rows.Scan(&r.Period, &r.Metric, &r.Value, &r.Channel, &r.Segment, &r.Campaign, &r.Source, &r.Medium, &r.File, &r.Line); err != nil {
			return nil, time.Time{}, fmt.Errorf("read KPI of %s: %w", workspace, err)
		}
		out = append(out, r)
	}
	return out, parseTS(loaded), rows.Err()
}
