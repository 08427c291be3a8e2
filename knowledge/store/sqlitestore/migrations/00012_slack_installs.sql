-- +goose Up
-- One Slack app installed in many Slack teams (OAuth v2): each team's bot token sealed with
-- the secret key and bound to the team, the whybot workspace it is linked to, and whether
-- the team uninstalled the app or revoked its tokens (the token is deleted then).
CREATE TABLE slack_installs (
    team         TEXT PRIMARY KEY,
    team_name    TEXT NOT NULL DEFAULT '',
    workspace    TEXT,
    bot_user     TEXT NOT NULL DEFAULT '',
    app_id       TEXT NOT NULL DEFAULT '',
    scopes       TEXT NOT NULL DEFAULT '',
    installed_by TEXT NOT NULL DEFAULT '',
    state        TEXT NOT NULL CHECK (state IN ('active', 'revoked', 'uninstalled')),
    key_id       TEXT NOT NULL DEFAULT '',
    sealed       TEXT NOT NULL DEFAULT '',
    installed_at TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    CHECK ((state = 'active') = (sealed <> ''))
);
CREATE UNIQUE INDEX slack_installs_workspace ON slack_installs (workspace) WHERE workspace IS NOT NULL;

-- +goose Down
DROP TABLE slack_installs;
