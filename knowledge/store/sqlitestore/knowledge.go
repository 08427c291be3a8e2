package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	_ "modernc.org/sqlite/vec" // registers sqlite-vec's vec0 and vec_* functions

	"github.com/whybot/whybot/knowledge/store"
)

// vecTable is the vec0 table holding vectors of one dimension; dim is always one of
// store.SupportedDims (checked by callers), so the name is never built from user input.
func vecTable(dim int) (string, error) {
	if !store.DimSupported(dim) {
		return "", fmt.Errorf("embedding dimension %d is not supported (supported: %v)", dim, store.SupportedDims)
	}
	return "knowledge_vec" + strconv.Itoa(dim), nil
}

// vecBlob encodes v, scaled to unit length, as sqlite-vec's float32 blob.
func vecBlob(v []float32) []byte {
	var n float64
	for _, f := range v {
		n += float64(f) * float64(f)
	}
	scale := float32(1)
	if n > 0 {
		scale = float32(1 / math.Sqrt(n))
	}
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f*scale))
	}
	return b
}

func model(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, workspace string) (store.EmbeddingModel, bool, error) {
	var m store.EmbeddingModel
	err := q.QueryRowContext(ctx, `SELECT model, dim FROM knowledge_models WHERE workspace = ?`, workspace).Scan(&m.Name, &m.Dim)
	if errors.Is(err, sql.ErrNoRows) {
		return m, false, nil
	}
	if err != nil {
		return m, false, fmt.Errorf("read knowledge model of %s: %w", workspace, err)
	}
	return m, true, nil
}

// nextRevision moves a workspace's knowledge revision on and returns the new one.
func nextRevision(ctx context.Context, tx *sql.Tx, workspace string) (int64, error) {
	var rev int64
	err := tx.QueryRowContext(ctx, `UPDATE knowledge_models SET revision = revision + 1 WHERE workspace = ? RETURNING revision`, workspace).Scan(&rev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("next knowledge revision of %s: %w", workspace, err)
	}
	return rev, nil
}

// KnowledgeModel returns the embedder the workspace was indexed with.
func (s *Store) KnowledgeModel(ctx context.Context, workspace string) (store.EmbeddingModel, bool, error) {
	return model(ctx, s.db, workspace)
}

