package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"

	"github.com/whybot/whybot/knowledge/store"
)

func knowledgeModel(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, workspace string) (store.EmbeddingModel, bool, error) {
	var m store.EmbeddingModel
	err := q.QueryRow(ctx, `SELECT model, dim FROM knowledge_models WHERE workspace = $1`, workspace).Scan(&m.Name, &m.Dim)
	if errors.Is(err, pgx.ErrNoRows) {
		return m, false, nil
	}
	if err != nil {
		return m, false, fmt.Errorf("read knowledge model of %s: %w", workspace, err)
	}
	return m, true, nil
}

// nextRevision moves a workspace's knowledge revision on (locking its row until the
// transaction ends, so revisions commit in order) and returns its model and new revision.
func nextRevision(ctx context.Context, tx pgx.Tx, workspace string) (store.EmbeddingModel, int64, error) {
	var m store.EmbeddingModel
	var rev int64
	err := tx.QueryRow(ctx, `UPDATE knowledge_models SET revision = revision + 1 WHERE workspace = $1 RETURNING model, dim, revision`, workspace).Scan(&m.Name, &m.Dim, &rev)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return m, 0, fmt.Errorf("next knowledge revision of %s: %w", workspace, err)
	}
	return m, rev, nil
}

// KnowledgeModel returns the embedder the workspace was indexed with.
func (s *Store) KnowledgeModel(ctx context.Context, workspace string) (store.EmbeddingModel, bool, error) {
	return knowledgeModel(ctx, s.pool, workspace)
}

// ReplaceSource swaps a source's chunks atomically.
func (s *Store) ReplaceSource(ctx context.Context, workspace string, src store.Source, m store.EmbeddingModel, chunks []store.Chunk) error {
	if !store.DimSupported(m.Dim) {
		return fmt.Errorf("embedding dimension %d is not supported (supported: %v)", m.Dim, store.SupportedDims)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO knowledge_models (workspace, model, dim) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, workspace, m.Name, m.Dim); err != nil {
			return fmt.Errorf("record knowledge model: %w", err)
		}
		cur, rev, err := nextRevision(ctx, tx, workspace)
		if err != nil {
			return err
		}
		if cur != m {
			return &store.ModelMismatchError{Workspace: workspace, Indexed: cur, Wanted: m}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM knowledge_sources WHERE workspace = $1 AND source = $2`, workspace, src.Source); err != nil {
			return err
		}
		if len(chunks) == 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `INSERT INTO knowledge_sources (workspace, source, kind, title, hash, updated_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			workspace, src.Source, src.Kind, src.Title, src.Hash, src.UpdatedAt); err != nil {
			return fmt.Errorf("record source: %w", err)
		}
		for _, c := range chunks {
			if len(c.Embedding) != m.Dim {
				return fmt.Errorf("chunk %d has %d dimensions, model %s has %d", c.Position, len(c.Embedding), m.Name, m.Dim)
			}
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"knowledge_chunks"},
			[]string{"workspace", "source", "kind", "title", "text", "language", "position", "metadata", "dim", "embedding", "created_at", "rev"},
			pgx.CopyFromSlice(len(chunks), func(i int) ([]any, error) {
				c := chunks[i]
				return []any{workspace, src.Source, src.Kind, c.Title, c.Text, c.Language, c.Position, jsonOr(c.Metadata, "{}"), m.Dim, pgvector.NewVector(c.Embedding), c.CreatedAt, rev}, nil
			}))
		if err != nil {
			return fmt.Errorf("insert chunks: %w", err)
		}
		return nil
	})
	if err != nil {
		var mm *store.ModelMismatchError
		if errors.As(err, &mm) {
			return err
		}
		return fmt.Errorf("replace knowledge %s: %w", src.Source, err)
	}
	return nil
}

