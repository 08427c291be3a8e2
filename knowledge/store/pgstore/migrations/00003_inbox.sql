-- +goose Up
-- Deliveries from chat platforms (Slack events, interactions, commands; Discord interactions),
-- recorded once by their platform key before they are acknowledged, then handled by a
-- worker. A retried delivery finds its key and is acknowledged without being queued twice.
CREATE TABLE inbox (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source      text NOT NULL CHECK (source IN ('slack', 'discord')),
    key         text NOT NULL,
    payload     jsonb NOT NULL,
    state       text NOT NULL CHECK (state IN ('queued', 'working', 'done', 'failed')),
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text NOT NULL DEFAULT '',
    received_at timestamptz NOT NULL,
    claimed_at  timestamptz,
    UNIQUE (source, key)
);
CREATE INDEX inbox_by_state ON inbox (state, id);

-- +goose Down
DROP TABLE inbox;
