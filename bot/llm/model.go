package llm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/llms/anthropic"
	"github.com/tmc/langchaingo/llms/ollama"
	"github.com/tmc/langchaingo/llms/openai"
)

// Model is the one thing whybot asks of a language model: a reply to a system and a user
// message, optionally as a JSON object.
type Model interface {
	Complete(ctx context.Context, system, user string, json bool) (string, error)
}

// New is the configured provider's client through langchaingo, behind whybot's Model,
// with the timeout and the circuit breaker applied.
func New(c Config, log *slog.Logger) (Model, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	var m llms.Model
	var err error
	switch c.Provider {
	case "openai":
		key := c.APIKey
		if key == "" {
			key = "none" // local servers need no key; the client insists on one
		}
		opts := []openai.Option{openai.WithToken(key), openai.WithModel(c.Model)}
		if c.BaseURL != "" {
			opts = append(opts, openai.WithBaseURL(c.BaseURL))
		}
		m, err = openai.New(opts...)
	case "ollama":
		opts := []ollama.Option{ollama.WithModel(c.Model)}
		if c.BaseURL != "" {
			opts = append(opts, ollama.WithServerURL(c.BaseURL))
		}
		m, err = ollama.New(opts...)
	case "anthropic":
		opts := []anthropic.Option{anthropic.WithToken(c.APIKey), anthropic.WithModel(c.Model)}
		if c.BaseURL != "" {
			opts = append(opts, anthropic.WithBaseURL(c.BaseURL))
		}
		m, err = anthropic.New(opts...)
	default:
		return nil, fmt.Errorf("no LLM configured")
	}
	if err != nil {
		return nil, fmt.Errorf("%s client: %w", c.Provider, err)
	}
	return &client{m: m, c: c, log: log, breaker: &Breaker{Failures: 3, Cooldown: time.Minute}}, nil
}

type client struct {
	m       llms.Model
	c       Config
	log     *slog.Logger
	breaker *Breaker
}

// ErrOpen is returned while the circuit breaker is open: the provider failed repeatedly
// and is given a rest before being tried again.
var ErrOpen = errors.New("the LLM failed several times in a row and is paused for a minute")

// Complete asks the model once, and once more after a short pause when the first try
// failed for a reason other than the deadline (a 5xx, a 429, a dropped connection); both
// tries share the one timeout.
func (c *client) Complete(ctx context.Context, system, user string, asJSON bool) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.c.Timeout)
	defer cancel()
	var err error
	for try := 1; try <= 2; try++ {
		var out string
		if out, err = c.try(ctx, system, user, asJSON); err == nil || errors.Is(err, ErrOpen) || ctx.Err() != nil {
			return out, err
		}
		if try == 1 {
			select {
			case <-ctx.Done():
				return "", err
			case <-time.After(retryPause):
			}
		}
	}
	return "", err
}

// retryPause is the wait before the second try.
var retryPause = 250 * time.Millisecond

func (c *client) try(ctx context.Context, system, user string, asJSON bool) (string, error) {
	if !c.breaker.Allow(time.Now()) {
		return "", ErrOpen
	}
	opts := []llms.CallOption{llms.WithModel(c.c.Model), llms.WithMaxTokens(c.c.MaxTokens), llms.WithTemperature(0.2)}
	if asJSON {
		opts = append(opts, llms.WithJSONMode())
	}
	if c.c.LegacyMaxTokens {
		opts = append(opts, openai.WithLegacyMaxTokensField())
	}
	start := time.Now()
	resp, err := c.m.GenerateContent(ctx, []llms.MessageContent{
		llms.TextParts(llms.ChatMessageTypeSystem, system),
		llms.TextParts(llms.ChatMessageTypeHuman, user),
	}, opts...)
	if err == nil && (resp == nil || len(resp.Choices) == 0 || resp.Choices[0].Content == "") {
		err = errors.New("the model returned no text")
	}
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("%w: %w", ctx.Err(), err) // the clients do not all wrap the context's error
	}
	c.breaker.Record(time.Now(), err == nil)
	if err != nil {
		// the prompt is never logged: it holds company data
		if c.log != nil {
			c.log.WarnContext(ctx, "llm call failed", "provider", c.c.Provider, "model", c.c.Model, "took", time.Since(start), "err", err)
		}
		return "", fmt.Errorf("%s %s: %w", c.c.Provider, c.c.Model, err)
	}
	return resp.Choices[0].Content, nil
}

// Breaker opens after Failures consecutive failures and lets one call through after
// Cooldown; a success closes it.
type Breaker struct {
	Failures int
	Cooldown time.Duration

	mu        sync.Mutex
	failed    int
	openUntil time.Time
}

// Allow reports whether a call may be made now.
func (b *Breaker) Allow(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.failed < b.Failures || !now.Before(b.openUntil)
}

// Record notes a call's outcome.
func (b *Breaker) Record(now time.Time, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if ok {
		b.failed = 0
		return
	}
	b.failed++
	if b.failed >= b.Failures {
		b.openUntil = now.Add(b.Cooldown)
	}
}
