-- +goose Up
-- The review list is read a page at a time across workspaces, oldest first, with a keyset
-- (created_at, workspace, id): one index walk per page, whatever the number of drafts.
CREATE INDEX drafts_by_state_age ON drafts (state, created_at, workspace, id);

-- +goose Down
DROP INDEX drafts_by_state_age;
