-- +goose Up
-- A workspace is found by its chat platform ids through an index, not by decoding every
-- stored profile, and its version (a hash of the stored profile and data files, with the
-- KPI snapshot's sequence number) says whether a workspace built before is still current.
ALTER TABLE workspaces ADD COLUMN slack_team text NOT NULL DEFAULT '';
ALTER TABLE workspaces ADD COLUMN discord_guild text NOT NULL DEFAULT '';
ALTER TABLE workspaces ADD COLUMN version text NOT NULL DEFAULT '';
UPDATE workspaces SET slack_team = COALESCE(profile->'slack'->>'team', ''), discord_guild = COALESCE(profile->'discord'->>'guild', '');
CREATE INDEX workspaces_by_slack_team ON workspaces (slack_team);
CREATE INDEX workspaces_by_discord_guild ON workspaces (discord_guild);
ALTER TABLE kpi_snapshots ADD COLUMN seq bigint NOT NULL DEFAULT 1;

-- +goose Down
ALTER TABLE kpi_snapshots DROP COLUMN seq;
DROP INDEX workspaces_by_discord_guild;
DROP INDEX workspaces_by_slack_team;
ALTER TABLE workspaces DROP COLUMN version;
ALTER TABLE workspaces DROP COLUMN discord_guild;
ALTER TABLE workspaces DROP COLUMN slack_team;
