package sourcetest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// SearchConsole is a fake Search Console API (searchAnalytics.query): daily rows of the
// web search for one site; a query filter matching the brand serves the branded clicks.
type SearchConsole struct {
	*Fake
	Site  string // the site the token may read
	Brand string // a query naming the brand, which a branded filter must match
}

var scPath = regexp.MustCompile(`^/webmasters/v3/sites/([^/]+)/searchAnalytics/query$`)

// NewSearchConsole starts a fake Search Console for site.
func NewSearchConsole(t testing.TB, data *Data, site, brand string) *SearchConsole {
	s := &SearchConsole{Site: site, Brand: brand}
	s.Fake = newFake(t, data, s.handle, googleError)
	return s
}

func (s *SearchConsole) handle(f *Fake, w http.ResponseWriter, r *http.Request, body []byte, fault Fault) {
	m := scPath.FindStringSubmatch(r.URL.EscapedPath())
	if r.Method != http.MethodPost || m == nil {
		f.fail(w, http.StatusNotFound, "Not Found")
		return
	}
	if !f.authorized(w, r) {
		return
	}
	site, _ := url.PathUnescape(m[1])
	if site != s.Site {
		f.fail(w, http.StatusForbidden, "User does not have sufficient permission for site '"+site+"'. See also: https://support.google.com/webmasters/answer/2451999.")
		return
	}
	var req struct {
		StartDate, EndDate    string
		Dimensions            []string
		Type                  string
		RowLimit              int
		StartRow              int
		DimensionFilterGroups []struct {
			GroupType string
			Filters   []struct{ Dimension, Operator, Expression string }
		}
	}
	if err := json.Unmarshal(body, &req); err != nil {
		f.fail(w, 400, "Invalid JSON payload received.")
		return
	}
	from, err1 := time.Parse("2006-01-02", req.StartDate)
	to, err2 := time.Parse("2006-01-02", req.EndDate)
	if err1 != nil || err2 != nil || len(req.Dimensions) != 1 || req.Dimensions[0] != "date" || req.RowLimit > 25000 || (req.Type != "" && req.Type != "web") {
		f.fail(w, 400, "Invalid request: this fake serves daily web rows, rowLimit up to 25000.")
		return
	}
	branded := false
	for _, g := range req.DimensionFilterGroups {
		for _, x := range g.Filters {
			re, err := regexp.Compile(x.Expression)
			if x.Dimension != "query" || x.Operator != "includingRegex" || err != nil {
				f.fail(w, 400, "Invalid filter.")
				return
			}
			if !re.MatchString(strings.ToLower(s.Brand)) {
				writeJSON(w, map[string]any{"responseAggregationType": "byProperty"})
				return
			}
			branded = true
		}
	}
	var rows []map[string]any
	f.Data.days(from, to, func(day time.Time) {
		clicks, impr := f.Data.Value(SearchClicks, day, 0), f.Data.Value(SearchImpr, day, 0)
		if branded {
			clicks, impr = f.Data.Value(BrandedClicks, day, 0), 100
		}
		rows = append(rows, map[string]any{"keys": []string{day.Format("2006-01-02")}, "clicks": clicks, "impressions": impr, "ctr": clicks / impr, "position": 8.4})
	})
	if req.StartRow < len(rows) {
		rows = rows[req.StartRow:]
	} else {
		rows = nil
	}
	if req.RowLimit > 0 && len(rows) > req.RowLimit {
		rows = rows[:req.RowLimit]
	}
	writeJSON(w, map[string]any{"rows": rows, "responseAggregationType": "byProperty"})
}