// RemoveSource deletes a source and (by cascade) its chunks.
func (s *Store) RemoveSource(ctx context.Context, workspace, source string) (int, error) {
	var n int
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM knowledge_chunks WHERE workspace = $1 AND source = $2`, workspace, source).Scan(&n); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM knowledge_sources WHERE workspace = $1 AND source = $2`, workspace, source)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("knowledge source %s: %w", source, store.ErrNotFound)
		}
		_, _, err = nextRevision(ctx, tx, workspace)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("remove knowledge %s: %w", source, err)
	}
	return n, nil
}

// Sources lists a workspace's knowledge sources.
func (s *Store) Sources(ctx context.Context, workspace string) ([]store.Source, error) {
	rows, err := s.pool.Query(ctx, `SELECT s.source, s.kind, s.title, s.hash, s.updated_at,
		(SELECT COUNT(*) FROM knowledge_chunks c WHERE c.workspace = s.workspace AND c.source = s.source)
		FROM knowledge_sources s WHERE s.workspace = $1 ORDER BY s.source`, workspace)
	if err != nil {
		return nil, fmt.Errorf("list knowledge of %s: %w", workspace, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Source, error) {
		var src store.Source
		err := r.Scan(&src.Source, &src.Kind, &src.Title, &src.Hash, &src.UpdatedAt, &src.Chunks)
		src.UpdatedAt = src.UpdatedAt.UTC()
		return src, err
	})
	if err != nil {
		return nil, fmt.Errorf("list knowledge of %s: %w", workspace, err)
	}
	return out, nil
}

const chunkCols = `c.id, c.workspace, c.source, c.kind, c.title, c.text, c.language, c.position, c.metadata, c.created_at`

func collectHits(rows pgx.Rows, score bool) ([]store.Hit, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Hit, error) {
		var h store.Hit
		var meta []byte
		dest := []any{&h.ID, &h.Workspace, &h.Source, &h.Kind, &h.Title, &h.Text, &h.Language, &h.Position, &meta, &h.CreatedAt}
		if score {
			dest = append(dest, &h.Score)
		}
		err := r.Scan(dest...)
		h.Metadata, h.CreatedAt = meta, h.CreatedAt.UTC()
		return h, err
	})
}

// Chunks lists a workspace's chunks.
func (s *Store) Chunks(ctx context.Context, workspace string) ([]store.Chunk, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+chunkCols+` FROM knowledge_chunks c WHERE c.workspace = $1 ORDER BY c.source, c.position`, workspace)
	if err != nil {
		return nil, fmt.Errorf("list chunks of %s: %w", workspace, err)
	}
	hits, err := collectHits(rows, false)
	if err != nil {
		return nil, fmt.Errorf("list chunks of %s: %w", workspace, err)
	}
	out := make([]store.Chunk, len(hits))
	for i, h := range hits {
		out[i] = h.Chunk
	}
	return out, nil
}

