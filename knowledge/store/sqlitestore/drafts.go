package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/store"
)

const draftCols = `workspace, id, thread_id, state, text, final_text, language, evidence, created_at, decided_by, decided_at, edited, reason, posted_at`

func scanDraft(r scanner, extra ...any) (store.Draft, error) {
	var d store.Draft
	var final, decidedBy, decidedAt, reason, postedAt sql.NullString
	var evidence, created string
	err := r.Scan(append([]any{&d.Workspace, &d.ID, &d.ThreadID, &d.State, &d.Text, &final, &d.Language, &evidence, &created, &decidedBy, &decidedAt, &d.Edited, &reason, &postedAt}, extra...)...)
	d.FinalText, d.DecidedBy, d.Reason = final.String, record.Actor(decidedBy.String), reason.String
	d.Evidence = json.RawMessage(evidence)
	d.CreatedAt = parseTS(created)
	d.DecidedAt, d.PostedAt = parseTSPtr(decidedAt), parseTSPtr(postedAt)
	return d, err
}

// Draft loads one draft.
func (s *Store) Draft(ctx context.Context, workspace, id string) (store.Draft, error) {
	d, err := scanDraft(s.db.QueryRowContext(ctx, `SELECT `+draftCols+` FROM drafts WHERE workspace = ? AND id = ?`, workspace, id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("draft %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("load draft %s: %w", id, err)
	}
	return d, nil
}

// DraftCounts counts the drafts of every workspace by state.
func (s *Store) DraftCounts(ctx context.Context) (map[store.DraftState]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT state, count(*) FROM drafts GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("count drafts: %w", err)
	}
	defer rows.Close()
	out := map[store.DraftState]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("count drafts: %w", err)
		}
		out[store.DraftState(st)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count drafts: %w", err)
	}
	return out, nil
}

