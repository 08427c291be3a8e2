-- +goose Up
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE workspaces (
    id         text PRIMARY KEY,
    company    text NOT NULL,
    profile    jsonb NOT NULL,
    data_files jsonb NOT NULL DEFAULT '[]',
    updated_at timestamptz NOT NULL
);

CREATE TABLE threads (
    workspace  text NOT NULL REFERENCES workspaces (id),
    id         text NOT NULL,
    asker      text NOT NULL,
    language   text NOT NULL CHECK (language IN ('it', 'en')),
    transport  text NOT NULL,
    channel    text NOT NULL DEFAULT '',
    state      text NOT NULL CHECK (state IN ('awaiting_answers', 'pending_approval', 'approved', 'rejected', 'posted')),
    intent     jsonb NOT NULL DEFAULT '{}',
    version    integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (workspace, id)
);

CREATE TABLE events (
    workspace text NOT NULL,
    thread_id text NOT NULL,
    seq       integer NOT NULL,
    kind      text NOT NULL CHECK (kind IN ('question', 'data', 'rule', 'question_asked', 'answer', 'draft',
                                            'approved', 'edited', 'rejected', 'posted')),
    at        timestamptz NOT NULL,
    by        text NOT NULL,
    data      jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (workspace, thread_id, seq),
    FOREIGN KEY (workspace, thread_id) REFERENCES threads (workspace, id)
);

CREATE TABLE drafts (
    workspace  text NOT NULL,
    id         text NOT NULL,
    thread_id  text NOT NULL,
    state      text NOT NULL CHECK (state IN ('pending_approval', 'approved', 'rejected', 'posted', 'superseded')),
    text       text NOT NULL CHECK (text <> ''),
    final_text text,
    language   text NOT NULL,
    evidence   jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL,
    decided_by text,
    decided_at timestamptz,
    edited     boolean NOT NULL DEFAULT false,
    reason     text,
    posted_at  timestamptz,
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
CREATE FUNCTION drafts_state_machine() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT (OLD.state = NEW.state
         OR (OLD.state = 'pending_approval' AND NEW.state IN ('approved', 'rejected', 'superseded'))
         OR (OLD.state = 'approved' AND NEW.state = 'posted')) THEN
        RAISE EXCEPTION 'invalid draft state transition: % -> %', OLD.state, NEW.state USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER drafts_state_machine BEFORE UPDATE OF state ON drafts
    FOR EACH ROW EXECUTE FUNCTION drafts_state_machine();

-- One approval per draft; the outbox can only reference an approval.
CREATE TABLE approvals (
    workspace     text NOT NULL,
    draft_id      text NOT NULL,
    by            text NOT NULL,
    at            timestamptz NOT NULL,
    edited        boolean NOT NULL DEFAULT false,
    original_text text NOT NULL,
    final_text    text NOT NULL CHECK (final_text <> ''),
    PRIMARY KEY (workspace, draft_id),
    FOREIGN KEY (workspace, draft_id) REFERENCES drafts (workspace, id)
);

CREATE TABLE outbox (
    workspace       text NOT NULL,
    draft_id        text NOT NULL,
    thread_id       text NOT NULL,
    transport       text NOT NULL,
    channel         text NOT NULL,
    text            text NOT NULL,
    idempotency_key text NOT NULL UNIQUE,
    state           text NOT NULL CHECK (state IN ('pending', 'sending', 'sent')),
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text NOT NULL DEFAULT '',
    claimed_at      timestamptz,
    created_at      timestamptz NOT NULL,
    sent_at         timestamptz,
    ref             text NOT NULL DEFAULT '',
    PRIMARY KEY (workspace, draft_id),
    FOREIGN KEY (workspace, draft_id) REFERENCES approvals (workspace, draft_id)
);
CREATE INDEX outbox_by_state ON outbox (state, created_at);

-- +goose Down
DROP TABLE outbox;
DROP TABLE approvals;
DROP TABLE drafts;
DROP FUNCTION drafts_state_machine();
DROP TABLE events;
DROP TABLE threads;
DROP TABLE workspaces;
