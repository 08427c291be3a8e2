package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/whybot/whybot/knowledge/store"
)

const installColumns = `team, team_name, COALESCE(workspace, ''), bot_user, app_id, scopes, installed_by, state, key_id, sealed, installed_at, updated_at`

// PutSlackInstall stores an installation; a reinstall replaces the token.
func (s *Store) PutSlackInstall(ctx context.Context, in store.SlackInstall) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("store Slack installation of %s: %w", in.Team, err)
	}
	defer tx.Rollback(ctx)
	if in.Workspace != "" {
		if _, err := tx.Exec(ctx, `UPDATE slack_installs SET workspace = NULL WHERE workspace = $1 AND team <> $2`, in.Workspace, in.Team); err != nil {
			return fmt.Errorf("store Slack installation of %s: %w", in.Team, err)
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO slack_installs (team, team_name, workspace, bot_user, app_id, scopes, installed_by, state, key_id, sealed, installed_at, updated_at)
		VALUES ($1, $2, NULLIF($3, ''), $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (team) DO UPDATE SET team_name = excluded.team_name, workspace = COALESCE(excluded.workspace, slack_installs.workspace),
		bot_user = excluded.bot_user, app_id = excluded.app_id, scopes = excluded.scopes, installed_by = excluded.installed_by, state = excluded.state,
		key_id = excluded.key_id, sealed = excluded.sealed, installed_at = excluded.installed_at, updated_at = excluded.updated_at`,
		in.Team, in.TeamName, in.Workspace, in.BotUser, in.AppID, in.Scopes, in.InstalledBy, string(in.State), in.KeyID, in.Sealed, in.InstalledAt, in.UpdatedAt); err != nil {
		return fmt.Errorf("store Slack installation of %s: %w", in.Team, err)
	}
	return tx.Commit(ctx)
}

func scanInstall(r pgx.Row) (store.SlackInstall, error) {
	var in store.SlackInstall
	var state string
	err := r.Scan(&in.Team, &in.TeamName, &in.Workspace, &in.BotUser, &in.AppID, &in.Scopes, &in.InstalledBy, &state, &in.KeyID, &in.Sealed, &in.InstalledAt, &in.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return in, store.ErrNotFound
	}
	in.State = store.InstallState(state)
	return in, err
}

// SlackInstall is one team's installation.
func (s *Store) SlackInstall(ctx context.Context, team string) (store.SlackInstall, error) {
	in, err := scanInstall(s.pool.QueryRow(ctx, `SELECT `+installColumns+` FROM slack_installs WHERE team = $1`, team))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		err = fmt.Errorf("read Slack installation of %s: %w", team, err)
	}
	return in, err
}

// SlackInstallFor is the installation linked to a workspace.
func (s *Store) SlackInstallFor(ctx context.Context, workspace string) (store.SlackInstall, error) {
	in, err := scanInstall(s.pool.QueryRow(ctx, `SELECT `+installColumns+` FROM slack_installs WHERE workspace = $1`, workspace))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		err = fmt.Errorf("read Slack installation of workspace %s: %w", workspace, err)
	}
	return in, err
}

// SlackInstalls lists every installation.
func (s *Store) SlackInstalls(ctx context.Context) ([]store.SlackInstall, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+installColumns+` FROM slack_installs ORDER BY team`)
	if err != nil {
		return nil, fmt.Errorf("list Slack installations: %w", err)
	}
	defer rows.Close()
	var out []store.SlackInstall
	for rows.Next() {
		in, err := scanInstall(rows)
		if err != nil {
			return nil, fmt.Errorf("list Slack installations: %w", err)
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// LinkSlackInstall links a team to a workspace, moving the workspace from any other team.
func (s *Store) LinkSlackInstall(ctx context.Context, team, workspace string, at time.Time) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("link Slack team %s: %w", team, err)
	}
	defer tx.Rollback(ctx)
	if workspace != "" {
		if _, err := tx.Exec(ctx, `UPDATE slack_installs SET workspace = NULL, updated_at = $1 WHERE workspace = $2 AND team <> $3`, at, workspace, team); err != nil {
			return fmt.Errorf("link Slack team %s: %w", team, err)
		}
	}
	res, err := tx.Exec(ctx, `UPDATE slack_installs SET workspace = NULLIF($1, ''), updated_at = $2 WHERE team = $3`, workspace, at, team)
	if err != nil {
		return fmt.Errorf("link Slack team %s: %w", team, err)
	}
	if res.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return tx.Commit(ctx)
}

// EndSlackInstall deletes a team's token.
func (s *Store) EndSlackInstall(ctx context.Context, team string, state store.InstallState, at time.Time) error {
	if state == store.InstallActive {
		return fmt.Errorf("end Slack installation of %s: %s is not an end", team, state)
	}
	if _, err := s.pool.Exec(ctx, `UPDATE slack_installs SET state = $1, key_id = '', sealed = '', updated_at = $2 WHERE team = $3`, string(state), at, team); err != nil {
		return fmt.Errorf("end Slack installation of %s: %w", team, err)
	}
	return nil
}
