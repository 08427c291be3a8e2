-- +goose Up
-- Facts people gave, de-duplication keys, reminders, KPI snapshots and company knowledge.
CREATE TABLE facts (
    workspace TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    topic     TEXT NOT NULL,
    metric    TEXT NOT NULL DEFAULT '',
    value     REAL,
    text      TEXT NOT NULL,
    by        TEXT NOT NULL,
    at        TEXT NOT NULL,
    PRIMARY KEY (workspace, thread_id, seq),
    FOREIGN KEY (workspace, thread_id) REFERENCES threads (workspace, id)
);

CREATE TABLE seen_keys (
    workspace TEXT NOT NULL,
    key       TEXT NOT NULL,
    at        TEXT NOT NULL,
    PRIMARY KEY (workspace, key)
);

CREATE TABLE reminders (
    workspace TEXT NOT NULL,
    draft_id  TEXT NOT NULL,
    level     INTEGER NOT NULL CHECK (level IN (1, 2)),
    at        TEXT NOT NULL,
    PRIMARY KEY (workspace, draft_id, level),
    FOREIGN KEY (workspace, draft_id) REFERENCES drafts (workspace, id)
);

ALTER TABLE outbox ADD COLUMN available_at TEXT NOT NULL DEFAULT '';

CREATE TABLE kpi_snapshots (
    workspace TEXT PRIMARY KEY REFERENCES workspaces (id),
    loaded_at TEXT NOT NULL,
    rows      INTEGER NOT NULL
);

CREATE TABLE kpi_rows (
    workspace TEXT NOT NULL,
    period    TEXT NOT NULL,
    metric    TEXT NOT NULL,
    value     REAL NOT NULL,
    channel   TEXT NOT NULL DEFAULT '',
    segment   TEXT NOT NULL DEFAULT '',
    campaign  TEXT NOT NULL DEFAULT '',
    source    TEXT NOT NULL DEFAULT '',
    medium    TEXT NOT NULL DEFAULT '',
    file      TEXT NOT NULL DEFAULT '',
    line      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX kpi_rows_by_workspace ON kpi_rows (workspace);

CREATE TABLE knowledge_models (
    workspace TEXT PRIMARY KEY REFERENCES workspaces (id),
    model     TEXT NOT NULL,
    dim       INTEGER NOT NULL CHECK (dim IN (256, 384, 512, 768, 1024, 1536))
);

CREATE TABLE knowledge_sources (
    workspace  TEXT NOT NULL REFERENCES workspaces (id),
    source     TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('profile', 'glossary', 'document', 'answer')),
    title      TEXT NOT NULL DEFAULT '',
    hash       TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL,
    PRIMARY KEY (workspace, source)
);

CREATE TABLE knowledge_chunks (
    id         INTEGER PRIMARY KEY,
    workspace  TEXT NOT NULL,
    source     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    title      TEXT NOT NULL DEFAULT '',
    text       TEXT NOT NULL CHECK (text <> ''),
    language   TEXT NOT NULL CHECK (language IN ('it', 'en')),
    position   INTEGER NOT NULL,
    metadata   TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    dim        INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    FOREIGN KEY (workspace, source) REFERENCES knowledge_sources (workspace, source) ON DELETE CASCADE
);
CREATE INDEX knowledge_chunks_by_source ON knowledge_chunks (workspace, source, position);

-- full text: rowid is the chunk id; porter stemming over unicode61 with accents folded;
-- the workspace is stored (not indexed) so matches are filtered before they are ranked
CREATE VIRTUAL TABLE knowledge_fts USING fts5(workspace UNINDEXED, title, text, tokenize = 'porter unicode61 remove_diacritics 2');

-- vectors: one exact-KNN vec0 table per supported dimension, partitioned by workspace; vectors
-- are unit length (the store normalises them), so Euclidean order is cosine order and cheaper
CREATE VIRTUAL TABLE knowledge_vec256 USING vec0(
    chunk_id INTEGER PRIMARY KEY,
    workspace TEXT PARTITION KEY,
    embedding FLOAT[256]
);
CREATE VIRTUAL TABLE knowledge_vec384 USING vec0(
    chunk_id INTEGER PRIMARY KEY,
    workspace TEXT PARTITION KEY,
    embedding FLOAT[384]
);
CREATE VIRTUAL TABLE knowledge_vec512 USING vec0(
    chunk_id INTEGER PRIMARY KEY,
    workspace TEXT PARTITION KEY,
    embedding FLOAT[512]
);
CREATE VIRTUAL TABLE knowledge_vec768 USING vec0(
    chunk_id INTEGER PRIMARY KEY,
    workspace TEXT PARTITION KEY,
    embedding FLOAT[768]
);
CREATE VIRTUAL TABLE knowledge_vec1024 USING vec0(
    chunk_id INTEGER PRIMARY KEY,
    workspace TEXT PARTITION KEY,
    embedding FLOAT[1024]
);
CREATE VIRTUAL TABLE knowledge_vec1536 USING vec0(
    chunk_id INTEGER PRIMARY KEY,
    workspace TEXT PARTITION KEY,
    embedding FLOAT[1536]
);

-- +goose Down
DROP TABLE knowledge_vec256;
DROP TABLE knowledge_vec384;
DROP TABLE knowledge_vec512;
DROP TABLE knowledge_vec768;
DROP TABLE knowledge_vec1024;
DROP TABLE knowledge_vec1536;
DROP TABLE knowledge_fts;
DROP TABLE knowledge_chunks;
DROP TABLE knowledge_sources;
DROP TABLE knowledge_models;
DROP TABLE kpi_rows;
DROP TABLE kpi_snapshots;
ALTER TABLE outbox DROP COLUMN available_at;
DROP TABLE reminders;
DROP TABLE seen_keys;
DROP TABLE facts;