func deleteSourceChunks(ctx context.Context, tx *sql.Tx, workspace, source string) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, dim FROM knowledge_chunks WHERE workspace = ? AND source = ?`, workspace, source)
	if err != nil {
		return 0, err
	}
	type idDim struct {
		id  int64
		dim int
	}
	var old []idDim
	for rows.Next() {
		var x idDim
		if err := rows.Scan(&x.id, &x.dim); err != nil {
			rows.Close()
			return 0, err
		}
		old = append(old, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, x := range old {
		if tbl, err := vecTable(x.dim); err == nil {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+tbl+` WHERE chunk_id = ?`, x.id); err != nil {
				return 0, err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM knowledge_fts WHERE rowid = ?`, x.id); err != nil {
			return 0, err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM knowledge_chunks WHERE workspace = ? AND source = ?`, workspace, source); err != nil {
		return 0, err
	}
	return len(old), nil
}

// ReplaceSource swaps a source's chunks atomically.
func (s *Store) ReplaceSource(ctx context.Context, workspace string, src store.Source, m store.EmbeddingModel, chunks []store.Chunk) error {
	tbl, err := vecTable(m.Dim)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("replace knowledge %s: %w", src.Source, err)
	}
	defer tx.Rollback()
	cur, ok, err := model(ctx, tx, workspace)
	if err != nil {
		return err
	}
	if ok && cur != m {
		return &store.ModelMismatchError{Workspace: workspace, Indexed: cur, Wanted: m}
	}
	if !ok {
		if _, err := tx.ExecContext(ctx, `INSERT INTO knowledge_models (workspace, model, dim) VALUES (?, ?, ?)`, workspace, m.Name, m.Dim); err != nil {
			return fmt.Errorf("record knowledge model of %s: %w", workspace, err)
		}
	}
	rev, err := nextRevision(ctx, tx, workspace)
	if err != nil {
		return err
	}
	if _, err := deleteSourceChunks(ctx, tx, workspace, src.Source); err != nil {
		return fmt.Errorf("replace knowledge %s: %w", src.Source, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM knowledge_sources WHERE workspace = ? AND source = ?`, workspace, src.Source); err != nil {
		return fmt.Errorf("replace knowledge %s: %w", src.Source, err)
	}
	if len(chunks) > 0 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO knowledge_sources (workspace, source, kind, title, hash, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			workspace, src.Source, src.Kind, src.Title, src.Hash, ts(src.UpdatedAt)); err != nil {
			return fmt.Errorf("record knowledge source %s: %w", src.Source, err)
		}
	}
	for _, c := range chunks {
		if len(c.Embedding) != m.Dim {
			return fmt.Errorf("chunk %d of %s has %d dimensions, model %s has %d", c.Position, src.Source, len(c.Embedding), m.Name, m.Dim)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO knowledge_chunks (workspace, source, kind, title, text, language, position, metadata, dim, created_at, rev)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			workspace, src.Source, src.Kind, c.Title, c.Text, c.Language, c.Position, jsonOr(c.Metadata, "{}"), m.Dim, ts(c.CreatedAt), rev)
		if err != nil {
			return fmt.Errorf("insert chunk %d of %s: %w", c.Position, src.Source, err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO knowledge_fts (rowid, workspace, title, text) VALUES (?, ?, ?, ?)`, id, workspace, c.Title, c.Text); err != nil {
			return fmt.Errorf("index chunk %d of %s: %w", c.Position, src.Source, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+tbl+` (chunk_id, workspace, embedding) VALUES (?, ?, ?)`, id, workspace, vecBlob(c.Embedding)); err != nil {
			return fmt.Errorf("embed chunk %d of %s: %w", c.Position, src.Source, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("replace knowledge %s: %w", src.Source, err)
	}
	return nil
}

// RemoveSource deletes a source and its chunks.
func (s *Store) RemoveSource(ctx context.Context, workspace, source string) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("remove knowledge %s: %w", source, err)
	}
	defer tx.Rollback()
	n, err := deleteSourceChunks(ctx, tx, workspace, source)
	if err != nil {
		return 0, fmt.Errorf("remove knowledge %s: %w", source, err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM knowledge_sources WHERE workspace = ? AND source = ?`, workspace, source)
	if err != nil {
		return 0, fmt.Errorf("remove knowledge %s: %w", source, err)
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return 0, fmt.Errorf("knowledge source %s: %w", source, store.ErrNotFound)
	}
	if _, err := nextRevision(ctx, tx, workspace); err != nil {
		return 0, err
	}
	return n, tx.Commit()
}

// Sources lists a workspace's knowledge sources.
func (s *Store) Sources(ctx context.Context, workspace string) ([]store.Source, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT s.source, s.kind, s.title, s.hash, s.updated_at,
		(SELECT COUNT(*) FROM knowledge_chunks c WHERE c.workspace = s.workspace AND c.source = s.source)
		FROM knowledge_sources s WHERE s.workspace = ? ORDER BY s.source`, workspace)
	if err != nil {
		return nil, fmt.Errorf("list knowledge of %s: %w", workspace, err)
	}
	defer rows.Close()
	var out []store.Source
	for rows.Next() {
		var src store.Source
		var at string
		if err := rows.Scan(&src.Source, &src.Kind, &src.Title, &src.Hash, &at, &src.Chunks); err != nil {
			return nil, fmt.Errorf("list knowledge of %s: %w", workspace, err)
		}
		src.UpdatedAt = parseTS(at)
		out = append(out, src)
	}
	return out, rows.Err()
}

const chunkCols = `c.id, c.workspace, c.source, c.kind, c.title, c.text, c.language, c.position, c.metadata, c.created_at`

func scanChunk(r scanner, extra ...any) (store.Chunk, error) {
	var c store.Chunk
	var meta, created string
	err := r.Scan(append([]any{&c.ID, &c.Workspace, &c.Source, &c.Kind, &c.Title, &c.Text, &c.Language, &c.Position, &meta, &created}, extra...)...)
	c.Metadata = []byte(meta)
	c.CreatedAt = parseTS(created)
	return c, err
}

func (s *Store) queryChunks(ctx context.Context, q string, args []any, score bool) ([]store.Hit, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Hit
	for rows.Next() {
		var h store.Hit
		var err error
		if score {
			h.Chunk, err = scanChunk(rows, &h.Score)
		} else {
			h.Chunk, err = scanChunk(rows)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// Chunks lists a workspace's chunks.
func (s *Store) Chunks(ctx context.Context, workspace string) ([]store.Chunk, error) {
	hits, err := s.queryChunks(ctx, `SELECT `+chunkCols+` FROM knowledge_chunks c WHERE c.workspace = ? ORDER BY c.source, c.position`, []any{workspace}, false)
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
	tbl, err := vecTable(m.Dim)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("reindex %s: %w", workspace, err)
	}
	defer tx.Rollback()
	for _, d := range store.SupportedDims {
		t, _ := vecTable(d)
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+t+` WHERE workspace = ?`, workspace); err != nil {
			return fmt.Errorf("reindex %s: %w", workspace, err)
		}
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM knowledge_chunks WHERE workspace = ?`, workspace).Scan(&n); err != nil {
		return fmt.Errorf("reindex %s: %w", workspace, err)
	}
	if n != len(embeddings) {
		return fmt.Errorf("reindex %s: %d chunks but %d embeddings (knowledge changed meanwhile; run it again)", workspace, n, len(embeddings))
	}
	var rev int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO knowledge_models (workspace, model, dim) VALUES (?, ?, ?)
		ON CONFLICT (workspace) DO UPDATE SET model = excluded.model, dim = excluded.dim, revision = knowledge_models.revision + 1
		RETURNING revision`, workspace, m.Name, m.Dim).Scan(&rev); err != nil {
		return fmt.Errorf("reindex %s: %w", workspace, err)
	}
	for id, v := range embeddings {
		if len(v) != m.Dim {
			return fmt.Errorf("reindex %s: chunk %d has %d dimensions, model %s has %d", workspace, id, len(v), m.Name, m.Dim)
		}
		res, err := tx.ExecContext(ctx, `UPDATE knowledge_chunks SET dim = ?, rev = ? WHERE workspace = ? AND id = ?`, m.Dim, rev, workspace, id)
		if err != nil {
			return fmt.Errorf("reindex %s: %w", workspace, err)
		}
		if k, _ := res.RowsAffected(); k != 1 {
			return fmt.Errorf("reindex %s: chunk %d: %w", workspace, id, store.ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+tbl+` (chunk_id, workspace, embedding) VALUES (?, ?, ?)`, id, workspace, vecBlob(v)); err != nil {
			return fmt.Errorf("reindex %s: %w", workspace, err)
		}
	}
	return tx.Commit()
}

// SearchVector finds the chunks nearest to v.
func (s *Store) SearchVector(ctx context.Context, workspace string, m store.EmbeddingModel, v []float32, k int) ([]store.Hit, error) {
	cur, ok, err := s.KnowledgeModel(ctx, workspace)
	if err != nil || !ok {
		return nil, err
	}
	if cur != m || len(v) != m.Dim {
		return nil, &store.ModelMismatchError{Workspace: workspace, Indexed: cur, Wanted: m}
	}
	tbl, err := vecTable(m.Dim)
	if err != nil {
		return nil, err
	}
	hits, err := s.queryChunks(ctx, `WITH knn AS (SELECT chunk_id, distance FROM `+tbl+` WHERE embedding MATCH ? AND k = ? AND workspace = ?)
		SELECT `+chunkCols+`, 1 - knn.distance * knn.distance / 2 FROM knn JOIN knowledge_chunks c ON c.id = knn.chunk_id AND c.workspace = ? ORDER BY knn.distance`,
		[]any{vecBlob(v), k, workspace, workspace}, true)
	if err != nil {
		return nil, fmt.Errorf("search knowledge of %s: %w", workspace, err)
	}
	return hits, nil
}

// quote makes a term an FTS5 string literal, so no user text acts as FTS syntax.
func quote(t string) string { return `"` + strings.ReplaceAll(t, `"`, `""`) + `"` }

// ftsQuery turns free text into an FTS5 query: the terms joined by OR, leaving out terms
// found in more than a tenth of the workspace's chunks (in this corpus they are stopwords:
// they rank nothing and make every chunk a match). When every term is that common, all of
// them must match (AND).
func (s *Store) ftsQuery(ctx context.Context, workspace, query string) (string, error) {
	terms := store.TextTerms(query)
	if len(terms) == 0 {
		return "", nil
	}
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM knowledge_chunks WHERE workspace = ?`, workspace).Scan(&total); err != nil {
		return "", err
	}
	limit := total/10 + 1
	var rare, all []string
	for _, t := range terms {
		q := quote(t)
		all = append(all, q)
		if total < 50 {
			rare = append(rare, q)
			continue
		}
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM knowledge_fts WHERE knowledge_fts MATCH ? LIMIT ?)`, q, limit).Scan(&n); err != nil {
			return "", err
		}
		if n > 0 && n < limit {
			rare = append(rare, q)
		}
	}
	if len(rare) > 0 {
		return strings.Join(rare, " OR "), nil
	}
	return strings.Join(all, " AND "), nil
}

