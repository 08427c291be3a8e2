-- +goose Up
-- PostgreSQL's knowledge search indexes became half-precision HNSW graphs in this version;
-- SQLite's vec0 tables search exactly and do not change. Kept so both backends count the
-- same schema versions.
SELECT 1;

-- +goose Down
SELECT 1;
