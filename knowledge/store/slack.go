package store

import (
	"context"
	"time"
)

// InstallState is where one Slack team's installation of the app stands.
type InstallState string

// Installation states.
const (
	InstallActive      InstallState = "active"      // a bot token is stored (sealed)
	InstallRevoked     InstallState = "revoked"     // Slack said the tokens were revoked: token deleted
	InstallUninstalled InstallState = "uninstalled" // the team removed the app: token deleted
)

// SlackInstall is one Slack team's installation of the app (OAuth v2): the bot token,
// sealed with a key of the keyring (knowledge/secret) and bound to the team, and the
// whybot workspace the team is linked to ("" until someone links it).
type SlackInstall struct {
	Team        string       `json:"team"`
	TeamName    string       `json:"team_name"`
	Workspace   string       `json:"workspace,omitempty"`
	BotUser     string       `json:"bot_user"`
	AppID       string       `json:"app_id,omitempty"`
	Scopes      string       `json:"scopes"`
	InstalledBy string       `json:"installed_by"` // the Slack user who installed, or the console account
	State       InstallState `json:"state"`
	KeyID       string       `json:"key_id,omitempty"`
	Sealed      string       `json:"-"` // "" once revoked or uninstalled
	InstalledAt time.Time    `json:"installed_at"`
	UpdatedAt   time.Time    `json:"updated_at"`
}

// SlackInstallStore keeps the Slack installations of a multi-workspace app.
type SlackInstallStore interface {
	// PutSlackInstall stores an installation (a new one, or a reinstall that replaces the
	// token and makes it active again); a reinstall with no workspace keeps the link.
	PutSlackInstall(ctx context.Context, in SlackInstall) error
	// SlackInstall is one team's installation; ErrNotFound when it never installed.
	SlackInstall(ctx context.Context, team string) (SlackInstall, error)
	// SlackInstallFor is the installation linked to a workspace; ErrNotFound when none.
	SlackInstallFor(ctx context.Context, workspace string) (SlackInstall, error)
	// SlackInstalls lists every installation, by team.
	SlackInstalls(ctx context.Context) ([]SlackInstall, error)
	// LinkSlackInstall links a team to a workspace ("" unlinks); ErrNotFound when the team
	// never installed. A workspace is linked to one team at most: linking it moves it.
	LinkSlackInstall(ctx context.Context, team, workspace string, at time.Time) error
	// EndSlackInstall deletes a team's token and records why (revoked or uninstalled).
	EndSlackInstall(ctx context.Context, team string, state InstallState, at time.Time) error
}
