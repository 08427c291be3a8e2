package sqlitestore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/store/sqlitestore"
	"github.com/whybot/whybot/knowledge/store/storetest"
)

func open(t *testing.T) *sqlitestore.Store {
	t.Helper()
	ctx := context.Background()
	s, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "whybot.db"))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	require.NoError(t, s.Migrate(ctx, nil))
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

func TestSchemaEnforcesStateMachine(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t)
	db := s.DB()
	_, err := db.ExecContext(ctx, `INSERT INTO workspaces (id, company, profile, updated_at) VALUES ('w', 'W', '{}', 'now')`)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `INSERT INTO threads (workspace, id, asker, language, transport, state, created_at, updated_at) VALUES ('w', 't', 'a', 'it', 'cli', 'pending_approval', 'now', 'now')`)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `INSERT INTO drafts (workspace, id, thread_id, state, text, language, created_at) VALUES ('w', 'd', 't', 'pending_approval', 'x', 'it', 'now')`)
	require.NoError(t, err)

	// posting without an approval record is impossible: the state check and the trigger refuse it
	_, err = db.ExecContext(ctx, `UPDATE drafts SET state = 'posted', posted_at = 'now' WHERE id = 'd'`)
	require.ErrorContains(t, err, "invalid draft state transition")
	_, err = db.ExecContext(ctx, `UPDATE drafts SET state = 'approved' WHERE id = 'd'`)
	require.ErrorContains(t, err, "CHECK constraint failed")
	_, err = db.ExecContext(ctx, `UPDATE drafts SET state = 'rejected', decided_by = 'luca', reason = '' WHERE id = 'd'`)
	require.ErrorContains(t, err, "CHECK constraint failed")
	_, err = db.ExecContext(ctx, `UPDATE drafts SET state = 'bogus' WHERE id = 'd'`)
	require.Error(t, err)
	// an outbox row needs an approval
	_, err = db.ExecContext(ctx, `INSERT INTO outbox (workspace, draft_id, thread_id, transport, channel, text, idempotency_key, state, created_at) VALUES ('w', 'd', 't', 'cli', '', 'x', 'k', 'pending', 'now')`)
	require.ErrorContains(t, err, "FOREIGN KEY")
}

func TestSchemaStatus(t *testing.T) {
	t.Parallel()
	s := open(t)
	st, err := s.SchemaStatus(context.Background())
	require.NoError(t, err)
	require.Equal(t, st.Latest, st.Current)
	require.EqualValues(t, 16, st.Latest)
	require.NoError(t, st.Check())
}
