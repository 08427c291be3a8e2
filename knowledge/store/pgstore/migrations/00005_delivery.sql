-- +goose Up
-- What makes a platform delivery safe to handle again: the reply of each turn by the
-- message's key (a retried delivery gets the same reply, never a second turn), each bot
-- message a delivery posted, recorded only after the platform accepted it, and when a
-- failed delivery may be tried again (backoff).
CREATE TABLE turn_replies (
    workspace text NOT NULL,
    key       text NOT NULL,
    thread_id text NOT NULL,
    reply     jsonb NOT NULL,
    at        timestamptz NOT NULL,
    PRIMARY KEY (workspace, key),
    FOREIGN KEY (workspace, thread_id) REFERENCES threads (workspace, id)
);
CREATE TABLE chat_posts (
    workspace text NOT NULL,
    key       text NOT NULL,
    ref       text NOT NULL,
    posted_at timestamptz NOT NULL,
    PRIMARY KEY (workspace, key)
);
ALTER TABLE inbox ADD COLUMN available_at timestamptz;

-- +goose Down
ALTER TABLE inbox DROP COLUMN available_at;
DROP TABLE chat_posts;
DROP TABLE turn_replies;
