// Package llmfake is an OpenAI-compatible chat completions server for tests and for the
// CI run of `whybot eval --llm`: whybot's real langchaingo client talks to it over HTTP on
// loopback. It answers through a Responder; Scripted is a stand-in model that reads
// whybot's own prompts.
package llmfake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// Call is one chat completion request.
type Call struct {
	Model  string
	System string
	User   string
	JSON   bool // response_format json_object was asked for
	Raw    string
}

// Responder answers a call with the assistant's text, or an HTTP status and body.
type Responder func(c Call) (text string, status int)

// Server is the fake.
type Server struct {
	*httptest.Server
	mu    sync.Mutex
	calls []Call
}

// New starts a fake answering with r. Close it when done.
func New(r Responder) *Server {
	s := &Server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/v1/chat/completions" && req.URL.Path != "/chat/completions" {
			http.Error(w, `{"error":{"message":"unknown path"}}`, http.StatusNotFound)
			return
		}
		raw, _ := io.ReadAll(req.Body)
		var body struct {
			Model    string `json:"model"`
			Messages []struct {
				Role    string `json:"role"`
				Content string `json:"content"`
			} `json:"messages"`
			ResponseFormat *struct {
				Type string `json:"type"`
			} `json:"response_format"`
		}
		if err := json.Unmarshal(raw, &body); err != nil {
			http.Error(w, `{"error":{"message":"bad json"}}`, http.StatusBadRequest)
			return
		}
		c := Call{Model: body.Model, Raw: string(raw), JSON: body.ResponseFormat != nil && body.ResponseFormat.Type == "json_object"}
		for _, m := range body.Messages {
			switch m.Role {
			case "system":
				c.System = m.Content
			case "user":
				c.User = m.Content
			}
		}
		s.mu.Lock()
		s.calls = append(s.calls, c)
		s.mu.Unlock()
		text, status := r(c)
		if status != 0 && status != http.StatusOK {
			w.WriteHeader(status)
			_, _ = io.WriteString(w, text)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"id": "fake", "object": "chat.completion", "model": body.Model,
			"choices": []map[string]any{{"index": 0, "message": map[string]any{"role": "assistant", "content": text}, "finish_reason": "stop"}},
			"usage":   map[string]int{"prompt_tokens": len(raw) / 4, "completion_tokens": len(text) / 4}})
	}))
	return s
}

// Calls returns the calls so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Fenced returns the JSON document between <tag> and </tag> in a prompt.
func Fenced(prompt, tag string) map[string]any {
	open, end := "<"+tag+">", "</"+tag+">"
	i, j := strings.Index(prompt, open), strings.LastIndex(prompt, end)
	if i < 0 || j < i {
		return nil
	}
	var doc map[string]any
	if json.Unmarshal([]byte(prompt[i+len(open):j]), &doc) != nil {
		return nil
	}
	return doc
}

// Scripted is a stand-in model for evals: it agrees with the first reading of questions
// and answers (except every fifth reading, which it answers with prose, not JSON), and
// rewrites a draft as the draft itself, except that every other first attempt adds a
// figure the evidence does not hold, so grounding and the retry are exercised.
func Scripted() Responder {
	var mu sync.Mutex
	readings, drafts := 0, 0
	return func(c Call) (string, int) {
		mu.Lock()
		defer mu.Unlock()
		if c.JSON {
			readings++
			doc := Fenced(c.User, "message")
			if readings%5 == 0 || doc == nil {
				return "Sure! Here is what I understood.", 0
			}
			b, _ := json.Marshal(doc["first_reading"])
			return string(b), 0
		}
		doc := Fenced(c.User, "evidence")
		draft, _ := doc["draft"].(string)
		retry := strings.Contains(c.User[strings.LastIndex(c.User, "</evidence>"):], "\n\n")
		if !retry {
			drafts++
			if drafts%2 == 1 {
				return draft + "\n\nLeads should grow by 87% next quarter.", 0
			}
		}
		return draft, 0
	}
}
