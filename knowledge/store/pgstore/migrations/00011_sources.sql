-- +goose Up
-- Pulled KPI sources: each scheduled slot claimed by one replica (a lease, so a replica
-- killed mid-pull is taken over), the published versions of each source with their rows
-- and what the platform restated, what the pulls remember between slots, and each
-- connection's credential sealed with the secret key.
CREATE TABLE source_pulls (
    workspace   text NOT NULL,
    conn        text NOT NULL,
    slot        timestamptz NOT NULL,
    state       text NOT NULL CHECK (state IN ('running', 'done', 'stopped', 'failed')),
    lease_until timestamptz NOT NULL,
    owner       text NOT NULL DEFAULT '',
    attempts    integer NOT NULL DEFAULT 1,
    reason      text NOT NULL DEFAULT '',
    message     text NOT NULL DEFAULT '',
    finished_at timestamptz,
    PRIMARY KEY (workspace, conn, slot)
);
CREATE TABLE source_versions (
    workspace  text NOT NULL,
    conn       text NOT NULL,
    version    integer NOT NULL CHECK (version > 0),
    pulled_at  timestamptz NOT NULL,
    provenance jsonb NOT NULL,
    rows       jsonb NOT NULL,
    revisions  jsonb NOT NULL,
    PRIMARY KEY (workspace, conn, version)
);
CREATE TABLE source_state (
    workspace  text NOT NULL,
    conn       text NOT NULL,
    state      jsonb NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (workspace, conn)
);
CREATE TABLE credentials (
    workspace  text NOT NULL,
    conn       text NOT NULL,
    key_id     text NOT NULL,
    sealed     text NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (workspace, conn)
);

-- +goose Down
DROP TABLE credentials;
DROP TABLE source_state;
DROP TABLE source_versions;
DROP TABLE source_pulls;
