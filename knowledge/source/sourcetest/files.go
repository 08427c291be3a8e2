package sourcetest

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"sync"
	"testing"
	"time"
)

// Files is a fake web server of data files with ETag and Last-Modified, answering 304 to
// a conditional request for a file that has not changed.
type Files struct {
	*Fake
	fmu         sync.Mutex
	files       map[string]file
	NotModified int // how many 304s it answered
}

type file struct {
	body        []byte
	contentType string
	modified    time.Time
}

// NewFiles starts a fake file server.
func NewFiles(t testing.TB) *Files {
	s := &Files{files: map[string]file{}}
	s.Fake = newFake(t, nil, s.handle, func(int, string) string { return "" })
	return s
}

// Put serves body at path, changed now.
func (s *Files) Put(path, contentType string, body []byte) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	s.files[path] = file{body: body, contentType: contentType, modified: time.Now().UTC().Truncate(time.Second)}
}

func (s *Files) handle(f *Fake, w http.ResponseWriter, r *http.Request, body []byte, fault Fault) {
	s.fmu.Lock()
	fl, ok := s.files[r.URL.Path]
	s.fmu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	sum := sha256.Sum256(fl.body)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	w.Header().Set("ETag", etag)
	w.Header().Set("Last-Modified", fl.modified.Format(http.TimeFormat))
	if r.Header.Get("If-None-Match") == etag {
		s.fmu.Lock()
		s.NotModified++
		s.fmu.Unlock()
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", fl.contentType)
	w.Write(fl.body)
}