// Reembed swaps every embedding of a workspace and its recorded model.
func (s *Store) Reembed(ctx context.Context, workspace string, m store.EmbeddingModel, embeddings map[int64][]float32) error {
	if !store.DimSupported(m.Dim) {
		return fmt.Errorf("embedding dimension %d is not supported (supported: %v)", m.Dim, store.SupportedDims)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM knowledge_chunks WHERE workspace = $1`, workspace).Scan(&n); err != nil {
			return err
		}
		if n != len(embeddings) {
			return fmt.Errorf("%d chunks but %d embeddings (knowledge changed meanwhile; run it again)", n, len(embeddings))
		}
		var rev int64
		if err := tx.QueryRow(ctx, `INSERT INTO knowledge_models (workspace, model, dim) VALUES ($1, $2, $3)
			ON CONFLICT (workspace) DO UPDATE SET model = excluded.model, dim = excluded.dim, revision = knowledge_models.revision + 1
			RETURNING revision`, workspace, m.Name, m.Dim).Scan(&rev); err != nil {
			return err
		}
		b := &pgx.Batch{}
		for id, v := range embeddings {
			if len(v) != m.Dim {
				return fmt.Errorf("chunk %d has %d dimensions, model %s has %d", id, len(v), m.Name, m.Dim)
			}
			b.Queue(`UPDATE knowledge_chunks SET dim = $1, embedding = $2, rev = $5 WHERE workspace = $3 AND id = $4`, m.Dim, pgvector.NewVector(v), workspace, id, rev)
		}
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return fmt.Errorf("reindex %s: %w", workspace, err)
	}
	return nil
}

// HNSW search settings: the graph is walked with a candidate list of efSearch, the
// candidates nearest to the query are taken (at least minCandidates, or 4 × k), their
// distances computed again at full precision, and the k nearest kept. The graph is a cheap
// one to build (ef_construction 32, migration 15), so the list is longer than pgvector's
// default of 40. Measured on the benchmark corpus (100,000 chunks, 200 queries;
// BenchmarkGraphTradeoff), recall@5 against an exact cosine scan: see the README. A list of
// 500 reached 0.951–0.959 on graphs built at once by a bulk load but 0.948 on one grown chunk
// by chunk (BenchmarkSearch), so the list is 600.
const (
	efSearch      = 600
	minCandidates = 100
)

// SearchVector finds the chunks nearest to v through the HNSW index of v's dimension. The
// index is shared by workspaces, so the scan is iterative (hnsw.iterative_scan, set on every
// connection by Open): it keeps walking the graph until enough chunks of this workspace are
// found. It takes more candidates than asked for and keeps the k nearest, for recall. The
// statement itself checks that the workspace was indexed with m, so a search is one round
// trip; only when it finds nothing is the model read, to tell a mismatch from an empty base.
func (s *Store) SearchVector(ctx context.Context, workspace string, m store.EmbeddingModel, v []float32, k int) ([]store.Hit, error) {
	if len(v) == m.Dim && store.DimSupported(m.Dim) {
		rows, err := s.pool.Query(ctx, searchVectorSQL(m.Dim),
			workspace, pgvector.NewVector(v), k, m.Dim, max(4*k, minCandidates), m.Name)
		var hits []store.Hit
		if err == nil {
			hits, err = collectHits(rows, true)
		}
		if err != nil {
			return nil, fmt.Errorf("search knowledge of %s: %w", workspace, err)
		}
		if len(hits) > 0 {
			return hits, nil
		}
	}
	cur, ok, err := s.KnowledgeModel(ctx, workspace)
	if err != nil || !ok {
		return nil, err
	}
	if cur != m || len(v) != m.Dim || !store.DimSupported(m.Dim) {
		return nil, &store.ModelMismatchError{Workspace: workspace, Indexed: cur, Wanted: m}
	}
	return nil, nil
}

// searchVectorSQL is SearchVector's statement for a dimension (from the SupportedDims
// whitelist): when the workspace's model is the one asked for, the candidates come from the
// partial index, ordered by its own expression; their distances are computed again from
// the full-precision vectors. Parameters: the workspace, the vector, k, the dimension, the
// number of candidates, the model's name.
func searchVectorSQL(dim int) string {
	d := strconv.Itoa(dim)
	return `WITH nn AS MATERIALIZED (
			SELECT c.id, c.embedding::vector(` + d + `) <=> $2::vector(` + d + `) AS distance FROM knowledge_chunks c
			WHERE c.workspace = $1 AND c.dim = $4
				AND EXISTS (SELECT 1 FROM knowledge_models km WHERE km.workspace = $1 AND km.model = $6 AND km.dim = $4)
			ORDER BY c.` + indexedVector(dim) + ` <=> $2::halfvec(` + d + `) LIMIT $5),
		best AS (SELECT id, distance FROM nn ORDER BY distance LIMIT $3)
		SELECT ` + chunkCols + `, 1 - best.distance FROM best JOIN knowledge_chunks c ON c.id = best.id ORDER BY best.distance`
}

// SearchText finds the best full-text matches of the query's words, stemmed with the
// Italian and the English configurations and ranked by cover density. Ranking reads every
// matching chunk, so only the query's most informative words are looked for: by
// PostgreSQL's own statistics (ANALYZE), the rarest word, then the next rarest while
// together they are expected in at most 1% of the chunks (a word the statistics do not list
// as common counts as rare). When every word is in more than a tenth of the chunks the
// query has nothing to discriminate with and the full-text side returns nothing; the vector
// side still answers.
func (s *Store) SearchText(ctx context.Context, workspace, query string, k int) ([]store.Hit, error) {
	if len(store.TextTerms(query)) == 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `WITH lex AS (
			SELECT DISTINCT l FROM unnest(tsvector_to_array(to_tsvector('english', $2) || to_tsvector('italian', $2))) AS l),
		stats AS (
			SELECT x.e AS l, x.f FROM pg_stats st, unnest(st.most_common_elems::text::text[], st.most_common_elem_freqs) AS x(e, f)
			WHERE st.schemaname = current_schema() AND st.tablename = 'knowledge_chunks' AND st.attname = 'tsv' AND x.e IS NOT NULL),
		est AS (
			SELECT lex.l, COALESCE(stats.f, (SELECT COALESCE(min(f), 0) / 2 FROM stats)) AS f FROM lex LEFT JOIN stats USING (l)),
		ranked AS (
			SELECT l, f, sum(f) OVER (ORDER BY f, l) - f AS before FROM est),
		q AS (
			SELECT to_tsquery('simple', string_agg(quote_literal(l), ' | ') FILTER (WHERE before = 0 OR before + f <= 0.01)) AS q
			FROM ranked HAVING min(f) <= 0.1)
		SELECT `+chunkCols+`, ts_rank_cd(c.tsv, q.q) AS score FROM knowledge_chunks c, q
		WHERE c.workspace = $1 AND c.tsv @@ q.q ORDER BY score DESC, c.id LIMIT $3`, workspace, query, k)
	if err != nil {
		return nil, fmt.Errorf("search knowledge of %s: %w", workspace, err)
	}
	hits, err := collectHits(rows, true)
	if err != nil {
		return nil, fmt.Errorf("search knowledge of %s: %w", workspace, err)
	}
	return hits, nil
}

// ScanVectors reads a workspace's vectors of one model in one snapshot (see store).
func (s *Store) ScanVectors(ctx context.Context, workspace string, m store.EmbeddingModel, since int64, fn func(id int64, v []float32) error) (int64, error) {
	var rev int64
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT revision FROM knowledge_models WHERE workspace = $1 AND model = $2 AND dim = $3`, workspace, m.Name, m.Dim).Scan(&rev)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT id, CASE WHEN rev > $2 THEN embedding END FROM knowledge_chunks
			WHERE workspace = $1 AND dim = $3 ORDER BY id`, workspace, since, m.Dim)
		if err != nil {
			return err
		}
		defer rows.Close()
		var id int64
		var v *pgvector.Vector
		for rows.Next() {
			if err := rows.Scan(&id, &v); err != nil {
				return err
			}
			var vec []float32
			if v != nil {
				vec = v.Slice()
			}
			if err := fn(id, vec); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	if err != nil {
		return 0, fmt.Errorf("read the knowledge vectors of %s: %w", workspace, err)
	}
	return rev, nil
}

// ChunksByID returns chunks of a workspace by id, with its knowledge revision.
func (s *Store) ChunksByID(ctx context.Context, workspace string, ids []int64) ([]store.Chunk, int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+chunkCols+`, km.revision FROM knowledge_chunks c
		JOIN knowledge_models km ON km.workspace = c.workspace WHERE c.workspace = $1 AND c.id = ANY($2)`, workspace, ids)
	if err != nil {
		return nil, 0, fmt.Errorf("read chunks of %s: %w", workspace, err)
	}
	var rev int64
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Chunk, error) {
		var c store.Chunk
		var meta []byte
		err := r.Scan(&c.ID, &c.Workspace, &c.Source, &c.Kind, &c.Title, &c.Text, &c.Language, &c.Position, &meta, &c.CreatedAt, &rev)
		c.Metadata, c.CreatedAt = meta, c.CreatedAt.UTC()
		return c, err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("read chunks of %s: %w", workspace, err)
	}
	return out, rev, nil
}
