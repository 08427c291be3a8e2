-- +goose Up
-- Pulled KPI sources: each scheduled slot claimed by one replica (a lease, so a replica
-- killed mid-pull is taken over), the published versions of each source with their rows
-- and what the platform restated, what the pulls remember between slots, and each
-- connection's credential sealed with the secret key.
CREATE TABLE source_pulls (
    workspace   TEXT NOT NULL,
    conn        TEXT NOT NULL,
    slot        TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('running', 'done', 'stopped', 'failed')),
    lease_until TEXT NOT NULL,
    owner       TEXT NOT NULL DEFAULT '',
    attempts    INTEGER NOT NULL DEFAULT 1,
    reason      TEXT NOT NULL DEFAULT '',
    message     TEXT NOT NULL DEFAULT '',
    finished_at TEXT,
    PRIMARY KEY (workspace, conn, slot)
);
CREATE TABLE source_versions (
    workspace  TEXT NOT NULL,
    conn       TEXT NOT NULL,
    version    INTEGER NOT NULL CHECK (version > 0),
    pulled_at  TEXT NOT NULL,
    provenance TEXT NOT NULL CHECK (json_valid(provenance)),
    rows       TEXT NOT NULL CHECK (json_valid(rows)),
    revisions  TEXT NOT NULL CHECK (json_valid(revisions)),
    PRIMARY KEY (workspace, conn, version)
);
CREATE TABLE source_state (
    workspace  TEXT NOT NULL,
    conn       TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (json_valid(state)),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (workspace, conn)
);
CREATE TABLE credentials (
    workspace  TEXT NOT NULL,
    conn       TEXT NOT NULL,
    key_id     TEXT NOT NULL,
    sealed     TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (workspace, conn)
);

-- +goose Down
DROP TABLE credentials;
DROP TABLE source_state;
DROP TABLE source_versions;
DROP TABLE source_pulls;
