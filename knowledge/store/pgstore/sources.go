package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/whybot/whybot/knowledge/store"
)

// ClaimPull takes a source's slot: a new row, or a running one whose lease ran out.
func (s *Store) ClaimPull(ctx context.Context, workspace, conn string, slot time.Time, owner string, now time.Time, lease time.Duration) (bool, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO source_pulls (workspace, conn, slot, state, owner, lease_until) VALUES ($1, $2, $3, 'running', $4, $5)
		ON CONFLICT (workspace, conn, slot) DO UPDATE SET lease_until = excluded.lease_until, owner = excluded.owner, attempts = source_pulls.attempts + 1
		WHERE source_pulls.state = 'running' AND source_pulls.lease_until < $6`,
		workspace, conn, slot, owner, now.Add(lease), now)
	if err != nil {
		return false, fmt.Errorf("claim pull of %s/%s: %w", workspace, conn, err)
	}
	return tag.RowsAffected() == 1, nil
}

// HoldsPull reports whether owner still holds the slot.
func (s *Store) HoldsPull(ctx context.Context, workspace, conn string, slot time.Time, owner string, now time.Time) (bool, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM source_pulls WHERE workspace = $1 AND conn = $2 AND slot = $3 AND owner = $4 AND state = 'running' AND lease_until >= $5`,
		workspace, conn, slot, owner, now).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("check pull of %s/%s: %w", workspace, conn, err)
	}
	return n == 1, nil
}

// FinishPull records how a pull ended.
func (s *Store) FinishPull(ctx context.Context, workspace, conn string, slot time.Time, owner string, state store.PullState, reason, message string, now time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE source_pulls SET state = $1, reason = $2, message = $3, finished_at = $4 WHERE workspace = $5 AND conn = $6 AND slot = $7 AND owner = $8`,
		string(state), reason, message, now, workspace, conn, slot, owner)
	if err != nil {
		return fmt.Errorf("finish pull of %s/%s: %w", workspace, conn, err)
	}
	return nil
}

// PublishSource stores the next version and the state together; publishes of one source
// take turns.
func (s *Store) PublishSource(ctx context.Context, v store.SourceVersion, st store.SourceState, keep int) (int64, error) {
	var next int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('whybot.source:' || $1 || '/' || $2, 0))`, v.Workspace, v.Conn); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM source_versions WHERE workspace = $1 AND conn = $2`, v.Workspace, v.Conn).Scan(&next); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO source_versions (workspace, conn, version, pulled_at, provenance, rows, revisions) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			v.Workspace, v.Conn, next, v.PulledAt, v.ProvenanceJSON(), v.RowsJSON(), v.RevisionsJSON()); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM source_versions WHERE workspace = $1 AND conn = $2 AND version <= $3`, v.Workspace, v.Conn, next-int64(max(keep, 1))); err != nil {
			return err
		}
		return putState(ctx, tx, st)
	})
	if err != nil {
		return 0, fmt.Errorf("publish %s/%s: %w", v.Workspace, v.Conn, err)
	}
	return next, nil
}

// LatestSource is a source's newest version.
func (s *Store) LatestSource(ctx context.Context, workspace, conn string) (store.SourceVersion, bool, error) {
	v := store.SourceVersion{Workspace: workspace, Conn: conn}
	var prov, rows, revs []byte
	err := s.pool.QueryRow(ctx, `SELECT version, pulled_at, provenance, rows, revisions FROM source_versions WHERE workspace = $1 AND conn = $2 ORDER BY version DESC LIMIT 1`,
		workspace, conn).Scan(&v.Version, &v.PulledAt, &prov, &rows, &revs)
	if errors.Is(err, pgx.ErrNoRows) {
		return v, false, nil
	}
	if err != nil {
		return v, false, fmt.Errorf("read %s/%s: %w", workspace, conn, err)
	}
	v.PulledAt, v.Provenance = v.PulledAt.UTC(), json.RawMessage(prov)
	if err := json.Unmarshal(rows, &v.Rows); err != nil {
		return v, false, fmt.Errorf("read %s/%s: %w", workspace, conn, err)
	}
	if err := json.Unmarshal(revs, &v.Revisions); err != nil {
		return v, false, fmt.Errorf("read %s/%s: %w", workspace, conn, err)
	}
	return v, true, nil
}

