package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/whybot/whybot/knowledge/kpi"
)

// ReplaceKPI swaps a workspace's KPI snapshot, loading the rows with COPY.
func (s *Store) ReplaceKPI(ctx context.Context, workspace string, rows []kpi.Row, at time.Time) error {
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
				return []any{workspace, i, r.Period.String(), r.Metric, r.Value, r.Dims.Channel, r.Dims.Segment, r.Dims.Campaign, r.Dims.Source, r.Dims.Medium, r.File, r.Line}, nil
			}))
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO kpi_snapshots (workspace, loaded_at, rows) VALUES ($1, $2, $3)
			ON CONFLICT (workspace) DO UPDATE SET loaded_at = excluded.loaded_at, rows = excluded.rows, seq = kpi_snapshots.seq + 1`, workspace, at, len(rows))
		return err
	})
	if err != nil {
		return fmt.Errorf("store KPI of %s: %w", workspace, err)
	}
	return nil
}

// KPI returns a workspace's KPI snapshot.
func (s *Store) KPI(ctx context.Context, workspace string) ([]kpi.Row, time.Time, error) {
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
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (kpi.Row, error) {
		var k kpi.Row
		var period string
		err := r.Scan(&period, &k.Metric, &k.Value, &k.Dims.Channel, &k.Dims.Segment, &k.Dims.Campaign, &k.Dims.Source, &k.Dims.Medium, &k.File, &k.Line)
		if err == nil {
			if k.Period, err = kpi.ParsePeriod(period); err != nil {
				err = fmt.Errorf("%s:%d: %w", k.File, k.Line, err)
			}
		}
		return k, err
	})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("read KPI of %s: %w", workspace, err)
	}
	return out, loaded.UTC(), nil
}
