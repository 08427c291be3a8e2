package sourcetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// GA4 is a fake GA4 Data API (v1beta properties.runReport): rows by the asked dimensions,
// limit/offset paging, propertyQuota, and a daily token quota per property.
type GA4 struct {
	*Fake
	// PageRows caps the rows of one page below the request's limit (to exercise paging).
	PageRows int
	// TokensPerDay is each property's daily quota; each request costs TokensPerRequest.
	TokensPerDay, TokensPerRequest int64
	qmu                            sync.Mutex
	used                           map[string]int64
}

var ga4Path = regexp.MustCompile(`^/v1beta/properties/([0-9]+):runReport$`)

// NewGA4 starts a fake GA4 Data API.
func NewGA4(t testing.TB, data *Data) *GA4 {
	g := &GA4{TokensPerDay: 200_000, TokensPerRequest: 10, used: map[string]int64{}}
	g.Fake = newFake(t, data, g.handle, googleError)
	return g
}

// ResetQuota starts a new quota day.
func (g *GA4) ResetQuota() {
	g.qmu.Lock()
	defer g.qmu.Unlock()
	g.used = map[string]int64{}
}

type ga4Req struct {
	DateRanges []struct {
		StartDate string `json:"startDate"`
		EndDate   string `json:"endDate"`
	} `json:"dateRanges"`
	Dimensions []struct {
		Name string `json:"name"`
	} `json:"dimensions"`
	Metrics []struct {
		Name string `json:"name"`
	} `json:"metrics"`
	Limit               json.Number `json:"limit"`
	Offset              json.Number `json:"offset"`
	ReturnPropertyQuota bool        `json:"returnPropertyQuota"`
}

var ga4Series = map[string]string{"sessions": Sessions, "engagedSessions": EngagedSessions, "keyEvents": KeyEvents}

func (g *GA4) handle(f *Fake, w http.ResponseWriter, r *http.Request, body []byte, fault Fault) {
	m := ga4Path.FindStringSubmatch(r.URL.Path)
	if r.Method != http.MethodPost || m == nil {
		f.fail(w, http.StatusNotFound, "Method not found.")
		return
	}
	if !f.authorized(w, r) {
		return
	}
	var req ga4Req
	if err := json.Unmarshal(body, &req); err != nil {
		f.fail(w, 400, "Invalid JSON payload received.")
		return
	}
	if len(req.DateRanges) != 1 || len(req.Metrics) == 0 || len(req.Dimensions) == 0 {
		f.fail(w, 400, "A report needs one date range, a dimension and a metric here.")
		return
	}
	from, err1 := time.Parse("2006-01-02", req.DateRanges[0].StartDate)
	to, err2 := time.Parse("2006-01-02", req.DateRanges[0].EndDate)
	if err1 != nil || err2 != nil || to.Before(from) {
		f.fail(w, 400, "Invalid date range.")
		return
	}
	for _, x := range req.Metrics {
		if ga4Series[x.Name] == "" {
			f.fail(w, 400, fmt.Sprintf("Field %s is not a valid metric. For a list of valid dimensions and metrics, see https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema", x.Name))
			return
		}
	}
	timeDim := req.Dimensions[0].Name
	keyOf := map[string]func(time.Time) string{
		"yearMonth":      func(d time.Time) string { return d.Format("200601") },
		"date":           func(d time.Time) string { return d.Format("20060102") },
		"isoYearIsoWeek": func(d time.Time) string { y, wk := d.ISOWeek(); return fmt.Sprintf("%04d%02d", y, wk) },
	}[timeDim]
	if keyOf == nil {
		f.fail(w, 400, "Field "+timeDim+" is not a valid dimension here.")
		return
	}
	var dims []string
	for _, d := range req.Dimensions[1:] {
		if ga4Parts(f.Data, d.Name) == nil {
			f.fail(w, 400, "Field "+d.Name+" is not a valid dimension here.")
			return
		}
		dims = append(dims, d.Name)
	}
	if !g.spend(m[1]) {
		f.fail(w, http.StatusTooManyRequests, "Exhausted property tokens per day for a property.")
		return
	}
	type row struct {
		keys []string
		vals []float64
	}
	idx := map[string]*row{}
	f.Data.days(from, to, func(day time.Time) {
		parts := len(f.Data.Channels)
		for p := range parts {
			keys := []string{keyOf(day)}
			for _, d := range dims {
				keys = append(keys, ga4Parts(f.Data, d)[p])
			}
			k := strings.Join(keys, "|")
			rr := idx[k]
			if rr == nil {
				rr = &row{keys: keys, vals: make([]float64, len(req.Metrics))}
				idx[k] = rr
			}
			for i, x := range req.Metrics {
				rr.vals[i] += f.Data.Value(ga4Series[x.Name], day, p)
			}
		}
	})
	keys := make([]string, 0, len(idx))
	for k := range idx {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	limit, offset := atoi(req.Limit.String(), 10000), atoi(req.Offset.String(), 0)
	if g.PageRows > 0 && limit > g.PageRows {
		limit = g.PageRows
	}
	out := map[string]any{"kind": "analyticsData#runReport", "rowCount": len(keys)}
	var dh []map[string]string
	for _, d := range req.Dimensions {
		dh = append(dh, map[string]string{"name": d.Name})
	}
	var mh []map[string]string
	for _, x := range req.Metrics {
		mh = append(mh, map[string]string{"name": x.Name, "type": "TYPE_INTEGER"})
	}
	out["dimensionHeaders"], out["metricHeaders"] = dh, mh
	var rows []map[string]any
	if !fault.Loop {
		for i := offset; i < len(keys) && i < offset+limit; i++ {
			rr := idx[keys[i]]
			var dv, mv []map[string]string
			for _, k := range rr.keys {
				dv = append(dv, map[string]string{"value": k})
			}
			for _, v := range rr.vals {
				mv = append(mv, map[string]string{"value": fmt.Sprint(v)})
			}
			rows = append(rows, map[string]any{"dimensionValues": dv, "metricValues": mv})
		}
	} else {
		out["rowCount"] = offset + 1000
	}
	out["rows"] = rows
	if req.ReturnPropertyQuota {
		g.qmu.Lock()
		used := g.used[m[1]]
		g.qmu.Unlock()
		out["propertyQuota"] = map[string]any{
			"tokensPerDay":       map[string]int64{"consumed": used, "remaining": max(0, g.TokensPerDay-used)},
			"concurrentRequests": map[string]int64{"consumed": 0, "remaining": 10},
		}
	}
	writeJSON(w, out)
}

// spend takes a request's tokens from the property's quota; false when it is used up.
func (g *GA4) spend(property string) bool {
	g.qmu.Lock()
	defer g.qmu.Unlock()
	if g.used[property]+g.TokensPerRequest > g.TokensPerDay {
		return false
	}
	g.used[property] += g.TokensPerRequest
	return true
}

// ga4Parts are a dimension's value for each breakdown part of the data: part p is one
// channel, arriving from one source and medium under one campaign.
func ga4Parts(d *Data, dim string) []string {
	switch dim {
	case "sessionDefaultChannelGroup":
		return d.Channels
	case "sessionSource":
		return []string{"google", "facebook", "newsletter"}
	case "sessionMedium":
		return []string{"organic", "paid", "email"}
	case "sessionCampaignName":
		return []string{"(not set)", "Promo autunno", "Newsletter novembre"}
	}
	return nil
}
