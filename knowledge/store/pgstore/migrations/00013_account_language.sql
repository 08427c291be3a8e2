-- +goose Up
-- The language an account reads the web console in ('' follows the browser).
ALTER TABLE accounts ADD COLUMN language text NOT NULL DEFAULT '' CHECK (language IN ('', 'it', 'en'));

-- +goose Down
ALTER TABLE accounts DROP COLUMN language;
