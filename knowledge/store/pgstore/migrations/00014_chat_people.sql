-- +goose Up
-- People an owner or reviewer added from Slack or Discord («@whybot aggiungi @giulia come
-- marketing»): who added or last changed each, and when. company.yaml's people win where
-- both name the same handle or platform id. workspaces.people counts the changes, so every
-- replica rebuilds the workspace on its next message.
CREATE TABLE chat_people (
    workspace  text NOT NULL,
    handle     text NOT NULL,
    name       text NOT NULL DEFAULT '',
    role       text NOT NULL,
    reviewer   BOOLEAN NOT NULL DEFAULT FALSE,
    slack      text NOT NULL DEFAULT '',
    discord    text NOT NULL DEFAULT '',
    added_by   text NOT NULL,
    added_at   timestamptz NOT NULL,
    changed_by text NOT NULL,
    changed_at timestamptz NOT NULL,
    PRIMARY KEY (workspace, handle),
    CHECK (slack <> '' OR discord <> '')
);
-- every addition and change, in order: the audit of who made whom what
CREATE TABLE chat_people_log (
    workspace text NOT NULL,
    handle    text NOT NULL,
    action    text NOT NULL CHECK (action IN ('added', 'changed')),
    role      text NOT NULL,
    reviewer  BOOLEAN NOT NULL,
    by_handle text NOT NULL,
    at        timestamptz NOT NULL
);
CREATE INDEX chat_people_log_workspace ON chat_people_log (workspace, at);
ALTER TABLE workspaces ADD COLUMN people bigint NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE workspaces DROP COLUMN people;
DROP TABLE chat_people_log;
DROP TABLE chat_people;
