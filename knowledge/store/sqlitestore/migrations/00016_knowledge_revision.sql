-- +goose Up
-- A workspace's knowledge revision grows with every change to its chunks, and each chunk
-- records the revision that stored its embedding: a process holding the vectors in memory
-- (retrieval.Memory) sees that it is behind with the chunks it reads, and catches up with
-- only the vectors that changed.
ALTER TABLE knowledge_models ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
ALTER TABLE knowledge_chunks ADD COLUMN rev INTEGER NOT NULL DEFAULT 1;

-- +goose Down
ALTER TABLE knowledge_chunks DROP COLUMN rev;
ALTER TABLE knowledge_models DROP COLUMN revision;
