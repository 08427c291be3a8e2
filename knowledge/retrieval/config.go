package retrieval

import (
	"fmt"
	"strconv"
)

// FromEnv builds the embedder the settings select:
//
//	WHYBOT_EMBEDDER   local (default) | openai | ollama
//	WHYBOT_EMBED_MODEL  the provider's model name (required for openai and ollama)
//	WHYBOT_EMBED_DIM    vector size, one of store.SupportedDims (default 1536 for openai, 768 for ollama)
//	OPENAI_BASE_URL, OPENAI_API_KEY   for openai (any OpenAI-compatible server)
//	OLLAMA_HOST         for ollama (default http://127.0.0.1:11434)
func FromEnv(getenv func(string) string) (Embedder, error) {
	kind := getenv("WHYBOT_EMBEDDER")
	dim := func(def int) (int, error) {
		v := getenv("WHYBOT_EMBED_DIM")
		if v == "" {
			return def, nil
		}
		d, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("WHYBOT_EMBED_DIM=%q is not a number", v)
		}
		return d, nil
	}
	switch kind {
	case "", "local":
		return Local{}, nil
	case "openai":
		d, err := dim(1536)
		if err != nil {
			return nil, err
		}
		return NewOpenAI(getenv("OPENAI_BASE_URL"), getenv("OPENAI_API_KEY"), getenv("WHYBOT_EMBED_MODEL"), d)
	case "ollama":
		d, err := dim(768)
		if err != nil {
			return nil, err
		}
		return NewOllama(getenv("OLLAMA_HOST"), getenv("WHYBOT_EMBED_MODEL"), d)
	}
	return nil, fmt.Errorf("WHYBOT_EMBEDDER=%q is not an embedder: use local (built in, the default), openai (any OpenAI-compatible API) or ollama", kind)
}

// MemoryFromEnv is the knowledge search graphs' budget (WHYBOT_KNOWLEDGE_MEMORY, in MB;
// default 256, 0 turns them off) in bytes.
func MemoryFromEnv(getenv func(string) string) (int64, error) {
	v := getenv("WHYBOT_KNOWLEDGE_MEMORY")
	if v == "" {
		return 256 << 20, nil
	}
	mb, err := strconv.Atoi(v)
	if err != nil || mb < 0 {
		return 0, fmt.Errorf("WHYBOT_KNOWLEDGE_MEMORY=%q is not a number of megabytes: use e.g. 256, or 0 to search the database's index only", v)
	}
	return int64(mb) << 20, nil
}
