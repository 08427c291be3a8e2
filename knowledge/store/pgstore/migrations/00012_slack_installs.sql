-- +goose Up
-- One Slack app installed in many Slack teams (OAuth v2): each team's bot token sealed with
-- the secret key and bound to the team, the whybot workspace it is linked to, and whether
-- the team uninstalled the app or revoked its tokens (the token is deleted then).
CREATE TABLE slack_installs (
    team         text PRIMARY KEY,
    team_name    text NOT NULL DEFAULT '',
    workspace    text,
    bot_user     text NOT NULL DEFAULT '',
    app_id       text NOT NULL DEFAULT '',
    scopes       text NOT NULL DEFAULT '',
    installed_by text NOT NULL DEFAULT '',
    state        text NOT NULL CHECK (state IN ('active', 'revoked', 'uninstalled')),
    key_id       text NOT NULL DEFAULT '',
    sealed       text NOT NULL DEFAULT '',
    installed_at timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    CHECK ((state = 'active') = (sealed <> ''))
);
CREATE UNIQUE INDEX slack_installs_workspace ON slack_installs (workspace) WHERE workspace IS NOT NULL;

-- +goose Down
DROP TABLE slack_installs;
