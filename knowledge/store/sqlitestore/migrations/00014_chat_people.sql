-- +goose Up
-- People an owner or reviewer added from Slack or Discord («@whybot aggiungi @giulia come
-- marketing»): who added or last changed each, and when. company.yaml's people win where
-- both name the same handle or platform id. workspaces.people counts the changes, so every
-- replica rebuilds the workspace on its next message.
CREATE TABLE chat_people (
    workspace  TEXT NOT NULL,
    handle     TEXT NOT NULL,
    name       TEXT NOT NULL DEFAULT '',
    role       TEXT NOT NULL,
    reviewer   BOOLEAN NOT NULL DEFAULT FALSE,
    slack      TEXT NOT NULL DEFAULT '',
    discord    TEXT NOT NULL DEFAULT '',
    added_by   TEXT NOT NULL,
    added_at   TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    PRIMARY KEY (workspace, handle),
    CHECK (slack <> '' OR discord <> '')
);
-- every addition and change, in order: the audit of who made whom what
CREATE TABLE chat_people_log (
    workspace TEXT NOT NULL,
    handle    TEXT NOT NULL,
    action    TEXT NOT NULL CHECK (action IN ('added', 'changed')),
    role      TEXT NOT NULL,
    reviewer  BOOLEAN NOT NULL,
    by_handle TEXT NOT NULL,
    at        TEXT NOT NULL
);
CREATE INDEX chat_people_log_workspace ON chat_people_log (workspace, at);
ALTER TABLE workspaces ADD COLUMN people INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE workspaces DROP COLUMN people;
DROP TABLE chat_people_log;
DROP TABLE chat_people;
