package sqlitestore

import (
	"context"
	"fmt"

	"github.com/whybot/whybot/knowledge/store"
)

// PutChatPerson adds or changes a person added from chat.
func (s *Store) PutChatPerson(ctx context.Context, p store.ChatPerson) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store person %s of %s: %w", p.Handle, p.Workspace, err)
	}
	defer tx.Rollback()
	action := "changed"
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM chat_people WHERE workspace = ? AND handle = ?`, p.Workspace, p.Handle).Scan(&n); err != nil {
		return fmt.Errorf("store person %s of %s: %w", p.Handle, p.Workspace, err)
	}
	if n == 0 {
		action = "added"
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO chat_people_log (workspace, handle, action, role, reviewer, by_handle, at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		p.Workspace, p.Handle, action, p.Role, p.Reviewer, p.ChangedBy, ts(p.ChangedAt)); err != nil {
		return fmt.Errorf("store person %s of %s: %w", p.Handle, p.Workspace, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO chat_people (workspace, handle, name, role, reviewer, slack, discord, added_by, added_at, changed_by, changed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (workspace, handle) DO UPDATE SET name = excluded.name, role = excluded.role, reviewer = excluded.reviewer, slack = excluded.slack,
		discord = excluded.discord, changed_by = excluded.changed_by, changed_at = excluded.changed_at`,
		p.Workspace, p.Handle, p.Name, p.Role, p.Reviewer, p.Slack, p.Discord, p.AddedBy, ts(p.AddedAt), p.ChangedBy, ts(p.ChangedAt)); err != nil {
		return fmt.Errorf("store person %s of %s: %w", p.Handle, p.Workspace, err)
	}
	res, err := tx.ExecContext(ctx, `UPDATE workspaces SET people = people + 1 WHERE id = ?`, p.Workspace)
	if err != nil {
		return fmt.Errorf("store person %s of %s: %w", p.Handle, p.Workspace, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("workspace %s: %w", p.Workspace, store.ErrNotFound)
	}
	return tx.Commit()
}

// ChatPeople lists a workspace's people added from chat.
func (s *Store) ChatPeople(ctx context.Context, workspace string) ([]store.ChatPerson, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT workspace, handle, name, role, reviewer, slack, discord, added_by, added_at, changed_by, changed_at
		FROM chat_people WHERE workspace = ? ORDER BY handle`, workspace)
	if err != nil {
		return nil, fmt.Errorf("people of %s: %w", workspace, err)
	}
	defer rows.Close()
	var out []store.ChatPerson
	for rows.Next() {
		var p store.ChatPerson
		var added, changed string
		if err := rows.Scan(&p.Workspace, &p.Handle, &p.Name, &p.Role, &p.Reviewer, &p.Slack, &p.Discord, &p.AddedBy, &added, &p.ChangedBy, &changed); err != nil {
			return nil, fmt.Errorf("people of %s: %w", workspace, err)
		}
		p.AddedAt, p.ChangedAt = parseTS(added), parseTS(changed)
		out = append(out, p)
	}
	return out, rows.Err()
}

// ChatPeopleLog lists every addition and change of a workspace's people from chat.
func (s *Store) ChatPeopleLog(ctx context.Context, workspace string) ([]store.PersonChange, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT handle, action, role, reviewer, by_handle, at FROM chat_people_log WHERE workspace = ? ORDER BY at, rowid`, workspace)
	if err != nil {
		return nil, fmt.Errorf("people log of %s: %w", workspace, err)
	}
	defer rows.Close()
	var out []store.PersonChange
	for rows.Next() {
		var c store.PersonChange
		var at string
		if err := rows.Scan(&c.Handle, &c.Action, &c.Role, &c.Reviewer, &c.By, &at); err != nil {
			return nil, fmt.Errorf("people log of %s: %w", workspace, err)
		}
		c.At = parseTS(at)
		out = append(out, c)
	}
	return out, rows.Err()
}
