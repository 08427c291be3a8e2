package source

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
)

// call sends one JSON request through c and decodes a 2xx answer into out; any other
// status is read by fail (the platform's error body) into a pull error.
func call(ctx context.Context, c *http.Client, method, url string, header http.Header, body any, out any, base *Error,
	fail func(e *Error, status int, h http.Header, b []byte) *Error) (http.Header, error) {
	var rd io.Reader
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return nil, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		e := *base
		e.Reason, e.Detail = ReasonConfig, "not a valid request address"
		return nil, &e
	}
	if raw != nil {
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil }
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := c.Do(req)
	if err != nil {
		e := *base
		return nil, transportErr(&e, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		e := *base
		return resp.Header, fail(&e, resp.StatusCode, resp.Header, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		e := *base
		if _, ok := err.(*json.SyntaxError); ok || err == io.ErrUnexpectedEOF || err == io.EOF {
			e.Reason, e.Detail = ReasonMalformed, "the answer is not the JSON the API documents"
			return resp.Header, &e
		}
		if _, ok := err.(*json.UnmarshalTypeError); ok {
			e.Reason, e.Detail = ReasonMalformed, "the answer is not the JSON the API documents: "+err.Error()
			return resp.Header, &e
		}
		return resp.Header, transportErr(&e, err)
	}
	return resp.Header, nil
}
