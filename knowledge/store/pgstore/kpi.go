package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/whybot/whybot/knowledge/store"
)

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