// SearchText finds the best full-text matches.
func (s *Store) SearchText(ctx context.Context, workspace, query string, k int) ([]store.Hit, error) {
	q, err := s.ftsQuery(ctx, workspace, query)
	if err != nil || q == "" {
		return nil, err
	}
	hits, err := s.queryChunks(ctx, `WITH m AS (SELECT rowid AS id, bm25(knowledge_fts) AS rank FROM knowledge_fts
			WHERE knowledge_fts MATCH ? AND workspace = ? ORDER BY rank LIMIT ?)
		SELECT `+chunkCols+`, -m.rank FROM m JOIN knowledge_chunks c ON c.id = m.id AND c.workspace = ? ORDER BY m.rank`,
		[]any{q, workspace, k, workspace}, true)
	if err != nil {
		return nil, fmt.Errorf("search knowledge of %s: %w", workspace, err)
	}
	return hits, nil
}

// ScanVectors reads a workspace's vectors of one model in one snapshot (see store).
func (s *Store) ScanVectors(ctx context.Context, workspace string, m store.EmbeddingModel, since int64, fn func(id int64, v []float32) error) (int64, error) {
	tbl, err := vecTable(m.Dim)
	if err != nil {
		return 0, err
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, fmt.Errorf("read the knowledge vectors of %s: %w", workspace, err)
	}
	defer tx.Rollback()
	var rev int64
	err = tx.QueryRowContext(ctx, `SELECT revision FROM knowledge_models WHERE workspace = ? AND model = ? AND dim = ?`, workspace, m.Name, m.Dim).Scan(&rev)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read the knowledge vectors of %s: %w", workspace, err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT c.id, CASE WHEN c.rev > ? THEN (SELECT v.embedding FROM `+tbl+` v WHERE v.chunk_id = c.id) END
		FROM knowledge_chunks c WHERE c.workspace = ? AND c.dim = ? ORDER BY c.id`, since, workspace, m.Dim)
	if err != nil {
		return 0, fmt.Errorf("read the knowledge vectors of %s: %w", workspace, err)
	}
	defer rows.Close()
	var id int64
	var blob []byte
	for rows.Next() {
		if err := rows.Scan(&id, &blob); err != nil {
			return 0, fmt.Errorf("read the knowledge vectors of %s: %w", workspace, err)
		}
		var v []float32
		if blob != nil {
			v = make([]float32, len(blob)/4)
			for i := range v {
				v[i] = math.Float32frombits(binary.LittleEndian.Uint32(blob[4*i:]))
			}
		}
		if err := fn(id, v); err != nil {
			return 0, err
		}
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("read the knowledge vectors of %s: %w", workspace, err)
	}
	return rev, nil
}

// ChunksByID returns chunks of a workspace by id, with its knowledge revision.
func (s *Store) ChunksByID(ctx context.Context, workspace string, ids []int64) ([]store.Chunk, int64, error) {
	if len(ids) == 0 {
		return nil, 0, nil
	}
	args := make([]any, 0, len(ids)+1)
	args = append(args, workspace)
	for _, id := range ids {
		args = append(args, id)
	}
	q := `SELECT ` + chunkCols + `, km.revision FROM knowledge_chunks c JOIN knowledge_models km ON km.workspace = c.workspace
		WHERE c.workspace = ? AND c.id IN (?` + strings.Repeat(", ?", len(ids)-1) + `)`
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("read chunks of %s: %w", workspace, err)
	}
	defer rows.Close()
	var out []store.Chunk
	var rev int64
	for rows.Next() {
		c, err := scanChunk(rows, &rev)
		if err != nil {
			return nil, 0, fmt.Errorf("read chunks of %s: %w", workspace, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("read chunks of %s: %w", workspace, err)
	}
	return out, rev, nil
}
