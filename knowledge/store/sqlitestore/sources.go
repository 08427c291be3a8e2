package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/whybot/whybot/knowledge/store"
)

// ClaimPull takes a source's slot: a new row, or a running one whose lease ran out.
func (s *Store) ClaimPull(ctx context.Context, workspace, conn string, slot time.Time, owner string, now time.Time, lease time.Duration) (bool, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO source_pulls (workspace, conn, slot, state, owner, lease_until) VALUES (?, ?, ?, 'running', ?, ?)
		ON CONFLICT (workspace, conn, slot) DO UPDATE SET lease_until = excluded.lease_until, owner = excluded.owner, attempts = source_pulls.attempts + 1
		WHERE source_pulls.state = 'running' AND source_pulls.lease_until < ?`,
		workspace, conn, ts(slot), owner, ts(now.Add(lease)), ts(now))
	if err != nil {
		return false, fmt.Errorf("claim pull of %s/%s: %w", workspace, conn, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// HoldsPull reports whether owner still holds the slot.
func (s *Store) HoldsPull(ctx context.Context, workspace, conn string, slot time.Time, owner string, now time.Time) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM source_pulls WHERE workspace = ? AND conn = ? AND slot = ? AND owner = ? AND state = 'running' AND lease_until >= ?`,
		workspace, conn, ts(slot), owner, ts(now)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("check pull of %s/%s: %w", workspace, conn, err)
	}
	return n == 1, nil
}

