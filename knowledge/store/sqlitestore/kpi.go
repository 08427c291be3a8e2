package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/whybot/whybot/knowledge/kpi"
)

// ReplaceKPI swaps a workspace's KPI snapshot.
func (s *Store) ReplaceKPI(ctx context.Context, workspace string, rows []kpi.Row, at time.Time) error {
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
		if _, err := stmt.ExecContext(ctx, workspace, r.Period.String(), r.Metric, r.Value, r.Dims.Channel, r.Dims.Segment, r.Dims.Campaign, r.Dims.Source, r.Dims.Medium, r.File, r.Line); err != nil {
			return fmt.Errorf("store KPI of %s: %s:%d: %w", workspace, r.File, r.Line, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO kpi_snapshots (workspace, loaded_at, rows) VALUES (?, ?, ?)
		ON CONFLICT (workspace) DO UPDATE SET loaded_at = excluded.loaded_at, rows = excluded.rows, seq = kpi_snapshots.seq + 1`, workspace, ts(at), len(rows)); err != nil {
		return fmt.Errorf("store KPI of %s: %w", workspace, err)
	}
	return tx.Commit()
}

// KPI returns a workspace's KPI snapshot.
func (s *Store) KPI(ctx context.Context, workspace string) ([]kpi.Row, time.Time, error) {
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
	var out []kpi.Row
	for rows.Next() {
		var r kpi.Row
		var period string
		if err := rows.Scan(&period, &r.Metric, &r.Value, &r.Dims.Channel, &r.Dims.Segment, &r.Dims.Campaign, &r.Dims.Source, &r.Dims.Medium, &r.File, &r.Line); err != nil {
			return nil, time.Time{}, fmt.Errorf("read KPI of %s: %w", workspace, err)
		}
		if r.Period, err = kpi.ParsePeriod(period); err != nil {
			return nil, time.Time{}, fmt.Errorf("read KPI of %s: %s:%d: %w", workspace, r.File, r.Line, err)
		}
		out = append(out, r)
	}
	return out, parseTS(loaded), rows.Err()
}
