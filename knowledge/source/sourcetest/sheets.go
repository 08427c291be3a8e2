package sourcetest

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// Sheets is a fake Google Sheets API v4: spreadsheets.get (sheet titles) and
// spreadsheets.values.get of one spreadsheet, answering unformatted values only when asked
// for them (a formatted Italian «3.412» would be read as 3.412).
type Sheets struct {
	*Fake
	ID     string
	Title  string
	Values [][]any // as the API gives them unformatted: float64 numbers and serial dates, strings
	// Formatted are the same cells as Sheets shows them in an Italian spreadsheet.
	Formatted [][]any
}

var (
	sheetsGetPath    = regexp.MustCompile(`^/v4/spreadsheets/([^/]+)$`)
	sheetsValuesPath = regexp.MustCompile(`^/v4/spreadsheets/([^/]+)/values/([^/]+)$`)
)

// NewSheets starts a fake Sheets API holding one spreadsheet.
func NewSheets(t testing.TB, id, title string, values, formatted [][]any) *Sheets {
	s := &Sheets{ID: id, Title: title, Values: values, Formatted: formatted}
	s.Fake = newFake(t, nil, s.handle, googleError)
	return s
}

func (s *Sheets) handle(f *Fake, w http.ResponseWriter, r *http.Request, body []byte, fault Fault) {
	if r.Method != http.MethodGet {
		f.fail(w, http.StatusNotFound, "Not Found")
		return
	}
	if !f.authorized(w, r) {
		return
	}
	p := r.URL.EscapedPath()
	if m := sheetsGetPath.FindStringSubmatch(p); m != nil {
		if m[1] != s.ID {
			f.fail(w, http.StatusNotFound, "Requested entity was not found.")
			return
		}
		writeJSON(w, map[string]any{"spreadsheetId": s.ID, "sheets": []any{map[string]any{"properties": map[string]any{"sheetId": 0, "title": s.Title, "index": 0}}}})
		return
	}
	m := sheetsValuesPath.FindStringSubmatch(p)
	if m == nil || m[1] != s.ID {
		f.fail(w, http.StatusNotFound, "Requested entity was not found.")
		return
	}
	rng, _ := url.PathUnescape(m[2])
	sheet, _, _ := strings.Cut(rng, "!")
	if strings.Trim(sheet, "'") != s.Title {
		f.fail(w, 400, "Unable to parse range: "+rng)
		return
	}
	values := s.Formatted
	if r.URL.Query().Get("valueRenderOption") == "UNFORMATTED_VALUE" {
		values = s.Values
	}
	writeJSON(w, map[string]any{"range": s.Title + "!A1:Z1000", "majorDimension": "ROWS", "values": values})
}
