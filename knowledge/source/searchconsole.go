package source

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"google.golang.org/api/option"
	searchconsole "google.golang.org/api/searchconsole/v1"

	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/profile"
)

// Search Console's numbers: clicks and impressions of the web search, and the clicks of
// the queries that do not name the brand (seed 003's awareness KPI: non-branded demand).
var searchMetrics = map[string]string{"clicks": "organic_clicks", "impressions": "search_impressions", "non_branded_clicks": "non_branded_search"}

const searchPageRows = 25_000

type searchConsole struct {
	decl profile.Source
	env  Env
	cred Credential
}

func (sc *searchConsole) Pull(ctx context.Context, req Request) (Result, error) {
	res := Result{}
	rs := newRowSet(sc.decl)
	hc, err := sc.env.googleClient(ctx, sc.decl, sc.cred, &res.Requests, searchconsole.WebmastersReadonlyScope)
	if err != nil {
		return res, err
	}
	svc, err := searchconsole.NewService(ctx, option.WithHTTPClient(hc), option.WithEndpoint(sc.env.endpoint("search_console", "https://searchconsole.googleapis.com/")))
	if err != nil {
		return res, fmt.Errorf("Search Console client: %w", err)
	}
	_, to := fields(searchMetrics, sc.decl)
	total, err := sc.query(ctx, svc, req, nil)
	if err != nil {
		return res, err
	}
	var branded map[string]float64
	brand := brandRegex(sc.env.Brand)
	if to["non_branded_clicks"] != "" && brand != "" {
		filter := []*searchconsole.ApiDimensionFilterGroup{{GroupType: "and", Filters: []*searchconsole.ApiDimensionFilter{{Dimension: "query", Operator: "includingRegex", Expression: brand}}}}
		rows, err := sc.query(ctx, svc, req, filter)
		if err != nil {
			return res, err
		}
		branded = map[string]float64{}
		for _, r := range rows {
			branded[r.Keys[0]] += r.Clicks
		}
	}
	for _, r := range total {
		day, err := time.Parse("2006-01-02", r.Keys[0])
		if err != nil {
			return res, rs.malformed(fmt.Sprintf("date %q is not YYYY-MM-DD", r.Keys[0]))
		}
		p := periodOf(req.Grain, day)
		vals := map[string]float64{"clicks": r.Clicks, "impressions": r.Impressions}
		if branded != nil {
			// anonymised queries (Google hides rare ones) fall on the non-branded side
			vals["non_branded_clicks"] = r.Clicks - branded[r.Keys[0]]
		}
		for field, v := range vals {
			if id := to[field]; id != "" && !rs.add(p, id, kpi.Dims{}, v) {
				return res, rs.tooMany()
			}
		}
	}
	res.Rows = rs.rows
	res.Provenance = Provenance{Source: sc.decl.Name, Kind: "search_console", Endpoint: "sites/" + sc.decl.Site + "/searchAnalytics/query",
		API: "Search Console API v1", PulledAt: sc.env.Now().UTC(), TimeZone: "America/Los_Angeles"}
	if brand == "" && to["non_branded_clicks"] != "" {
		res.Provenance.Attribution = "no brand terms (brand: [...] in company.yaml): non-branded clicks not pulled"
	}
	return res, nil
}

// query reads the daily rows of the web search, every page of them.
func (sc *searchConsole) query(ctx context.Context, svc *searchconsole.Service, req Request, filter []*searchconsole.ApiDimensionFilterGroup) ([]*searchconsole.ApiDataRow, error) {
	var out []*searchconsole.ApiDataRow
	base := &Error{Source: sc.decl.Name, Kind: sc.decl.Kind}
	for start, page := int64(0), 0; ; page++ {
		if page >= MaxPages {
			return nil, &Error{Source: sc.decl.Name, Kind: sc.decl.Kind, Reason: ReasonLoop, Detail: fmt.Sprintf("more than %d pages", MaxPages)}
		}
		q := &searchconsole.SearchAnalyticsQueryRequest{StartDate: dateStr(req.From), EndDate: dateStr(req.To), Dimensions: []string{"date"},
			Type: "web", RowLimit: searchPageRows, StartRow: start, DimensionFilterGroups: filter}
		resp, err := svc.Searchanalytics.Query(sc.decl.Site, q).Context(ctx).Do()
		if err != nil {
			return nil, googleErr(base, err)
		}
		for _, r := range resp.Rows {
			if len(r.Keys) != 1 {
				return nil, &Error{Source: sc.decl.Name, Kind: sc.decl.Kind, Reason: ReasonMalformed, Detail: fmt.Sprintf("a row with %d keys for one dimension", len(r.Keys))}
			}
		}
		out = append(out, resp.Rows...)
		if len(resp.Rows) < searchPageRows {
			return out, nil
		}
		start += int64(len(resp.Rows))
	}
}

// brandRegex is an RE2 expression matching a query that names the brand.
func brandRegex(terms []string) string {
	var parts []string
	for _, t := range terms {
		if t = strings.TrimSpace(strings.ToLower(t)); t != "" {
			parts = append(parts, regexp.QuoteMeta(t))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "(?i)(" + strings.Join(parts, "|") + ")"
}
