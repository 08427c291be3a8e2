package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/whybot/whybot/knowledge/store"
)

// UpsertWorkspace creates or updates a workspace.
func (s *Store) UpsertWorkspace(ctx context.Context, w store.Workspace) error {
	team, guild := w.PlatformKeys()
	files := w.DataFiles
	if files == nil {
		files = []string{}
	}
	fj, err := json.Marshal(files)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO workspaces (id, company, profile, data_files, updated_at, slack_team, discord_guild, version) VALUES ($1, $2, $3::jsonb, $4::jsonb, $5, $6, $7, $8)
		ON CONFLICT (id) DO UPDATE SET company = excluded.company, profile = excluded.profile, data_files = excluded.data_files, updated_at = excluded.updated_at,
			slack_team = excluded.slack_team, discord_guild = excluded.discord_guild, version = excluded.version`,
		w.ID, w.Company, jsonOr(w.Profile, "{}"), string(fj), w.UpdatedAt, team, guild, w.Version())
	if err != nil {
		return fmt.Errorf("upsert workspace %s: %w", w.ID, err)
	}
	return nil
}

// WorkspaceStamp finds a workspace by key and says which version of it is current.
func (s *Store) WorkspaceStamp(ctx context.Context, key store.WorkspaceKey) (store.WorkspaceStamp, error) {
	col, v := key.Column()
	var st store.WorkspaceStamp
	err := s.pool.QueryRow(ctx, `SELECT w.id, w.version, COALESCE(k.seq, 0), w.people FROM workspaces w LEFT JOIN kpi_snapshots k ON k.workspace = w.id
		WHERE w.`+col+` = $1 AND $1 <> '' ORDER BY w.id LIMIT 1`, v).Scan(&st.ID, &st.Version, &st.Snapshot, &st.People)
	if errors.Is(err, pgx.ErrNoRows) {
		return st, fmt.Errorf("workspace %s %s: %w", col, v, store.ErrNotFound)
	}
	if err != nil {
		return st, fmt.Errorf("find workspace %s %s: %w", col, v, err)
	}
	return st, nil
}

func scanWorkspace(r pgx.Row) (store.Workspace, error) {
	var w store.Workspace
	var profile, files []byte
	err := r.Scan(&w.ID, &w.Company, &profile, &files, &w.UpdatedAt)
	w.Profile = profile
	if err == nil {
		err = json.Unmarshal(files, &w.DataFiles)
	}
	return w, err
}

// Workspace loads one workspace.
func (s *Store) Workspace(ctx context.Context, id string) (store.Workspace, error) {
	w, err := scanWorkspace(s.pool.QueryRow(ctx, `SELECT id, company, profile, data_files, updated_at FROM workspaces WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return w, fmt.Errorf("workspace %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return w, fmt.Errorf("load workspace %s: %w", id, err)
	}
	return w, nil
}

// Workspaces lists every workspace, by id.
func (s *Store) Workspaces(ctx context.Context) ([]store.Workspace, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, company, profile, data_files, updated_at FROM workspaces ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list workspaces: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Workspace, error) { return scanWorkspace(r) })
	if err != nil {
		return nil, fmt.Errorf("list workspaces: %w", err)
	}
	return out, nil
}

const threadCols = `workspace, id, asker, language, transport, channel, state, intent, version, created_at, updated_at, question, asked, reasked`

func scanThread(r pgx.Row) (store.Thread, error) {
	var t store.Thread
	var intent, asked, reasked []byte
	err := r.Scan(&t.Workspace, &t.ID, &t.Asker, &t.Language, &t.Transport, &t.Channel, &t.State, &intent, &t.Version, &t.CreatedAt, &t.UpdatedAt, &t.Question, &asked, &reasked)
	t.Intent = intent
	_ = json.Unmarshal(asked, &t.Asked)
	_ = json.Unmarshal(reasked, &t.Reasked)
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	return t, err
}

