-- +goose Up
-- Web console accounts (created with `whybot user add`), the workspaces each may see and
-- review ('*': all), sessions (the cookie's token is stored only as its SHA-256) and login
-- attempts (a shared lock-out across replicas).
CREATE TABLE accounts (
    name          text PRIMARY KEY CHECK (name <> '' AND name = lower(name)),
    password_hash text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
CREATE TABLE account_workspaces (
    account   text NOT NULL REFERENCES accounts (name) ON DELETE CASCADE,
    workspace text NOT NULL CHECK (workspace <> ''),
    PRIMARY KEY (account, workspace)
);
CREATE TABLE sessions (
    id         text PRIMARY KEY CHECK (length(id) = 64),
    account    text NOT NULL REFERENCES accounts (name) ON DELETE CASCADE,
    csrf       text NOT NULL CHECK (csrf <> ''),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_by_account ON sessions (account);
CREATE TABLE login_attempts (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account text NOT NULL,
    ok      boolean NOT NULL,
    at      timestamptz NOT NULL
);
CREATE INDEX login_attempts_by_account ON login_attempts (account, at);

-- +goose Down
DROP TABLE login_attempts;
DROP TABLE sessions;
DROP TABLE account_workspaces;
DROP TABLE accounts;
