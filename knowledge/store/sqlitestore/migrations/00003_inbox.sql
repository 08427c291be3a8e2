-- +goose Up
-- Deliveries from chat platforms (Slack events, interactions, commands; Discord interactions),
-- recorded once by their platform key before they are acknowledged, then handled by a
-- worker. A retried delivery finds its key and is acknowledged without being queued twice.
CREATE TABLE inbox (
    id          INTEGER PRIMARY KEY,
    source      TEXT NOT NULL CHECK (source IN ('slack', 'discord')),
    key         TEXT NOT NULL,
    payload     TEXT NOT NULL CHECK (json_valid(payload)),
    state       TEXT NOT NULL CHECK (state IN ('queued', 'working', 'done', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT '',
    received_at TEXT NOT NULL,
    claimed_at  TEXT,
    UNIQUE (source, key)
);
CREATE INDEX inbox_by_state ON inbox (state, id);

-- +goose Down
DROP TABLE inbox;
