package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/whybot/whybot/knowledge/store"
)

// UpsertWorkspace creates or updates a workspace.
func (s *Store) UpsertWorkspace(ctx context.Context, w store.Workspace) error {
	team, guild := w.PlatformKeys()
	files, _ := json.Marshal(w.DataFiles)
	if w.DataFiles == nil {
		files = []byte("[]")
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO workspaces (id, company, profile, data_files, updated_at, slack_team, discord_guild, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET company = excluded.company, profile = excluded.profile, data_files = excluded.data_files, updated_at = excluded.updated_at,
			slack_team = excluded.slack_team, discord_guild = excluded.discord_guild, version = excluded.version`,
		w.ID, w.Company, jsonOr(w.Profile, "{}"), string(files), ts(w.UpdatedAt), team, guild, w.Version())
	if err != nil {
		return fmt.Errorf("upsert workspace %s: %w", w.ID, err)
	}
	return nil
}

// WorkspaceStamp finds a workspace by key and says which version of it is current.
func (s *Store) WorkspaceStamp(ctx context.Context, key store.WorkspaceKey) (store.WorkspaceStamp, error) {
	col, v := key.Column()
	var st store.WorkspaceStamp
	err := s.db.QueryRowContext(ctx, `SELECT w.id, w.version, COALESCE(k.seq, 0), w.people FROM workspaces w LEFT JOIN kpi_snapshots k ON k.workspace = w.id
		WHERE w.`+col+` = ? AND ? <> '' ORDER BY w.id LIMIT 1`, v, v).Scan(&st.ID, &st.Version, &st.Snapshot, &st.People)
	if errors.Is(err, sql.ErrNoRows) {
		return st, fmt.Errorf("workspace %s %s: %w", col, v, store.ErrNotFound)
	}
	if err != nil {
		return st, fmt.Errorf("find workspace %s %s: %w", col, v, err)
	}
	return st, nil
}

// Workspace loads one workspace.
func (s *Store) Workspace(ctx context.Context, id string) (store.Workspace, error) {
	var w store.Workspace
	var profile, files, updated string
	err := s.db.QueryRowContext(ctx, `SELECT id, company, profile, data_files, updated_at FROM workspaces WHERE id = ?`, id).
		Scan(&w.ID, &w.Company, &profile, &files, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return w, fmt.Errorf("workspace %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return w, fmt.Errorf("load workspace %s: %w", id, err)
	}
	w.Profile = json.RawMessage(profile)
	_ = json.Unmarshal([]byte(files), &w.DataFiles)
	w.UpdatedAt = parseTS(updated)
	return w, nil
}

// Workspaces lists every workspace, by id.
func (s *Store) Workspaces(ctx context.Context) ([]store.Workspace, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, company, profile, data_files, updated_at FROM workspaces ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list workspaces: %w", err)
	}
	defer rows.Close()
	var out []store.Workspace
	for rows.Next() {
		var w store.Workspace
		var profile, files, updated string
		if err := rows.Scan(&w.ID, &w.Company, &profile, &files, &updated); err != nil {
			return nil, fmt.Errorf("list workspaces: %w", err)
		}
		w.Profile = json.RawMessage(profile)
		_ = json.Unmarshal([]byte(files), &w.DataFiles)
		w.UpdatedAt = parseTS(updated)
		out = append(out, w)
	}
	return out, rows.Err()
}

const threadCols = `workspace, id, asker, language, transport, channel, state, intent, version, created_at, updated_at, question, asked, reasked`

type scanner interface{ Scan(...any) error }

func scanThread(r scanner) (store.Thread, error) {
	var t store.Thread
	var intent, created, updated, asked, reasked string
	err := r.Scan(&t.Workspace, &t.ID, &t.Asker, &t.Language, &t.Transport, &t.Channel, &t.State, &intent, &t.Version, &created, &updated, &t.Question, &asked, &reasked)
	t.Intent = json.RawMessage(intent)
	_ = json.Unmarshal([]byte(asked), &t.Asked)
	_ = json.Unmarshal([]byte(reasked), &t.Reasked)
	t.CreatedAt, t.UpdatedAt = parseTS(created), parseTS(updated)
	return t, err
}

// Thread loads one thread.
func (s *Store) Thread(ctx context.Context, workspace, id string) (store.Thread, error) {
	t, err := scanThread(s.db.QueryRowContext(ctx, `SELECT `+threadCols+` FROM threads WHERE workspace = ? AND id = ?`, workspace, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("thread %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("load thread %s: %w", id, err)
	}
	return t, nil
}

// SaveTurn writes a turn atomically, failing with ErrConflict when the thread changed.
func (s *Store) SaveTurn(ctx context.Context, turn store.Turn) (store.Thread, error) {
	t := turn.Thread
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return t, fmt.Errorf("save turn: %w", err)
	}
	defer tx.Rollback()
	if turn.New {
		t.Version = 1
		_, err = tx.ExecContext(ctx, `INSERT INTO threads (`+threadCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.Workspace, t.ID, t.Asker, t.Language, t.Transport, t.Channel, t.State, jsonOr(t.Intent, "{}"), t.Version, ts(t.CreatedAt), ts(t.UpdatedAt), t.Question, t.AskedJSON(), t.ReaskedJSON())
		if err != nil {
			if strings.Contains(err.Error(), "UNIQUE") || strings.Contains(err.Error(), "PRIMARY KEY") {
				return t, fmt.Errorf("create thread %s: %w", t.ID, store.ErrConflict)
			}
			return t, fmt.Errorf("create thread %s: %w", t.ID, err)
		}
	} else {
		res, err := tx.ExecContext(ctx, `UPDATE threads SET asker = ?, language = ?, state = ?, intent = ?, version = version + 1, updated_at = ?, question = ?, asked = ?, reasked = ?
			WHERE workspace = ? AND id = ? AND version = ?`,
			t.Asker, t.Language, t.State, jsonOr(t.Intent, "{}"), ts(t.UpdatedAt), t.Question, t.AskedJSON(), t.ReaskedJSON(), t.Workspace, t.ID, t.Version)
		if err != nil {
			return t, fmt.Errorf("update thread %s: %w", t.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return t, fmt.Errorf("update thread %s: %w", t.ID, store.ErrConflict)
		}
		t.Version++
	}
	if turn.SupersedeDrafts {
		if _, err := tx.ExecContext(ctx, `UPDATE drafts SET state = 'superseded' WHERE workspace = ? AND thread_id = ? AND state = 'pending_approval'`, t.Workspace, t.ID); err != nil {
			return t, fmt.Errorf("supersede drafts of %s: %w", t.ID, err)
		}
	}
	if d := turn.Draft; d != nil {
		_, err := tx.ExecContext(ctx, `INSERT INTO drafts (workspace, id, thread_id, state, text, language, evidence, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			t.Workspace, d.ID, t.ID, store.DraftPending, d.Text, d.Language, jsonOr(d.Evidence, "{}"), ts(d.CreatedAt))
		if err != nil {
			return t, fmt.Errorf("insert draft %s: %w", d.ID, err)
		}
	}
	if err := appendEvents(ctx, tx, t.Workspace, t.ID, turn.Events); err != nil {
		return t, err
	}
	if turn.ResetFacts {
		if _, err := tx.ExecContext(ctx, `DELETE FROM facts WHERE workspace = ? AND thread_id = ?`, t.Workspace, t.ID); err != nil {
			return t, fmt.Errorf("reset the facts of %s: %w", t.ID, err)
		}
	}
	if err := insertFacts(ctx, tx, t.Workspace, t.ID, turn.Facts); err != nil {
		return t, err
	}
	if err := saveReminders(ctx, tx, turn); err != nil {
		return t, err
	}
	if turn.Key != "" {
		_, err := tx.ExecContext(ctx, `INSERT INTO turn_replies (workspace, key, thread_id, reply, at) VALUES (?, ?, ?, ?, ?)`,
			t.Workspace, turn.Key, t.ID, jsonOr(turn.Reply, "{}"), ts(t.UpdatedAt))
		if err != nil && (strings.Contains(err.Error(), "UNIQUE") || strings.Contains(err.Error(), "PRIMARY KEY")) {
			return t, fmt.Errorf("message %s was handled already: %w", turn.Key, store.ErrConflict)
		}
		if err != nil {
			return t, fmt.Errorf("record the reply to %s: %w", turn.Key, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return t, fmt.Errorf("save turn: %w", err)
	}
	return t, nil
}

func appendEvents(ctx context.Context, tx *sql.Tx, workspace, thread string, events []store.Event) error {
	if len(events) == 0 {
		return nil
	}
	var seq int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM events WHERE workspace = ? AND thread_id = ?`, workspace, thread).Scan(&seq); err != nil {
		return fmt.Errorf("append events: %w", err)
	}
	for _, e := range events {
		seq++
		if _, err := tx.ExecContext(ctx, `INSERT INTO events (workspace, thread_id, seq, kind, at, by, data) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			workspace, thread, seq, e.Kind, ts(e.At), e.By, jsonOr(e.Data, "{}")); err != nil {
			return fmt.Errorf("append %s event: %w", e.Kind, err)
		}
	}
	return nil
}

// Events lists a thread's audit trail in order.
func (s *Store) Events(ctx context.Context, workspace, threadID string) ([]store.Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, kind, at, by, data FROM events WHERE workspace = ? AND thread_id = ? ORDER BY seq`, workspace, threadID)
	if err != nil {
		return nil, fmt.Errorf("list events of %s: %w", threadID, err)
	}
	defer rows.Close()
	var out []store.Event
	for rows.Next() {
		var e store.Event
		var at, data string
		if err := rows.Scan(&e.Seq, &e.Kind, &at, &e.By, &data); err != nil {
			return nil, fmt.Errorf("list events of %s: %w", threadID, err)
		}
		e.At, e.Data = parseTS(at), json.RawMessage(data)
		out = append(out, e)
	}
	return out, rows.Err()
}