// Drafts lists a workspace's drafts in the given states (all when none), oldest first.
func (s *Store) Drafts(ctx context.Context, workspace string, states ...store.DraftState) ([]store.Draft, error) {
	q := `SELECT ` + draftCols + ` FROM drafts WHERE workspace = ?`
	args := []any{workspace}
	if len(states) > 0 {
		q += ` AND state IN (` + strings.TrimSuffix(strings.Repeat("?,", len(states)), ",") + `)`
		for _, st := range states {
			args = append(args, st)
		}
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list drafts: %w", err)
	}
	defer rows.Close()
	var out []store.Draft
	for rows.Next() {
		d, err := scanDraft(rows)
		if err != nil {
			return nil, fmt.Errorf("list drafts: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// ListDrafts reads one page of drafts across workspaces, with their threads' askers.
func (s *Store) ListDrafts(ctx context.Context, q store.DraftQuery) ([]store.ListedDraft, error) {
	sel := `SELECT d.` + strings.ReplaceAll(draftCols, ", ", ", d.") + `, t.asker, t.transport, t.question FROM drafts d
		JOIN threads t ON t.workspace = d.workspace AND t.id = d.thread_id WHERE 1 = 1`
	var args []any
	if q.Workspaces != nil {
		sel += ` AND d.workspace IN (SELECT value FROM json_each(?))`
		ws, _ := json.Marshal(q.Workspaces)
		args = append(args, string(ws))
	}
	if len(q.States) > 0 {
		sel += ` AND d.state IN (` + strings.TrimSuffix(strings.Repeat("?,", len(q.States)), ",") + `)`
		for _, st := range q.States {
			args = append(args, st)
		}
	}
	if a := q.After; a != nil {
		sel += ` AND (d.created_at, d.workspace, d.id) > (?, ?, ?)`
		args = append(args, ts(a.CreatedAt), a.Workspace, a.ID)
	}
	rows, err := s.db.QueryContext(ctx, sel+` ORDER BY d.created_at, d.workspace, d.id LIMIT ?`, append(args, q.Size())...)
	if err != nil {
		return nil, fmt.Errorf("list drafts: %w", err)
	}
	defer rows.Close()
	out := []store.ListedDraft{}
	for rows.Next() {
		var l store.ListedDraft
		d, err := scanDraft(rows, &l.Asker, &l.Transport, &l.Question)
		if err != nil {
			return nil, fmt.Errorf("list drafts: %w", err)
		}
		l.Draft = d
		out = append(out, l)
	}
	return out, rows.Err()
}

// Decide applies a reviewer's decision atomically.
func (s *Store) Decide(ctx context.Context, dec store.Decision) (store.Draft, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return store.Draft{}, fmt.Errorf("decide draft %s: %w", dec.DraftID, err)
	}
	defer tx.Rollback()
	d, err := scanDraft(tx.QueryRowContext(ctx, `SELECT `+draftCols+` FROM drafts WHERE workspace = ? AND id = ?`, dec.Workspace, dec.DraftID))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("draft %s: %w", dec.DraftID, store.ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("decide draft %s: %w", dec.DraftID, err)
	}
	to := store.DraftRejected
	if dec.Approve {
		to = store.DraftApproved
	}
	if !store.CanTransition(d.State, to) {
		return d, fmt.Errorf("draft %s is %s: %w", d.ID, d.State, store.ErrInvalidTransition)
	}
	t, err := scanThread(tx.QueryRowContext(ctx, `SELECT `+threadCols+` FROM threads WHERE workspace = ? AND id = ?`, dec.Workspace, d.ThreadID))
	if err != nil {
		return d, fmt.Errorf("decide draft %s: load thread: %w", d.ID, err)
	}
	at := ts(dec.At)
	if !dec.Approve && strings.TrimSpace(dec.Reason) == "" {
		return d, fmt.Errorf("reject draft %s: a reason is required", d.ID)
	}
	final, edited, events, state := store.DecisionEffects(d, dec)
	t.State = state
	if dec.Approve {
		res, err := tx.ExecContext(ctx, `UPDATE drafts SET state = 'approved', final_text = ?, decided_by = ?, decided_at = ?, edited = ?
			WHERE workspace = ? AND id = ? AND state = 'pending_approval'`, final, dec.By, at, edited, dec.Workspace, d.ID)
		if err != nil {
			return d, fmt.Errorf("approve draft %s: %w", d.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return d, fmt.Errorf("approve draft %s: %w", d.ID, store.ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO approvals (workspace, draft_id, by, at, edited, original_text, final_text) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			dec.Workspace, d.ID, dec.By, at, edited, d.Text, final); err != nil {
			return d, fmt.Errorf("record approval of %s: %w", d.ID, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (workspace, draft_id, thread_id, transport, channel, text, idempotency_key, state, created_at, available_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
			dec.Workspace, d.ID, d.ThreadID, t.Transport, t.Channel, final, store.IdempotencyKey(dec.Workspace, d.ID), at, at); err != nil {
			return d, fmt.Errorf("enqueue post of %s: %w", d.ID, err)
		}
	} else {
		res, err := tx.ExecContext(ctx, `UPDATE drafts SET state = 'rejected', decided_by = ?, decided_at = ?, reason = ?
			WHERE workspace = ? AND id = ? AND state = 'pending_approval'`, dec.By, at, dec.Reason, dec.Workspace, d.ID)
		if err != nil {
			return d, fmt.Errorf("reject draft %s: %w", d.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return d, fmt.Errorf("reject draft %s: %w", d.ID, store.ErrConflict)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE threads SET state = ?, version = version + 1, updated_at = ? WHERE workspace = ? AND id = ?`,
		t.State, at, dec.Workspace, t.ID); err != nil {
		return d, fmt.Errorf("update thread %s: %w", t.ID, err)
	}
	if err := appendEvents(ctx, tx, dec.Workspace, t.ID, events); err != nil {
		return d, err
	}
	d2, err := scanDraft(tx.QueryRowContext(ctx, `SELECT `+draftCols+` FROM drafts WHERE workspace = ? AND id = ?`, dec.Workspace, dec.DraftID))
	if err != nil {
		return d, fmt.Errorf("reload draft %s: %w", d.ID, err)
	}
	if err := tx.Commit(); err != nil {
		return d, fmt.Errorf("decide draft %s: %w", d.ID, err)
	}
	return d2, nil
}