// SourceVersions lists the kept versions, newest first, without rows.
func (s *Store) SourceVersions(ctx context.Context, workspace, conn string) ([]store.SourceVersion, error) {
	rows, err := s.pool.Query(ctx, `SELECT version, pulled_at, provenance, revisions FROM source_versions WHERE workspace = $1 AND conn = $2 ORDER BY version DESC`, workspace, conn)
	if err != nil {
		return nil, fmt.Errorf("list versions of %s/%s: %w", workspace, conn, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.SourceVersion, error) {
		v := store.SourceVersion{Workspace: workspace, Conn: conn}
		var prov, revs []byte
		if err := r.Scan(&v.Version, &v.PulledAt, &prov, &revs); err != nil {
			return v, err
		}
		v.PulledAt, v.Provenance = v.PulledAt.UTC(), json.RawMessage(prov)
		return v, json.Unmarshal(revs, &v.Revisions)
	})
}

// SourceState is what the pulls of a source remember.
func (s *Store) SourceState(ctx context.Context, workspace, conn string) (store.SourceState, error) {
	var raw []byte
	err := s.pool.QueryRow(ctx, `SELECT state FROM source_state WHERE workspace = $1 AND conn = $2`, workspace, conn).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.SourceState{Workspace: workspace, Conn: conn}, nil
	}
	if err != nil {
		return store.SourceState{}, fmt.Errorf("read state of %s/%s: %w", workspace, conn, err)
	}
	var st store.SourceState
	if err := json.Unmarshal(raw, &st); err != nil {
		return st, fmt.Errorf("read state of %s/%s: %w", workspace, conn, err)
	}
	st.UpdatedAt = st.UpdatedAt.UTC()
	return st, nil
}

// PutSourceState records what the pulls of a source remember.
func (s *Store) PutSourceState(ctx context.Context, st store.SourceState) error {
	return putState(ctx, s.pool, st)
}

type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func putState(ctx context.Context, db execer, st store.SourceState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if _, err := db.Exec(ctx, `INSERT INTO source_state (workspace, conn, state, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (workspace, conn) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`, st.Workspace, st.Conn, string(b), st.UpdatedAt); err != nil {
		return fmt.Errorf("record state of %s/%s: %w", st.Workspace, st.Conn, err)
	}
	return nil
}

// PutCredential stores a sealed credential.
func (s *Store) PutCredential(ctx context.Context, c store.SealedCredential) error {
	if _, err := s.pool.Exec(ctx, `INSERT INTO credentials (workspace, conn, key_id, sealed, updated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (workspace, conn) DO UPDATE SET key_id = excluded.key_id, sealed = excluded.sealed, updated_at = excluded.updated_at`,
		c.Workspace, c.Conn, c.KeyID, c.Sealed, c.UpdatedAt); err != nil {
		return fmt.Errorf("store credential of %s/%s: %w", c.Workspace, c.Conn, err)
	}
	return nil
}

// Credential is a connection's sealed credential.
func (s *Store) Credential(ctx context.Context, workspace, conn string) (store.SealedCredential, bool, error) {
	c := store.SealedCredential{Workspace: workspace, Conn: conn}
	err := s.pool.QueryRow(ctx, `SELECT key_id, sealed, updated_at FROM credentials WHERE workspace = $1 AND conn = $2`, workspace, conn).Scan(&c.KeyID, &c.Sealed, &c.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("read credential of %s/%s: %w", workspace, conn, err)
	}
	c.UpdatedAt = c.UpdatedAt.UTC()
	return c, true, nil
}

// DeleteCredential forgets a connection's credential.
func (s *Store) DeleteCredential(ctx context.Context, workspace, conn string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM credentials WHERE workspace = $1 AND conn = $2`, workspace, conn); err != nil {
		return fmt.Errorf("delete credential of %s/%s: %w", workspace, conn, err)
	}
	return nil
}

// Credentials lists every stored credential.
func (s *Store) Credentials(ctx context.Context) ([]store.SealedCredential, error) {
	rows, err := s.pool.Query(ctx, `SELECT workspace, conn, key_id, sealed, updated_at FROM credentials ORDER BY workspace, conn`)
	if err != nil {
		return nil, fmt.Errorf("list credentials: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.SealedCredential, error) {
		var c store.SealedCredential
		err := r.Scan(&c.Workspace, &c.Conn, &c.KeyID, &c.Sealed, &c.UpdatedAt)
		c.UpdatedAt = c.UpdatedAt.UTC()
		return c, err
	})
}
