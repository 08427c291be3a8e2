package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/store"
)

const draftCols = `workspace, id, thread_id, state, text, final_text, language, evidence, created_at, decided_by, decided_at, edited, reason, posted_at`

func scanDraft(r pgx.Row, extra ...any) (store.Draft, error) {
	var d store.Draft
	var final, decidedBy, reason *string
	var evidence []byte
	err := r.Scan(append([]any{&d.Workspace, &d.ID, &d.ThreadID, &d.State, &d.Text, &final, &d.Language, &evidence, &d.CreatedAt, &decidedBy, &d.DecidedAt, &d.Edited, &reason, &d.PostedAt}, extra...)...)
	deref := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	d.FinalText, d.DecidedBy, d.Reason = deref(final), record.Actor(deref(decidedBy)), deref(reason)
	d.Evidence = evidence
	d.CreatedAt = d.CreatedAt.UTC()
	for _, p := range []*time.Time{d.DecidedAt, d.PostedAt} {
		if p != nil {
			*p = p.UTC()
		}
	}
	return d, err
}

// Draft loads one draft.
func (s *Store) Draft(ctx context.Context, workspace, id string) (store.Draft, error) {
	d, err := scanDraft(s.pool.QueryRow(ctx, `SELECT `+draftCols+` FROM drafts WHERE workspace = $1 AND id = $2`, workspace, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return d, fmt.Errorf("draft %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("load draft %s: %w", id, err)
	}
	return d, nil
}

// Drafts lists a workspace's drafts in the given states (all when none), oldest first.
func (s *Store) Drafts(ctx context.Context, workspace string, states ...store.DraftState) ([]store.Draft, error) {
	names := make([]string, len(states))
	for i, st := range states {
		names[i] = string(st)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+draftCols+` FROM drafts WHERE workspace = $1 AND (cardinality($2::text[]) = 0 OR state = ANY($2))
		ORDER BY created_at, id`, workspace, names)
	if err != nil {
		return nil, fmt.Errorf("list drafts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Draft, error) { return scanDraft(r) })
	if err != nil {
		return nil, fmt.Errorf("list drafts: %w", err)
	}
	return out, nil
}

// ListDrafts reads one page of drafts across workspaces, with their threads' askers.
func (s *Store) ListDrafts(ctx context.Context, q store.DraftQuery) ([]store.ListedDraft, error) {
	names := make([]string, len(q.States))
	for i, st := range q.States {
		names[i] = string(st)
	}
	after := store.DraftCursor{}
	if q.After != nil {
		after = *q.After
	}
	rows, err := s.pool.Query(ctx, `SELECT d.`+strings.ReplaceAll(draftCols, ", ", ", d.")+`, t.asker, t.transport, t.question FROM drafts d
		JOIN threads t ON t.workspace = d.workspace AND t.id = d.thread_id
		WHERE ($1::text[] IS NULL OR d.workspace = ANY($1)) AND (cardinality($2::text[]) = 0 OR d.state = ANY($2))
			AND ($3::timestamptz IS NULL OR (d.created_at, d.workspace, d.id) > ($3, $4, $5))
		ORDER BY d.created_at, d.workspace, d.id LIMIT $6`,
		q.Workspaces, names, nullTime(q.After != nil, after.CreatedAt), after.Workspace, after.ID, q.Size())
	if err != nil {
		return nil, fmt.Errorf("list drafts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.ListedDraft, error) {
		var l store.ListedDraft
		d, err := scanDraft(r, &l.Asker, &l.Transport, &l.Question)
		l.Draft = d
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("list drafts: %w", err)
	}
	return out, nil
}

// nullTime is t, or NULL when not set.
func nullTime(set bool, t time.Time) *time.Time {
	if !set {
		return nil
	}
	return &t
}

// DraftCounts counts the drafts of every workspace by state.
func (s *Store) DraftCounts(ctx context.Context) (map[store.DraftState]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT state, count(*) FROM drafts GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("count drafts: %w", err)
	}
	out := map[store.DraftState]int{}
	var st string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&st, &n}, func() error { out[store.DraftState(st)] = n; return nil })
	if err != nil {
		return nil, fmt.Errorf("count drafts: %w", err)
	}
	return out, nil
}

// Decide applies a reviewer's decision atomically; an approval also enqueues the durable
// job that posts it, in the same transaction.
func (s *Store) Decide(ctx context.Context, dec store.Decision) (store.Draft, error) {
	var out store.Draft
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		d, err := scanDraft(tx.QueryRow(ctx, `SELECT `+draftCols+` FROM drafts WHERE workspace = $1 AND id = $2 FOR UPDATE`, dec.Workspace, dec.DraftID))
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("draft %s: %w", dec.DraftID, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		out = d
		to := store.DraftRejected
		if dec.Approve {
			to = store.DraftApproved
		}
		if !store.CanTransition(d.State, to) {
			return fmt.Errorf("draft %s is %s: %w", d.ID, d.State, store.ErrInvalidTransition)
		}
		if !dec.Approve && strings.TrimSpace(dec.Reason) == "" {
			return fmt.Errorf("reject draft %s: a reason is required", d.ID)
		}
		t, err := scanThread(tx.QueryRow(ctx, `SELECT `+threadCols+` FROM threads WHERE workspace = $1 AND id = $2 FOR UPDATE`, dec.Workspace, d.ThreadID))
		if err != nil {
			return fmt.Errorf("load thread: %w", err)
		}
		final, edited, events, state := store.DecisionEffects(d, dec)
		if dec.Approve {
			if _, err := tx.Exec(ctx, `UPDATE drafts SET state = 'approved', final_text = $1, decided_by = $2, decided_at = $3, edited = $4
				WHERE workspace = $5 AND id = $6`, final, dec.By, dec.At, edited, dec.Workspace, d.ID); err != nil {
				return fmt.Errorf("approve: %w", err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO approvals (workspace, draft_id, by, at, edited, original_text, final_text) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				dec.Workspace, d.ID, dec.By, dec.At, edited, d.Text, final); err != nil {
				return fmt.Errorf("record approval: %w", err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO outbox (workspace, draft_id, thread_id, transport, channel, text, idempotency_key, state, created_at, available_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $8)`,
				dec.Workspace, d.ID, d.ThreadID, t.Transport, t.Channel, final, store.IdempotencyKey(dec.Workspace, d.ID), dec.At); err != nil {
				return fmt.Errorf("enqueue post: %w", err)
			}
			if _, err := s.river.InsertTx(ctx, tx, store.PostArgs{Workspace: dec.Workspace, DraftID: d.ID}, &river.InsertOpts{MaxAttempts: 25, UniqueOpts: river.UniqueOpts{ByArgs: true}}); err != nil {
				return fmt.Errorf("enqueue post job: %w", err)
			}
		} else {
			if _, err := tx.Exec(ctx, `UPDATE drafts SET state = 'rejected', decided_by = $1, decided_at = $2, reason = $3
				WHERE workspace = $4 AND id = $5`, dec.By, dec.At, dec.Reason, dec.Workspace, d.ID); err != nil {
				return fmt.Errorf("reject: %w", err)
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE threads SET state = $1, version = version + 1, updated_at = $2 WHERE workspace = $3 AND id = $4`,
			state, dec.At, dec.Workspace, t.ID); err != nil {
			return fmt.Errorf("update thread %s: %w", t.ID, err)
		}
		if err := appendEvents(ctx, tx, dec.Workspace, t.ID, events); err != nil {
			return err
		}
		out, err = scanDraft(tx.QueryRow(ctx, `SELECT `+draftCols+` FROM drafts WHERE workspace = $1 AND id = $2`, dec.Workspace, dec.DraftID))
		return err
	})
	if err != nil {
		return out, fmt.Errorf("decide draft %s: %w", dec.DraftID, err)
	}
	return out, nil
}
