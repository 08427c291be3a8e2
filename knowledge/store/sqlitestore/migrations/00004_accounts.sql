-- +goose Up
-- Web console accounts (created with `whybot user add`), the workspaces each may see and
-- review ('*': all), sessions (the cookie's token is stored only as its SHA-256) and login
-- attempts (a shared lock-out across replicas).
CREATE TABLE accounts (
    name          TEXT PRIMARY KEY CHECK (name <> '' AND name = lower(name)),
    password_hash TEXT NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE TABLE account_workspaces (
    account   TEXT NOT NULL REFERENCES accounts (name) ON DELETE CASCADE,
    workspace TEXT NOT NULL CHECK (workspace <> ''),
    PRIMARY KEY (account, workspace)
);
CREATE TABLE sessions (
    id         TEXT PRIMARY KEY CHECK (length(id) = 64),
    account    TEXT NOT NULL REFERENCES accounts (name) ON DELETE CASCADE,
    csrf       TEXT NOT NULL CHECK (csrf <> ''),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_by_account ON sessions (account);
CREATE TABLE login_attempts (
    id      INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    ok      INTEGER NOT NULL CHECK (ok IN (0, 1)),
    at      TEXT NOT NULL
);
CREATE INDEX login_attempts_by_account ON login_attempts (account, at);

-- +goose Down
DROP TABLE login_attempts;
DROP TABLE sessions;
DROP TABLE account_workspaces;
DROP TABLE accounts;
