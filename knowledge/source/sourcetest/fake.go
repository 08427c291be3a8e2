// Package sourcetest holds fake platforms that speak each provider's documented wire
// format on loopback (GA4 Data API, Search Console, Sheets v4, Google Ads REST, Meta
// Marketing API insights, HubSpot CRM search, OAuth token endpoints, an HTTPS file server),
// the daily numbers they serve, and the conformance suite every connector passes.
//
// A fake checks what it receives the way the platform does (path, auth header, query or
// body fields, paging) and answers 400 with the platform's own error body when a request
// is wrong, so a connector that asks the wrong thing fails its test. Faults (a 500, a 429
// with Retry-After, a slow answer, a malformed or huge body, a page loop, an expired token)
// are queued per fake and counted.
package sourcetest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Request is one request a fake received.
type Request struct {
	Method string
	Path   string
	Query  map[string][]string
	Header http.Header
	Body   []byte
}

// Fault is an answer a fake gives instead of the real one, once.
type Fault struct {
	Status     int
	RetryAfter string        // the Retry-After header
	Header     http.Header   // more headers (Meta's usage)
	Body       string        // the body; empty: the platform's error body for Status
	Delay      time.Duration // wait before answering (past the client's timeout: a timeout)
	// Huge streams this many bytes of a valid-looking JSON answer.
	Huge int64
	// Malformed answers 200 with a body that is not the documented JSON.
	Malformed bool
	// Loop makes a paged answer point back at the page just served.
	Loop bool
	// Revoke makes the token endpoint refuse the grant (invalid_grant).
	Revoke bool
}

// Fake is one fake platform.
type Fake struct {
	*httptest.Server
	t     testing.TB
	mu    sync.Mutex
	reqs  []Request
	fault []Fault
	// Token is the access token requests must carry (Authorization: Bearer Token).
	Token   string
	Data    *Data
	handler func(f *Fake, w http.ResponseWriter, r *http.Request, body []byte, fault Fault)
	// errorBody writes the platform's error for a status.
	errorBody func(status int, msg string) string
}

func newFake(t testing.TB, data *Data, handler func(f *Fake, w http.ResponseWriter, r *http.Request, body []byte, fault Fault), errorBody func(int, string) string) *Fake {
	f := &Fake{t: t, Token: "fake-access-token", Data: data, handler: handler, errorBody: errorBody}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

// Queue adds faults, answered in order before the real answers.
func (f *Fake) Queue(faults ...Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = append(f.fault, faults...)
}

// Requests is what the fake received so far.
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.reqs...)
}

// Count is how many requests the fake received.
func (f *Fake) Count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reqs)
}

// Reset forgets the requests received.
func (f *Fake) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = nil
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	f.mu.Lock()
	f.reqs = append(f.reqs, Request{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.Query(), Header: r.Header.Clone(), Body: body})
	var fault Fault
	if len(f.fault) > 0 {
		fault, f.fault = f.fault[0], f.fault[1:]
	}
	f.mu.Unlock()
	if fault.Delay > 0 {
		select {
		case <-time.After(fault.Delay):
		case <-r.Context().Done():
			return
		}
	}
	for k, vs := range fault.Header {
		w.Header()[k] = vs
	}
	switch {
	case fault.Status != 0:
		if fault.RetryAfter != "" {
			w.Header().Set("Retry-After", fault.RetryAfter)
		}
		msg := fault.Body
		if msg == "" {
			msg = f.errorBody(fault.Status, http.StatusText(fault.Status))
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(fault.Status)
		io.WriteString(w, msg)
		return
	case fault.Huge > 0:
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"rows":[`)
		chunk := bytes.Repeat([]byte(`{"dimensionValues":[{"value":"202601"}],"metricValues":[{"value":"1"}]},`), 1024)
		for n := int64(0); n < fault.Huge; n += int64(len(chunk)) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		io.WriteString(w, `{}]}`)
		return
	case fault.Malformed:
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"rows": [{"dimensionValues": "not a list"`)
		return
	}
	f.handler(f, w, r, body, fault)
}

// authorized checks the bearer token; it writes the platform's 401 when it is wrong.
func (f *Fake) authorized(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("Authorization") == "Bearer "+f.Token {
		return true
	}
	f.fail(w, http.StatusUnauthorized, "Request had invalid authentication credentials.")
	return false
}

// fail writes the platform's error.
func (f *Fake) fail(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, f.errorBody(status, msg))
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	json.NewEncoder(w).Encode(v)
}

// googleError is a Google API's error body (google.rpc.Status as JSON).
func googleError(status int, msg string) string {
	st := map[int]string{400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}[status]
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"code": status, "message": msg, "status": st}})
	return string(b)
}

func atoi(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
}
