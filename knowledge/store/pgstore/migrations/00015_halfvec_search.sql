-- +goose Up
-- The knowledge search indexes hold half-precision copies of the vectors, in a cheaper graph:
-- HNSW over embedding::halfvec(N), m 16, ef_construction 32, searched with a candidate list
-- of 600 (see SearchVector and BenchmarkGraphTradeoff). A graph builds in about half the
-- time of pgvector's defaults (ef_construction 64) for the same recall; a search reads half
-- the bytes, and its distances are computed again at full precision. Migrate builds the new
-- indexes (EnsureSearchIndexes, CONCURRENTLY, with the memory a build needs): here the old
-- ones are only dropped.
DROP INDEX IF EXISTS knowledge_hnsw_256;
DROP INDEX IF EXISTS knowledge_hnsw_384;
DROP INDEX IF EXISTS knowledge_hnsw_512;
DROP INDEX IF EXISTS knowledge_hnsw_768;
DROP INDEX IF EXISTS knowledge_hnsw_1024;
DROP INDEX IF EXISTS knowledge_hnsw_1536;

-- +goose Down
DROP INDEX IF EXISTS knowledge_hnsw_256;
DROP INDEX IF EXISTS knowledge_hnsw_384;
DROP INDEX IF EXISTS knowledge_hnsw_512;
DROP INDEX IF EXISTS knowledge_hnsw_768;
DROP INDEX IF EXISTS knowledge_hnsw_1024;
DROP INDEX IF EXISTS knowledge_hnsw_1536;
CREATE INDEX knowledge_hnsw_256 ON knowledge_chunks USING hnsw ((embedding::vector(256)) vector_cosine_ops) WHERE dim = 256;
CREATE INDEX knowledge_hnsw_384 ON knowledge_chunks USING hnsw ((embedding::vector(384)) vector_cosine_ops) WHERE dim = 384;
CREATE INDEX knowledge_hnsw_512 ON knowledge_chunks USING hnsw ((embedding::vector(512)) vector_cosine_ops) WHERE dim = 512;
CREATE INDEX knowledge_hnsw_768 ON knowledge_chunks USING hnsw ((embedding::vector(768)) vector_cosine_ops) WHERE dim = 768;
CREATE INDEX knowledge_hnsw_1024 ON knowledge_chunks USING hnsw ((embedding::vector(1024)) vector_cosine_ops) WHERE dim = 1024;
CREATE INDEX knowledge_hnsw_1536 ON knowledge_chunks USING hnsw ((embedding::vector(1536)) vector_cosine_ops) WHERE dim = 1536;
