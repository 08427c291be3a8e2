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
ALTER TABLE workspaces ADD COLUMN people bigint NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE workspaces DROP COLUMN people;
DROP TABLE chat_people;
