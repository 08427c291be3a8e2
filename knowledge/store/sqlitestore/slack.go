package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/whybot/whybot/knowledge/store"
)

const installColumns = `team, team_name, COALESCE(workspace, ''), bot_user, app_id, scopes, installed_by, state, key_id, sealed, installed_at, updated_at`

// PutSlackInstall stores an installation; a reinstall replaces the token.
func (s *Store) PutSlackInstall(ctx context.Context, in store.SlackInstall) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store Slack installation of %s: %w", in.Team, err)
	}
	defer tx.Rollback()
	if in.Workspace != "" {
		if _, err := tx.ExecContext(ctx, `UPDATE slack_installs SET workspace = NULL WHERE workspace = ? AND team <> ?`, in.Workspace, in.Team); err != nil {
			return fmt.Errorf("store Slack installation of %s: %w", in.Team, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO slack_installs (team, team_name, workspace, bot_user, app_id, scopes, installed_by, state, key_id, sealed, installed_at, updated_at)
		VALUES (?, ?, NULLIF(?, ''), ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (team) DO UPDATE SET team_name = excluded.team_name, workspace = COALESCE(excluded.workspace, slack_installs.workspace),
		bot_user = excluded.bot_user, app_id = excluded.app_id, scopes = excluded.scopes, installed_by = excluded.installed_by, state = excluded.state,
		key_id = excluded.key_id, sealed = excluded.sealed, installed_at = excluded.installed_at, updated_at = excluded.updated_at`,
		in.Team, in.TeamName, in.Workspace, in.BotUser, in.AppID, in.Scopes, in.InstalledBy, string(in.State), in.KeyID, in.Sealed, ts(in.InstalledAt), ts(in.UpdatedAt)); err != nil {
		return fmt.Errorf("store Slack installation of %s: %w", in.Team, err)
	}
	return tx.Commit()
}

func scanInstall(r scanner) (store.SlackInstall, error) {
	var in store.SlackInstall
	var state, at, up string
	err := r.Scan(&in.Team, &in.TeamName, &in.Workspace, &in.BotUser, &in.AppID, &in.Scopes, &in.InstalledBy, &state, &in.KeyID, &in.Sealed, &at, &up)
	if errors.Is(err, sql.ErrNoRows) {
		return in, store.ErrNotFound
	}
	in.State, in.InstalledAt, in.UpdatedAt = store.InstallState(state), parseTS(at), parseTS(up)
	return in, err
}

// SlackInstall is one team's installation.
func (s *Store) SlackInstall(ctx context.Context, team string) (store.SlackInstall, error) {
	in, err := scanInstall(s.db.QueryRowContext(ctx, `SELECT `+installColumns+` FROM slack_installs WHERE team = ?`, team))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		err = fmt.Errorf("read Slack installation of %s: %w", team, err)
	}
	return in, err
}

// SlackInstallFor is the installation linked to a workspace.
func (s *Store) SlackInstallFor(ctx context.Context, workspace string) (store.SlackInstall, error) {
	in, err := scanInstall(s.db.QueryRowContext(ctx, `SELECT `+installColumns+` FROM slack_installs WHERE workspace = ?`, workspace))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		err = fmt.Errorf("read Slack installation of workspace %s: %w", workspace, err)
	}
	return in, err
}

// SlackInstalls lists every installation.
func (s *Store) SlackInstalls(ctx context.Context) ([]store.SlackInstall, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+installColumns+` FROM slack_installs ORDER BY team`)
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
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("link Slack team %s: %w", team, err)
	}
	defer tx.Rollback()
	if workspace != "" {
		if _, err := tx.ExecContext(ctx, `UPDATE slack_installs SET workspace = NULL, updated_at = ? WHERE workspace = ? AND team <> ?`, ts(at), workspace, team); err != nil {
			return fmt.Errorf("link Slack team %s: %w", team, err)
		}
	}
	res, err := tx.ExecContext(ctx, `UPDATE slack_installs SET workspace = NULLIF(?, ''), updated_at = ? WHERE team = ?`, workspace, ts(at), team)
	if err != nil {
		return fmt.Errorf("link Slack team %s: %w", team, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return tx.Commit()
}

// EndSlackInstall deletes a team's token.
func (s *Store) EndSlackInstall(ctx context.Context, team string, state store.InstallState, at time.Time) error {
	if state == store.InstallActive {
		return fmt.Errorf("end Slack installation of %s: %s is not an end", team, state)
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE slack_installs SET state = ?, key_id = '', sealed = '', updated_at = ? WHERE team = ?`, string(state), ts(at), team); err != nil {
		return fmt.Errorf("end Slack installation of %s: %w", team, err)
	}
	return nil
}