// Thread loads one thread.
func (s *Store) Thread(ctx context.Context, workspace, id string) (store.Thread, error) {
	t, err := scanThread(s.pool.QueryRow(ctx, `SELECT `+threadCols+` FROM threads WHERE workspace = $1 AND id = $2`, workspace, id))
	if errors.Is(err, pgx.ErrNoRows) {
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
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if turn.New {
			t.Version = 1
			_, err := tx.Exec(ctx, `INSERT INTO threads (`+threadCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12, $13::jsonb, $14::jsonb)`,
				t.Workspace, t.ID, t.Asker, t.Language, t.Transport, t.Channel, t.State, jsonOr(t.Intent, "{}"), t.Version, t.CreatedAt, t.UpdatedAt, t.Question, t.AskedJSON(), t.ReaskedJSON())
			if isUnique(err) {
				return fmt.Errorf("create thread %s: %w", t.ID, store.ErrConflict)
			}
			if err != nil {
				return fmt.Errorf("create thread %s: %w", t.ID, err)
			}
		} else {
			tag, err := tx.Exec(ctx, `UPDATE threads SET asker = $1, language = $2, state = $3, intent = $4::jsonb, version = version + 1, updated_at = $5, question = $9, asked = $10::jsonb, reasked = $11::jsonb
				WHERE workspace = $6 AND id = $7 AND version = $8`,
				t.Asker, t.Language, t.State, jsonOr(t.Intent, "{}"), t.UpdatedAt, t.Workspace, t.ID, t.Version, t.Question, t.AskedJSON(), t.ReaskedJSON())
			if err != nil {
				return fmt.Errorf("update thread %s: %w", t.ID, err)
			}
			if tag.RowsAffected() != 1 {
				return fmt.Errorf("update thread %s: %w", t.ID, store.ErrConflict)
			}
			t.Version++
		}
		if turn.SupersedeDrafts {
			if _, err := tx.Exec(ctx, `UPDATE drafts SET state = 'superseded' WHERE workspace = $1 AND thread_id = $2 AND state = 'pending_approval'`, t.Workspace, t.ID); err != nil {
				return fmt.Errorf("supersede drafts of %s: %w", t.ID, err)
			}
		}
		if d := turn.Draft; d != nil {
			if _, err := tx.Exec(ctx, `INSERT INTO drafts (workspace, id, thread_id, state, text, language, evidence, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)`,
				t.Workspace, d.ID, t.ID, store.DraftPending, d.Text, d.Language, jsonOr(d.Evidence, "{}"), d.CreatedAt); err != nil {
				return fmt.Errorf("insert draft %s: %w", d.ID, err)
			}
		}
		if err := appendEvents(ctx, tx, t.Workspace, t.ID, turn.Events); err != nil {
			return err
		}
		if turn.Key != "" {
			_, err := tx.Exec(ctx, `INSERT INTO turn_replies (workspace, key, thread_id, reply, at) VALUES ($1, $2, $3, $4::jsonb, $5)`,
				t.Workspace, turn.Key, t.ID, jsonOr(turn.Reply, "{}"), t.UpdatedAt)
			if isUnique(err) {
				return fmt.Errorf("message %s was handled already: %w", turn.Key, store.ErrConflict)
			}
			if err != nil {
				return fmt.Errorf("record the reply to %s: %w", turn.Key, err)
			}
		}
		if turn.ResetFacts {
			if _, err := tx.Exec(ctx, `DELETE FROM facts WHERE workspace = $1 AND thread_id = $2`, t.Workspace, t.ID); err != nil {
				return fmt.Errorf("reset the facts of %s: %w", t.ID, err)
			}
		}
		if err := insertFacts(ctx, tx, t.Workspace, t.ID, turn.Facts); err != nil {
			return err
		}
		return saveReminders(ctx, tx, turn)
	})
	if err != nil {
		return turn.Thread, fmt.Errorf("save turn: %w", err)
	}
	return t, nil
}

// appendEvents adds events after the thread's last one; callers hold the thread's row lock
// (they updated or inserted it in the same transaction), so sequence numbers cannot race.
func appendEvents(ctx context.Context, tx pgx.Tx, workspace, thread string, events []store.Event) error {
	if len(events) == 0 {
		return nil
	}
	var seq int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM events WHERE workspace = $1 AND thread_id = $2`, workspace, thread).Scan(&seq); err != nil {
		return fmt.Errorf("append events: %w", err)
	}
	b := &pgx.Batch{}
	for _, e := range events {
		seq++
		b.Queue(`INSERT INTO events (workspace, thread_id, seq, kind, at, by, data) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)`,
			workspace, thread, seq, e.Kind, e.At, e.By, jsonOr(e.Data, "{}"))
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("append events: %w", err)
	}
	return nil
}

// Events lists a thread's audit trail in order.
func (s *Store) Events(ctx context.Context, workspace, threadID string) ([]store.Event, error) {
	rows, err := s.pool.Query(ctx, `SELECT seq, kind, at, by, data FROM events WHERE workspace = $1 AND thread_id = $2 ORDER BY seq`, workspace, threadID)
	if err != nil {
		return nil, fmt.Errorf("list events of %s: %w", threadID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Event, error) {
		var e store.Event
		var data []byte
		err := r.Scan(&e.Seq, &e.Kind, &e.At, &e.By, &data)
		e.Data, e.At = data, e.At.UTC()
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("list events of %s: %w", threadID, err)
	}
	return out, nil
}
