package retrieval

import (
	"context"
	"fmt"
	"net/url"

	"github.com/tmc/langchaingo/embeddings"
	"github.com/tmc/langchaingo/llms/ollama"
	"github.com/tmc/langchaingo/llms/openai"

	"github.com/whybot/whybot/knowledge/store"
)

// Remote is an embedder served by an OpenAI-compatible API or Ollama, through langchaingo.
type Remote struct {
	model store.EmbeddingModel
	emb   embeddings.Embedder
}

// Model names the embedder as recorded with the workspace's knowledge.
func (r *Remote) Model() store.EmbeddingModel { return r.model }

// Embed embeds texts, checking the size of every vector.
func (r *Remote) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	vs, err := r.emb.EmbedDocuments(ctx, texts)
	if err != nil {
		return nil, fmt.Errorf("embed with %s: %w", r.model.Name, err)
	}
	if err := checkVectors(r.model, texts, vs); err != nil {
		return nil, err
	}
	return vs, nil
}

func checkRemote(provider, base, model string, dim int) error {
	if model == "" {
		return fmt.Errorf("WHYBOT_EMBED_MODEL is empty: name the %s embedding model (e.g. text-embedding-3-small or nomic-embed-text)", provider)
	}
	if !store.DimSupported(dim) {
		return fmt.Errorf("WHYBOT_EMBED_DIM=%d is not supported: use one of %v (OpenAI's text-embedding-3 models accept any of them)", dim, store.SupportedDims)
	}
	if base != "" {
		if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%s base URL %q is not an http(s) URL", provider, base)
		}
	}
	return nil
}

// NewOpenAI is an embedder on an OpenAI-compatible API (OpenAI, or a local llama.cpp,
// vLLM or LM Studio server at baseURL). dim is sent as the dimensions parameter.
func NewOpenAI(baseURL, token, model string, dim int) (*Remote, error) {
	if err := checkRemote("openai", baseURL, model, dim); err != nil {
		return nil, err
	}
	if token == "" {
		token = "none" // local OpenAI-compatible servers need no key; the client insists on one
	}
	opts := []openai.Option{openai.WithToken(token), openai.WithEmbeddingModel(model), openai.WithEmbeddingDimensions(dim)}
	if baseURL != "" {
		opts = append(opts, openai.WithBaseURL(baseURL))
	}
	llm, err := openai.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("openai embedder: %w", err)
	}
	e, err := embeddings.NewEmbedder(llm, embeddings.WithBatchSize(64))
	if err != nil {
		return nil, fmt.Errorf("openai embedder: %w", err)
	}
	return &Remote{model: store.EmbeddingModel{Name: "openai:" + model, Dim: dim}, emb: e}, nil
}

// NewOllama is an embedder on an Ollama server.
func NewOllama(host, model string, dim int) (*Remote, error) {
	if err := checkRemote("ollama", host, model, dim); err != nil {
		return nil, err
	}
	opts := []ollama.Option{ollama.WithModel(model)}
	if host != "" {
		opts = append(opts, ollama.WithServerURL(host))
	}
	llm, err := ollama.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("ollama embedder: %w", err)
	}
	e, err := embeddings.NewEmbedder(llm, embeddings.WithBatchSize(32))
	if err != nil {
		return nil, fmt.Errorf("ollama embedder: %w", err)
	}
	return &Remote{model: store.EmbeddingModel{Name: "ollama:" + model, Dim: dim}, emb: e}, nil
}
