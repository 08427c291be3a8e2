package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/whybot/whybot/knowledge/store"
)

// PutAccount creates or replaces an account with its workspaces.
func (s *Store) PutAccount(ctx context.Context, a store.Account) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO accounts (name, password_hash, language, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at,
			language = CASE WHEN excluded.language <> '' THEN excluded.language ELSE accounts.language END`,
			a.Name, a.PasswordHash, a.Language, a.CreatedAt, a.UpdatedAt); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM account_workspaces WHERE account = $1`, a.Name); err != nil {
			return err
		}
		for _, w := range a.Workspaces {
			if _, err := tx.Exec(ctx, `INSERT INTO account_workspaces (account, workspace) VALUES ($1, $2) ON CONFLICT DO NOTHING`, a.Name, w); err != nil {
				return fmt.Errorf("workspace %s: %w", w, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save account %s: %w", a.Name, err)
	}
	return nil
}

// Account returns one account.
func (s *Store) Account(ctx context.Context, name string) (store.Account, error) {
	var a store.Account
	err := s.pool.QueryRow(ctx, `SELECT name, password_hash, language, created_at, updated_at,
		coalesce((SELECT array_agg(workspace ORDER BY workspace) FROM account_workspaces WHERE account = name), '{}')
		FROM accounts WHERE name = $1`, name).Scan(&a.Name, &a.PasswordHash, &a.Language, &a.CreatedAt, &a.UpdatedAt, &a.Workspaces)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, fmt.Errorf("account %s: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return a, fmt.Errorf("account %s: %w", name, err)
	}
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return a, nil
}

// Accounts lists the accounts by name.
func (s *Store) Accounts(ctx context.Context) ([]store.Account, error) {
	rows, err := s.pool.Query(ctx, `SELECT name FROM accounts ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
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
	tag, err := s.pool.Exec(ctx, `DELETE FROM accounts WHERE name = $1`, name)
	if err != nil {
		return fmt.Errorf("delete account %s: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("account %s: %w", name, store.ErrNotFound)
	}
	return nil
}

// CreateSession records a session.
func (s *Store) CreateSession(ctx context.Context, se store.Session) error {
	if _, err := s.pool.Exec(ctx, `INSERT INTO sessions (id, account, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		se.ID, se.Account, se.CSRF, se.CreatedAt, se.ExpiresAt); err != nil {
		return fmt.Errorf("create session for %s: %w", se.Account, err)
	}
	return nil
}

// Session returns a live session.
func (s *Store) Session(ctx context.Context, id string, now time.Time) (store.Session, error) {
	var se store.Session
	err := s.pool.QueryRow(ctx, `SELECT id, account, csrf, created_at, expires_at FROM sessions WHERE id = $1 AND expires_at > $2`, id, now).
		Scan(&se.ID, &se.Account, &se.CSRF, &se.CreatedAt, &se.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return se, fmt.Errorf("session: %w", store.ErrNotFound)
	}
	if err != nil {
		return se, fmt.Errorf("session: %w", err)
	}
	se.CreatedAt, se.ExpiresAt = se.CreatedAt.UTC(), se.ExpiresAt.UTC()
	return se, nil
}

// DeleteSession ends a session.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE id = $1`, id); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// RecordLogin records a login attempt.
func (s *Store) RecordLogin(ctx context.Context, account string, ok bool, at time.Time) error {
	if _, err := s.pool.Exec(ctx, `INSERT INTO login_attempts (account, ok, at) VALUES ($1, $2, $3)`, account, ok, at); err != nil {
		return fmt.Errorf("record login of %s: %w", account, err)
	}
	return nil
}

// LoginFailures counts recent failures since the last success.
func (s *Store) LoginFailures(ctx context.Context, account string, since time.Time) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM login_attempts WHERE account = $1 AND NOT ok AND at >= $2
		AND at > coalesce((SELECT max(at) FROM login_attempts WHERE account = $1 AND ok), '-infinity')`, account, since).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count failed logins of %s: %w", account, err)
	}
	return n, nil
}

// SetAccountLanguage records the language an account reads the console in.
func (s *Store) SetAccountLanguage(ctx context.Context, name, lang string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE accounts SET language = $1, updated_at = $2 WHERE name = $3`, lang, at, name)
	if err != nil {
		return fmt.Errorf("set language of account %s: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("account %s: %w", name, store.ErrNotFound)
	}
	return nil
}
