package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/whybot/whybot/knowledge/store"
)

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
