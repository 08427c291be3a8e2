// Package retrieval is the company knowledge base: it chunks the profile, the glossary,
// the workspace's documents and approved answers, embeds them, stores them through the
// store's knowledge seam and searches them (vector + full text, fused by reciprocal rank).
package retrieval

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/whybot/whybot/knowledge/store"
)

// Embedder turns texts into vectors of one model and dimension.
type Embedder interface {
	Model() store.EmbeddingModel
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// LocalModel is the built-in embedder's name and size.
var LocalModel = store.EmbeddingModel{Name: "whybot-ngram-v1", Dim: 256}

// Local is the built-in embedder: no network, no model files. It hashes a text's words and
// character 3- and 4-grams (accents folded, lower case) into 256 signed buckets with
// log-scaled counts and normalises the result. Texts that share words, word stems or
// spellings land near each other ("lead"/"leads", "qualificati"/"qualified",
// "Facebook"/"facebok"); it knows nothing of synonyms or meaning, which is what an
// OpenAI-compatible or Ollama embedder adds.
type Local struct{}

// Model names the embedder.
func (Local) Model() store.EmbeddingModel { return LocalModel }

// Embed embeds texts.
func (Local) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out[i] = localVector(t)
	}
	return out, nil
}

func fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		default:
			b.WriteRune(' ')
		}
	}
	return b.String()
}

func localVector(text string) []float32 {
	dim := LocalModel.Dim
	counts := map[uint64]float64{}
	add := func(feature string, weight float64) {
		h := fnv.New64a()
		_, _ = h.Write([]byte(feature))
		counts[h.Sum64()] += weight
	}
	for _, w := range strings.Fields(fold(text)) {
		add("w:"+w, 1)
		padded := []rune(" " + w + " ")
		for n := 3; n <= 4; n++ {
			for i := 0; i+n <= len(padded); i++ {
				add(string(padded[i:i+n]), 0.5)
			}
		}
	}
	v := make([]float32, dim)
	for h, c := range counts {
		sign := float32(1)
		if h>>63 == 1 {
			sign = -1
		}
		v[h%uint64(dim)] += sign * float32(1+math.Log(c))
	}
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	if n == 0 {
		v[0] = 1 // an empty text still has a valid unit vector
		return v
	}
	inv := float32(1 / math.Sqrt(n))
	for i := range v {
		v[i] *= inv
	}
	return v
}

// checkVectors verifies an embedder returned one vector of the right size per text.
func checkVectors(m store.EmbeddingModel, texts []string, vs [][]float32) error {
	if len(vs) != len(texts) {
		return fmt.Errorf("embedder %s returned %d vectors for %d texts", m.Name, len(vs), len(texts))
	}
	for _, v := range vs {
		if len(v) != m.Dim {
			return fmt.Errorf("embedder %s returned %d dimensions, configured %d: set WHYBOT_EMBED_DIM to the model's size (one of %v)", m.Name, len(v), m.Dim, store.SupportedDims)
		}
	}
	return nil
}