// FinishPull records how a pull ended.
func (s *Store) FinishPull(ctx context.Context, workspace, conn string, slot time.Time, owner string, state store.PullState, reason, message string, now time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE source_pulls SET state = ?, reason = ?, message = ?, finished_at = ? WHERE workspace = ? AND conn = ? AND slot = ? AND owner = ?`,
		string(state), reason, message, ts(now), workspace, conn, ts(slot), owner)
	if err != nil {
		return fmt.Errorf("finish pull of %s/%s: %w", workspace, conn, err)
	}
	return nil
}

// PublishSource stores the next version and the state together.
func (s *Store) PublishSource(ctx context.Context, v store.SourceVersion, st store.SourceState, keep int) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("publish %s/%s: %w", v.Workspace, v.Conn, err)
	}
	defer tx.Rollback()
	var next int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM source_versions WHERE workspace = ? AND conn = ?`, v.Workspace, v.Conn).Scan(&next); err != nil {
		return 0, fmt.Errorf("publish %s/%s: %w", v.Workspace, v.Conn, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO source_versions (workspace, conn, version, pulled_at, provenance, rows, revisions) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		v.Workspace, v.Conn, next, ts(v.PulledAt), v.ProvenanceJSON(), v.RowsJSON(), v.RevisionsJSON()); err != nil {
		return 0, fmt.Errorf("publish %s/%s: %w", v.Workspace, v.Conn, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM source_versions WHERE workspace = ? AND conn = ? AND version <= ?`, v.Workspace, v.Conn, next-int64(max(keep, 1))); err != nil {
		return 0, fmt.Errorf("publish %s/%s: %w", v.Workspace, v.Conn, err)
	}
	if err := putState(ctx, tx, st); err != nil {
		return 0, err
	}
	return next, tx.Commit()
}

// LatestSource is a source's newest version.
func (s *Store) LatestSource(ctx context.Context, workspace, conn string) (store.SourceVersion, bool, error) {
	v := store.SourceVersion{Workspace: workspace, Conn: conn}
	var at, prov, rows, revs string
	err := s.db.QueryRowContext(ctx, `SELECT version, pulled_at, provenance, rows, revisions FROM source_versions WHERE workspace = ? AND conn = ? ORDER BY version DESC LIMIT 1`,
		workspace, conn).Scan(&v.Version, &at, &prov, &rows, &revs)
	if errors.Is(err, sql.ErrNoRows) {
		return v, false, nil
	}
	if err != nil {
		return v, false, fmt.Errorf("read %s/%s: %w", workspace, conn, err)
	}
	v.PulledAt, v.Provenance = parseTS(at), json.RawMessage(prov)
	if err := json.Unmarshal([]byte(rows), &v.Rows); err != nil {
		return v, false, fmt.Errorf("read %s/%s: %w", workspace, conn, err)
	}
	if err := json.Unmarshal([]byte(revs), &v.Revisions); err != nil {
		return v, false, fmt.Errorf("read %s/%s: %w", workspace, conn, err)
	}
	return v, true, nil
}

// SourceVersions lists the kept versions, newest first, without rows.
func (s *Store) SourceVersions(ctx context.Context, workspace, conn string) ([]store.SourceVersion, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT version, pulled_at, provenance, revisions FROM source_versions WHERE workspace = ? AND conn = ? ORDER BY version DESC`, workspace, conn)
	if err != nil {
		return nil, fmt.Errorf("list versions of %s/%s: %w", workspace, conn, err)
	}
	defer rows.Close()
	var out []store.SourceVersion
	for rows.Next() {
		v := store.SourceVersion{Workspace: workspace, Conn: conn}
		var at, prov, revs string
		if err := rows.Scan(&v.Version, &at, &prov, &revs); err != nil {
			return nil, fmt.Errorf("list versions of %s/%s: %w", workspace, conn, err)
		}
		v.PulledAt, v.Provenance = parseTS(at), json.RawMessage(prov)
		if err := json.Unmarshal([]byte(revs), &v.Revisions); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// SourceState is what the pulls of a source remember.
func (s *Store) SourceState(ctx context.Context, workspace, conn string) (store.SourceState, error) {
	var raw string
	err := s.db.QueryRowContext(ctx, `SELECT state FROM source_state WHERE workspace = ? AND conn = ?`, workspace, conn).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return store.SourceState{Workspace: workspace, Conn: conn}, nil
	}
	if err != nil {
		return store.SourceState{}, fmt.Errorf("read state of %s/%s: %w", workspace, conn, err)
	}
	var st store.SourceState
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		return st, fmt.Errorf("read state of %s/%s: %w", workspace, conn, err)
	}
	return st, nil
}

// PutSourceState records what the pulls of a source remember.
func (s *Store) PutSourceState(ctx context.Context, st store.SourceState) error {
	return putState(ctx, s.db, st)
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func putState(ctx context.Context, db execer, st store.SourceState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO source_state (workspace, conn, state, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (workspace, conn) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`, st.Workspace, st.Conn, string(b), ts(st.UpdatedAt)); err != nil {
		return fmt.Errorf("record state of %s/%s: %w", st.Workspace, st.Conn, err)
	}
	return nil
}

// PutCredential stores a sealed credential.
func (s *Store) PutCredential(ctx context.Context, c store.SealedCredential) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO credentials (workspace, conn, key_id, sealed, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (workspace, conn) DO UPDATE SET key_id = excluded.key_id, sealed = excluded.sealed, updated_at = excluded.updated_at`,
		c.Workspace, c.Conn, c.KeyID, c.Sealed, ts(c.UpdatedAt)); err != nil {
		return fmt.Errorf("store credential of %s/%s: %w", c.Workspace, c.Conn, err)
	}
	return nil
}

// Credential is a connection's sealed credential.
func (s *Store) Credential(ctx context.Context, workspace, conn string) (store.SealedCredential, bool, error) {
	c := store.SealedCredential{Workspace: workspace, Conn: conn}
	var at string
	err := s.db.QueryRowContext(ctx, `SELECT key_id, sealed, updated_at FROM credentials WHERE workspace = ? AND conn = ?`, workspace, conn).Scan(&c.KeyID, &c.Sealed, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("read credential of %s/%s: %w", workspace, conn, err)
	}
	c.UpdatedAt = parseTS(at)
	return c, true, nil
}

// DeleteCredential forgets a connection's credential.
func (s *Store) DeleteCredential(ctx context.Context, workspace, conn string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM credentials WHERE workspace = ? AND conn = ?`, workspace, conn); err != nil {
		return fmt.Errorf("delete credential of %s/%s: %w", workspace, conn, err)
	}
	return nil
}

// Credentials lists every stored credential.
func (s *Store) Credentials(ctx context.Context) ([]store.SealedCredential, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT workspace, conn, key_id, sealed, updated_at FROM credentials ORDER BY workspace, conn`)
	if err != nil {
		return nil, fmt.Errorf("list credentials: %w", err)
	}
	defer rows.Close()
	var out []store.SealedCredential
	for rows.Next() {
		var c store.SealedCredential
		var at string
		if err := rows.Scan(&c.Workspace, &c.Conn, &c.KeyID, &c.Sealed, &at); err != nil {
			return nil, fmt.Errorf("list credentials: %w", err)
		}
		c.UpdatedAt = parseTS(at)
		out = append(out, c)
	}
	return out, rows.Err()
}
