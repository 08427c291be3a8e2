// Package sqlitestore is the embedded default backend of store.Store: one SQLite file
// through the pure-Go modernc.org/sqlite driver, in WAL mode, with versioned migrations
// embedded in the binary (applied by Migrate, never by Open).
package sqlitestore

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/whybot/whybot/knowledge/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a store.Store on a SQLite file.
type Store struct {
	db *sql.DB
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database file at path. It does not change the schema:
// call Migrate.
func Open(ctx context.Context, path string) (*Store, error) {
	if path != ":memory:" {
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("create database folder: %w", err)
		}
	}
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(10000)", "foreign_keys(ON)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if path == ":memory:" {
		db.SetMaxOpenConns(1)
	} else {
		// Keep the connections: opening one runs the pragmas and reads the schema again,
		// which under load cost more than the queries (database/sql keeps only 2 idle by
		// default). Writers still take turns (WAL, BEGIN IMMEDIATE, busy_timeout).
		n := max(4, 2*runtime.GOMAXPROCS(0))
		db.SetMaxOpenConns(n)
		db.SetMaxIdleConns(n)
		db.SetConnMaxIdleTime(5 * time.Minute)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// DB exposes the handle for migrations and tests.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

func provider(db *sql.DB, log *slog.Logger) (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	if log != nil {
		opts = append(opts, goose.WithSlog(log))
	}
	return goose.NewProvider(goose.DialectSQLite3, db, sub, opts...)
}

// Migrate applies every pending migration.
func (s *Store) Migrate(ctx context.Context, log *slog.Logger) error {
	p, err := provider(s.db, log)
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate sqlite: %w", err)
	}
	return nil
}

// SchemaStatus reports the database's version and the newest version this binary knows.
func (s *Store) SchemaStatus(ctx context.Context) (store.Schema, error) {
	st := store.Schema{Backend: "sqlite"}
	p, err := provider(s.db, nil)
	if err != nil {
		return st, err
	}
	st.Current, err = p.GetDBVersion(ctx)
	if err != nil {
		return st, fmt.Errorf("read schema version: %w", err)
	}
	if srcs := p.ListSources(); len(srcs) > 0 {
		st.Latest = srcs[len(srcs)-1].Version
	}
	return st, nil
}

// ts is a fixed-width UTC timestamp, so that text comparisons in SQL order like times.
func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

func parseTS(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

func parseTSPtr(s sql.NullString) *time.Time {
	if !s.Valid || s.String == "" {
		return nil
	}
	t := parseTS(s.String)
	return &t
}

func jsonOr(raw json.RawMessage, def string) string {
	if len(raw) == 0 {
		return def
	}
	return string(raw)
}

// UpsertWorkspace creates or updates a workspace.
func (s *Store) UpsertWorkspace(ctx context.Context, w store.Workspace) error {
	files, _ := json.Marshal(w.DataFiles)
	if w.DataFiles == nil {
		files = []byte("[]")
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO workspaces (id, company, profile, data_files, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET company = excluded.company, profile = excluded.profile, data_files = excluded.data_files, updated_at = excluded.updated_at`,
		w.ID, w.Company, jsonOr(w.Profile, "{}"), string(files), ts(w.UpdatedAt))
	if err != nil {
		return fmt.Errorf("upsert workspace %s: %w", w.ID, err)
	}
	return nil
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

const threadCols = `workspace, id, asker, language, transport, channel, state, intent, version, created_at, updated_at`

type scanner interface{ Scan(...any) error }

func scanThread(r scanner) (store.Thread, error) {
	var t store.Thread
	var intent, created, updated string
	err := r.Scan(&t.Workspace, &t.ID, &t.Asker, &t.Language, &t.Transport, &t.Channel, &t.State, &intent, &t.Version, &created, &updated)
	t.Intent = json.RawMessage(intent)
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
		_, err = tx.ExecContext(ctx, `INSERT INTO threads (`+threadCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.Workspace, t.ID, t.Asker, t.Language, t.Transport, t.Channel, t.State, jsonOr(t.Intent, "{}"), t.Version, ts(t.CreatedAt), ts(t.UpdatedAt))
		if err != nil {
			if strings.Contains(err.Error(), "UNIQUE") || strings.Contains(err.Error(), "PRIMARY KEY") {
				return t, fmt.Errorf("create thread %s: %w", t.ID, store.ErrConflict)
			}
			return t, fmt.Errorf("create thread %s: %w", t.ID, err)
		}
	} else {
		res, err := tx.ExecContext(ctx, `UPDATE threads SET asker = ?, language = ?, state = ?, intent = ?, version = version + 1, updated_at = ?
			WHERE workspace = ? AND id = ? AND version = ?`,
			t.Asker, t.Language, t.State, jsonOr(t.Intent, "{}"), ts(t.UpdatedAt), t.Workspace, t.ID, t.Version)
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
	if err := insertFacts(ctx, tx, t.Workspace, t.ID, turn.Facts); err != nil {
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

const draftCols = `workspace, id, thread_id, state, text, final_text, language, evidence, created_at, decided_by, decided_at, edited, reason, posted_at`

func scanDraft(r scanner) (store.Draft, error) {
	var d store.Draft
	var final, decidedBy, decidedAt, reason, postedAt sql.NullString
	var evidence, created string
	err := r.Scan(&d.Workspace, &d.ID, &d.ThreadID, &d.State, &d.Text, &final, &d.Language, &evidence, &created, &decidedBy, &decidedAt, &d.Edited, &reason, &postedAt)
	d.FinalText, d.DecidedBy, d.Reason = final.String, decidedBy.String, reason.String
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

const outboxCols = `o.workspace, o.draft_id, o.thread_id, o.transport, o.channel, o.text, o.idempotency_key, o.state, o.attempts, o.last_error, a.by, o.created_at`

func scanOutbox(r scanner) (store.Outbox, error) {
	var o store.Outbox
	var created string
	err := r.Scan(&o.Workspace, &o.DraftID, &o.ThreadID, &o.Transport, &o.Channel, &o.Text, &o.IdempotencyKey, &o.State, &o.Attempts, &o.LastError, &o.ApprovedBy, &created)
	o.CreatedAt = parseTS(created)
	return o, err
}

// ClaimOutbox takes a row for posting.
func (s *Store) ClaimOutbox(ctx context.Context, workspace, draftID string, now time.Time, lease time.Duration) (store.Outbox, bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE outbox SET state = 'sending', claimed_at = ?, attempts = attempts + 1
		WHERE workspace = ? AND draft_id = ? AND (state = 'pending' OR (state = 'sending' AND claimed_at < ?))`,
		ts(now), workspace, draftID, ts(now.Add(-lease)))
	if err != nil {
		return store.Outbox{}, false, fmt.Errorf("claim post of %s: %w", draftID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return store.Outbox{}, false, nil
	}
	o, err := scanOutbox(s.db.QueryRowContext(ctx, `SELECT `+outboxCols+` FROM outbox o JOIN approvals a ON a.workspace = o.workspace AND a.draft_id = o.draft_id
		WHERE o.workspace = ? AND o.draft_id = ?`, workspace, draftID))
	if err != nil {
		return o, false, fmt.Errorf("claim post of %s: %w", draftID, err)
	}
	return o, true, nil
}

// PendingOutbox lists rows to post.
func (s *Store) PendingOutbox(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]store.Outbox, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+outboxCols+` FROM outbox o JOIN approvals a ON a.workspace = o.workspace AND a.draft_id = o.draft_id
		WHERE (o.state = 'pending' AND o.available_at <= ?) OR (o.state = 'sending' AND o.claimed_at < ?) ORDER BY o.created_at LIMIT ?`,
		ts(now), ts(now.Add(-lease)), limit)
	if err != nil {
		return nil, fmt.Errorf("list pending posts: %w", err)
	}
	defer rows.Close()
	var out []store.Outbox
	for rows.Next() {
		o, err := scanOutbox(rows)
		if err != nil {
			return nil, fmt.Errorf("list pending posts: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// MarkPosted records a post.
func (s *Store) MarkPosted(ctx context.Context, workspace, draftID string, at time.Time, ref string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("mark %s posted: %w", draftID, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE outbox SET state = 'sent', sent_at = ?, ref = ? WHERE workspace = ? AND draft_id = ? AND state = 'sending'`,
		ts(at), ref, workspace, draftID)
	if err != nil {
		return fmt.Errorf("mark %s posted: %w", draftID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("mark %s posted: %w", draftID, store.ErrConflict)
	}
	var threadID, text string
	if err := tx.QueryRowContext(ctx, `SELECT thread_id, text FROM outbox WHERE workspace = ? AND draft_id = ?`, workspace, draftID).Scan(&threadID, &text); err != nil {
		return fmt.Errorf("mark %s posted: %w", draftID, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE drafts SET state = 'posted', posted_at = ? WHERE workspace = ? AND id = ?`, ts(at), workspace, draftID); err != nil {
		return fmt.Errorf("mark %s posted: %w", draftID, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE threads SET state = 'posted', version = version + 1, updated_at = ? WHERE workspace = ? AND id = ?`, ts(at), workspace, threadID); err != nil {
		return fmt.Errorf("mark %s posted: %w", draftID, err)
	}
	if err := appendEvents(ctx, tx, workspace, threadID, []store.Event{store.PostedEvent(draftID, text, ref, at)}); err != nil {
		return err
	}
	return tx.Commit()
}

// ReleaseOutbox puts a claimed row back after a failure.
func (s *Store) ReleaseOutbox(ctx context.Context, workspace, draftID string, now time.Time, errMsg string) error {
	var attempts int
	err := s.db.QueryRowContext(ctx, `SELECT attempts FROM outbox WHERE workspace = ? AND draft_id = ?`, workspace, draftID).Scan(&attempts)
	if err != nil {
		return fmt.Errorf("release post of %s: %w", draftID, err)
	}
	_, err = s.db.ExecContext(ctx, `UPDATE outbox SET state = 'pending', last_error = ?, claimed_at = NULL, available_at = ? WHERE workspace = ? AND draft_id = ? AND state = 'sending'`,
		errMsg, ts(now.Add(store.Backoff(attempts))), workspace, draftID)
	if err != nil {
		return fmt.Errorf("release post of %s: %w", draftID, err)
	}
	return nil
}
