-- +goose Up
-- The inbox stays small and fast: deliveries to handle are found through an index of open
-- rows only (handled rows are never walked), and handled or failed rows past the retention
-- window are found through their own index and deleted by the periodic sweep.
CREATE INDEX inbox_open ON inbox (source, id) WHERE state IN ('queued', 'working');
CREATE INDEX inbox_closed ON inbox (received_at) WHERE state IN ('done', 'failed');
DROP INDEX inbox_by_state;

-- +goose Down
CREATE INDEX inbox_by_state ON inbox (state, id);
DROP INDEX inbox_closed;
DROP INDEX inbox_open;
