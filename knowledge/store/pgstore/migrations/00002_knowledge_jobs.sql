-- +goose Up
-- Facts people gave, de-duplication keys, reminders, KPI snapshots and company knowledge.
CREATE TABLE facts (
    workspace text NOT NULL,
    thread_id text NOT NULL,
    seq       integer NOT NULL,
    topic     text NOT NULL,
    metric    text NOT NULL DEFAULT '',
    value     double precision,
    text      text NOT NULL,
    by        text NOT NULL,
    at        timestamptz NOT NULL,
    PRIMARY KEY (workspace, thread_id, seq),
    FOREIGN KEY (workspace, thread_id) REFERENCES threads (workspace, id)
);

CREATE TABLE seen_keys (
    workspace text NOT NULL,
    key       text NOT NULL,
    at        timestamptz NOT NULL,
    PRIMARY KEY (workspace, key)
);

CREATE TABLE reminders (
    workspace text NOT NULL,
    draft_id  text NOT NULL,
    level     integer NOT NULL CHECK (level IN (1, 2)),
    at        timestamptz NOT NULL,
    PRIMARY KEY (workspace, draft_id, level),
    FOREIGN KEY (workspace, draft_id) REFERENCES drafts (workspace, id)
);

ALTER TABLE outbox ADD COLUMN available_at timestamptz NOT NULL DEFAULT '-infinity';

CREATE TABLE kpi_snapshots (
    workspace text PRIMARY KEY REFERENCES workspaces (id),
    loaded_at timestamptz NOT NULL,
    rows      integer NOT NULL
);

CREATE TABLE kpi_rows (
    workspace text NOT NULL,
    ord       integer NOT NULL,
    period    text NOT NULL,
    metric    text NOT NULL,
    value     double precision NOT NULL,
    channel   text NOT NULL DEFAULT '',
    segment   text NOT NULL DEFAULT '',
    campaign  text NOT NULL DEFAULT '',
    source    text NOT NULL DEFAULT '',
    medium    text NOT NULL DEFAULT '',
    file      text NOT NULL DEFAULT '',
    line      integer NOT NULL DEFAULT 0
);
CREATE INDEX kpi_rows_by_workspace ON kpi_rows (workspace, ord);

CREATE TABLE knowledge_models (
    workspace text PRIMARY KEY REFERENCES workspaces (id),
    model     text NOT NULL,
    dim       integer NOT NULL CHECK (dim IN (256, 384, 512, 768, 1024, 1536))
);

CREATE TABLE knowledge_sources (
    workspace  text NOT NULL REFERENCES workspaces (id),
    source     text NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('profile', 'glossary', 'document', 'answer')),
    title      text NOT NULL DEFAULT '',
    hash       text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (workspace, source)
);

CREATE TABLE knowledge_chunks (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace  text NOT NULL,
    source     text NOT NULL,
    kind       text NOT NULL,
    title      text NOT NULL DEFAULT '',
    text       text NOT NULL CHECK (text <> ''),
    language   text NOT NULL CHECK (language IN ('it', 'en')),
    position   integer NOT NULL,
    metadata   jsonb NOT NULL DEFAULT '{}',
    dim        integer NOT NULL,
    embedding  vector NOT NULL CHECK (vector_dims(embedding) = dim),
    created_at timestamptz NOT NULL,
    tsv        tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector(CASE WHEN language = 'it' THEN 'italian'::regconfig ELSE 'english'::regconfig END, title), 'A') ||
        setweight(to_tsvector(CASE WHEN language = 'it' THEN 'italian'::regconfig ELSE 'english'::regconfig END, text), 'B')) STORED,
    FOREIGN KEY (workspace, source) REFERENCES knowledge_sources (workspace, source) ON DELETE CASCADE
);
CREATE INDEX knowledge_chunks_by_source ON knowledge_chunks (workspace, source, position);
CREATE INDEX knowledge_chunks_tsv ON knowledge_chunks USING gin (tsv);
-- one HNSW cosine index per supported dimension; queries cast to the same type and filter on dim
CREATE INDEX knowledge_hnsw_256 ON knowledge_chunks USING hnsw ((embedding::vector(256)) vector_cosine_ops) WHERE dim = 256;
CREATE INDEX knowledge_hnsw_384 ON knowledge_chunks USING hnsw ((embedding::vector(384)) vector_cosine_ops) WHERE dim = 384;
CREATE INDEX knowledge_hnsw_512 ON knowledge_chunks USING hnsw ((embedding::vector(512)) vector_cosine_ops) WHERE dim = 512;
CREATE INDEX knowledge_hnsw_768 ON knowledge_chunks USING hnsw ((embedding::vector(768)) vector_cosine_ops) WHERE dim = 768;
CREATE INDEX knowledge_hnsw_1024 ON knowledge_chunks USING hnsw ((embedding::vector(1024)) vector_cosine_ops) WHERE dim = 1024;
CREATE INDEX knowledge_hnsw_1536 ON knowledge_chunks USING hnsw ((embedding::vector(1536)) vector_cosine_ops) WHERE dim = 1536;

-- +goose Down
DROP TABLE knowledge_chunks;
DROP TABLE knowledge_sources;
DROP TABLE knowledge_models;
DROP TABLE kpi_rows;
DROP TABLE kpi_snapshots;
ALTER TABLE outbox DROP COLUMN available_at;
DROP TABLE reminders;
DROP TABLE seen_keys;
DROP TABLE facts;
