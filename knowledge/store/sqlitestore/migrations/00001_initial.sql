-- +goose Up
CREATE TABLE workspaces (
    id         TEXT PRIMARY KEY,
    company    TEXT NOT NULL,
    profile    TEXT NOT NULL CHECK (json_valid(profile)),
    data_files TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(data_files)),
    updated_at TEXT NOT NULL
);

CREATE TABLE threads (
    workspace  TEXT NOT NULL REFERENCES workspaces (id),
    id         TEXT NOT NULL,
    asker      TEXT NOT NULL,
    language   TEXT NOT NULL CHECK (language IN ('it', 'en')),
    transport  TEXT NOT NULL,
    channel    TEXT NOT NULL DEFAULT '',
    state      TEXT NOT NULL CHECK (state IN ('awaiting_answers', 'pending_approval', 'approved', 'rejected', 'posted')),
    intent     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(intent)),
    version    INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (workspace, id)
);

CREATE TABLE events (
    workspace TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('question', 'data', 'rule', 'question_asked', 'answer', 'draft',
                                            'approved', 'edited', 'rejected', 'posted')),
    at        TEXT NOT NULL,
    by        TEXT NOT NULL,
    data      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(data)),
    PRIMARY KEY (workspace, thread_id, seq),
    FOREIGN KEY (workspace, thread_id) REFERENCES threads (workspace, id)
);

CREATE TABLE drafts (
    workspace  TEXT NOT NULL,
    id         TEXT NOT NULL,
    thread_id  TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('pending_approval', 'approved', 'rejected', 'posted', 'superseded')),
    text       TEXT NOT NULL CHECK (text <> ''),
    final_text TEXT,
    language   TEXT NOT NULL,
    evidence   TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(evidence)),
    created_at TEXT NOT NULL,
    decided_by TEXT,
    decided_at TEXT,
    edited     INTEGER NOT NULL DEFAULT 0,
    reason     TEXT,
    posted_at  TEXT,
    PRIMARY KEY (workspace, id),
    FOREIGN KEY (workspace, thread_id) REFERENCES threads (workspace, id),
    -- approved and posted drafts carry who approved them and the text approved
    CHECK (state NOT IN ('approved', 'posted') OR (decided_by IS NOT NULL AND decided_at IS NOT NULL AND final_text IS NOT NULL)),
    -- a rejection always has a reason
    CHECK (state <> 'rejected' OR (decided_by IS NOT NULL AND reason IS NOT NULL AND reason <> '')),
    CHECK (state <> 'posted' OR posted_at IS NOT NULL)
);
CREATE INDEX drafts_by_state ON drafts (workspace, state, created_at);
CREATE INDEX drafts_by_thread ON drafts (workspace, thread_id);

-- The only legal moves of the draft state machine (see package store).
-- +goose StatementBegin
CREATE TRIGGER drafts_state_machine BEFORE UPDATE OF state ON drafts
WHEN NOT (OLD.state = NEW.state
       OR (OLD.state = 'pending_approval' AND NEW.state IN ('approved', 'rejected', 'superseded'))
       OR (OLD.state = 'approved' AND NEW.state = 'posted'))
BEGIN
    SELECT RAISE(ABORT, 'invalid draft state transition');
END;
-- +goose StatementEnd

-- One approval per draft; the outbox can only reference an approval.
CREATE TABLE approvals (
    workspace     TEXT NOT NULL,
    draft_id      TEXT NOT NULL,
    by            TEXT NOT NULL,
    at            TEXT NOT NULL,
    edited        INTEGER NOT NULL DEFAULT 0,
    original_text TEXT NOT NULL,
    final_text    TEXT NOT NULL CHECK (final_text <> ''),
    PRIMARY KEY (workspace, draft_id),
    FOREIGN KEY (workspace, draft_id) REFERENCES drafts (workspace, id)
);

CREATE TABLE outbox (
    workspace       TEXT NOT NULL,
    draft_id        TEXT NOT NULL,
    thread_id       TEXT NOT NULL,
    transport       TEXT NOT NULL,
    channel         TEXT NOT NULL,
    text            TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    claimed_at      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT,
    ref             TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (workspace, draft_id),
    FOREIGN KEY (workspace, draft_id) REFERENCES approvals (workspace, draft_id)
);
CREATE INDEX outbox_by_state ON outbox (state, created_at);

-- +goose Down
DROP TABLE outbox;
DROP TABLE approvals;
DROP TRIGGER drafts_state_machine;
DROP TABLE drafts;
DROP TABLE events;
DROP TABLE threads;
DROP TABLE workspaces;
