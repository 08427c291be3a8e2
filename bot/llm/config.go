// Package llm is whybot's optional language model: it phrases drafts from the same
// evidence the rules produced, and every draft it writes must pass a grounding check
// against that evidence, or the rules' own draft is used. It is off unless configured
// (WHYBOT_LLM), sees only aggregates with personal data redacted, and never decides
// anything: approval stays with a person.
package llm

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// Config holds the LLM settings (environment variables in brackets).
type Config struct {
	Provider  string        // WHYBOT_LLM: none (default) | openai | ollama | anthropic
	Model     string        // WHYBOT_LLM_MODEL: required; no library default is used
	BaseURL   string        // OPENAI_BASE_URL (openai: any OpenAI-compatible server), OLLAMA_HOST (ollama), ANTHROPIC_BASE_URL
	APIKey    string        // OPENAI_API_KEY or ANTHROPIC_API_KEY
	Timeout   time.Duration // WHYBOT_LLM_TIMEOUT: per call; default 20s
	MaxTokens int           // WHYBOT_LLM_MAX_TOKENS: output limit; default 800
	// LegacyMaxTokens sends max_tokens instead of max_completion_tokens, for older
	// OpenAI-compatible servers (WHYBOT_LLM_LEGACY_MAX_TOKENS=1).
	LegacyMaxTokens bool
}

// FromEnv reads the settings; Validate says what is wrong with them.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Config{Provider: getenv("WHYBOT_LLM"), Model: getenv("WHYBOT_LLM_MODEL"), Timeout: 20 * time.Second, MaxTokens: 800,
		LegacyMaxTokens: getenv("WHYBOT_LLM_LEGACY_MAX_TOKENS") == "1"}
	if c.Provider == "" {
		c.Provider = "none"
	}
	switch c.Provider {
	case "openai":
		c.BaseURL, c.APIKey = getenv("OPENAI_BASE_URL"), getenv("OPENAI_API_KEY")
	case "ollama":
		c.BaseURL = getenv("OLLAMA_HOST")
	case "anthropic":
		c.BaseURL, c.APIKey = getenv("ANTHROPIC_BASE_URL"), getenv("ANTHROPIC_API_KEY")
	}
	var errs []error
	if v := getenv("WHYBOT_LLM_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("WHYBOT_LLM_TIMEOUT=%q is not a duration: use e.g. 20s or 1m", v))
		}
		c.Timeout = d
	}
	if v := getenv("WHYBOT_LLM_MAX_TOKENS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 50 || n > 8000 {
			errs = append(errs, fmt.Errorf("WHYBOT_LLM_MAX_TOKENS=%q is not a number from 50 to 8000", v))
		}
		c.MaxTokens = n
	}
	if err := errors.Join(errs...); err != nil {
		return c, err
	}
	return c, c.Validate()
}

// Enabled reports whether an LLM is configured.
func (c Config) Enabled() bool { return c.Provider != "" && c.Provider != "none" }

// Validate checks the settings and says how to fix them; keys are never echoed.
func (c Config) Validate() error {
	if !c.Enabled() {
		return nil
	}
	var errs []error
	switch c.Provider {
	case "openai", "ollama", "anthropic":
	default:
		return fmt.Errorf("WHYBOT_LLM=%q is not a provider: use none (the default), openai (OpenAI or any OpenAI-compatible server such as llama.cpp, vLLM or LM Studio), ollama or anthropic", c.Provider)
	}
	if c.Model == "" {
		errs = append(errs, fmt.Errorf("WHYBOT_LLM_MODEL is empty: name the %s model to use (e.g. gpt-4.1-mini, llama3.1:8b, claude-sonnet-4-5); whybot does not pick one for you", c.Provider))
	}
	if c.Provider == "anthropic" && c.APIKey == "" {
		errs = append(errs, errors.New("ANTHROPIC_API_KEY is empty: create a key at console.anthropic.com → API Keys"))
	}
	if c.Provider == "openai" && c.APIKey == "" && c.BaseURL == "" {
		errs = append(errs, errors.New("OPENAI_API_KEY is empty: set it for OpenAI, or set OPENAI_BASE_URL to a local OpenAI-compatible server that needs no key"))
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("the %s base URL %q is not an http(s) URL", c.Provider, c.BaseURL))
		}
	}
	if c.Timeout <= 0 {
		errs = append(errs, errors.New("WHYBOT_LLM_TIMEOUT must be positive"))
	}
	return errors.Join(errs...)
}
