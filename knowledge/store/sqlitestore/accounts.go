package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/whybot/whybot/knowledge/store"
)

// PutAccount creates or replaces an account with its workspaces.
func (s *Store) PutAccount(ctx context.Context, a store.Account) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save account %s: %w", a.Name, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO accounts (name, password_hash, language, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at,
		language = CASE WHEN excluded.language <> '' THEN excluded.language ELSE accounts.language END`,
		a.Name, a.PasswordHash, a.Language, ts(a.CreatedAt), ts(a.UpdatedAt)); err != nil {
		return fmt.Errorf("save account %s: %w", a.Name, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM account_workspaces WHERE account = ?`, a.Name); err != nil {
		return fmt.Errorf("save account %s: %w", a.Name, err)
	}
	for _, w := range a.Workspaces {
		if _, err := tx.ExecContext(ctx, `INSERT INTO account_workspaces (account, workspace) VALUES (?, ?) ON CONFLICT DO NOTHING`, a.Name, w); err != nil {
			return fmt.Errorf("save account %s: workspace %s: %w", a.Name, w, err)
		}
	}
	return tx.Commit()
}

// Account returns one account.
func (s *Store) Account(ctx context.Context, name string) (store.Account, error) {
	var a store.Account
	var created, updated string
	err := s.db.QueryRowContext(ctx, `SELECT name, password_hash, language, created_at, updated_at FROM accounts WHERE name = ?`, name).
		Scan(&a.Name, &a.PasswordHash, &a.Language, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("account %s: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return a, fmt.Errorf("account %s: %w", name, err)
	}
	a.CreatedAt, a.UpdatedAt = parseTS(created), parseTS(updated)
	a.Workspaces, err = s.accountWorkspaces(ctx, name)
	return a, err
}

func (s *Store) accountWorkspaces(ctx context.Context, name string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT workspace FROM account_workspaces WHERE account = ? ORDER BY workspace`, name)
	if err != nil {
		return nil, fmt.Errorf("workspaces of account %s: %w", name, err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var w string
		if err := rows.Scan(&w); err != nil {
			return nil, fmt.Errorf("workspaces of account %s: %w", name, err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// Accounts lists the accounts by name.
func (s *Store) Accounts(ctx context.Context) ([]store.Account, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name FROM accounts ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list accounts: %w", err)
		}
		names = append(names, n)
	}
	rows.Close()
	out := make([]store.Account, 0, len(names))
	for _, n := range names {
		a, err := s.Account(ctx, n)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// DeleteAccount removes an account, its workspaces and sessions.
func (s *Store) DeleteAccount(ctx context.Context, name string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM accounts WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("delete account %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("account %s: %w", name, store.ErrNotFound)
	}
	return nil
}

// CreateSession records a session.
func (s *Store) CreateSession(ctx context.Context, se store.Session) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO sessions (id, account, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		se.ID, se.Account, se.CSRF, ts(se.CreatedAt), ts(se.ExpiresAt)); err != nil {
		return fmt.Errorf("create session for %s: %w", se.Account, err)
	}
	return nil
}

// Session returns a live session.
func (s *Store) Session(ctx context.Context, id string, now time.Time) (store.Session, error) {
	var se store.Session
	var created, expires string
	err := s.db.QueryRowContext(ctx, `SELECT id, account, csrf, created_at, expires_at FROM sessions WHERE id = ? AND expires_at > ?`, id, ts(now)).
		Scan(&se.ID, &se.Account, &se.CSRF, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return se, fmt.Errorf("session: %w", store.ErrNotFound)
	}
	if err != nil {
		return se, fmt.Errorf("session: %w", err)
	}
	se.CreatedAt, se.ExpiresAt = parseTS(created), parseTS(expires)
	return se, nil
}

// DeleteSession ends a session.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, id); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// RecordLogin records a login attempt.
func (s *Store) RecordLogin(ctx context.Context, account string, ok bool, at time.Time) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO login_attempts (account, ok, at) VALUES (?, ?, ?)`, account, ok, ts(at)); err != nil {
		return fmt.Errorf("record login of %s: %w", account, err)
	}
	return nil
}

// LoginFailures counts recent failures since the last success.
func (s *Store) LoginFailures(ctx context.Context, account string, since time.Time) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM login_attempts WHERE account = ? AND NOT ok AND at >= ?
		AND at > coalesce((SELECT max(at) FROM login_attempts WHERE account = ? AND ok), '')`, account, ts(since), account).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count failed logins of %s: %w", account, err)
	}
	return n, nil
}

// SetAccountLanguage records the language an account reads the console in.
func (s *Store) SetAccountLanguage(ctx context.Context, name, lang string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE accounts SET language = ?, updated_at = ? WHERE name = ?`, lang, ts(at), name)
	if err != nil {
		return fmt.Errorf("set language of account %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("account %s: %w", name, store.ErrNotFound)
	}
	return nil
}
