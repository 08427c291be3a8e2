package sourcetest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// Ads is a fake Google Ads API (REST googleAds:searchStream): a GAQL query over the
// campaign or customer resource by month, week or day, with the developer token and the
// manager's login-customer-id checked.
type Ads struct {
	*Fake
	Customer, Manager, DeveloperToken string
	Versions                          []string // served; any other is a 404 page
}

var adsPath = regexp.MustCompile(`^/(v[0-9]+)/customers/([0-9]+)/googleAds:searchStream$`)

// NewAds starts a fake Google Ads API for one customer under a manager.
func NewAds(t testing.TB, data *Data, customer, manager, devToken string) *Ads {
	a := &Ads{Customer: customer, Manager: manager, DeveloperToken: devToken, Versions: []string{"v21", "v22"}}
	a.Fake = newFake(t, data, a.handle, adsError)
	return a
}

func adsError(status int, msg string) string {
	st := map[int]string{400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}[status]
	code := map[int]map[string]string{401: {"authenticationError": "OAUTH_TOKEN_INVALID"}, 403: {"authorizationError": "USER_PERMISSION_DENIED"},
		429: {"quotaError": "RESOURCE_EXHAUSTED"}, 400: {"queryError": "BAD_VALUE"}}[status]
	errs := map[string]any{"errorCode": code, "message": msg}
	if status == 429 {
		errs["details"] = map[string]any{"quotaErrorDetails": map[string]any{"rateScope": "DEVELOPER", "rateName": "Number of operations for basic access", "retryDelay": "3600s"}}
	}
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"code": status, "message": "The caller does not have permission", "status": st,
		"details": []any{map[string]any{"@type": "type.googleapis.com/google.ads.googleads.v22.errors.GoogleAdsFailure", "errors": []any{errs}, "requestId": "fake"}}}})
	return string(b)
}

var gaql = regexp.MustCompile(`^SELECT (.+) FROM (campaign|customer) WHERE segments\.date BETWEEN '(\d{4}-\d{2}-\d{2})' AND '(\d{4}-\d{2}-\d{2})'$`)

var adsSeries = map[string]string{"metrics.clicks": AdsClicks, "metrics.cost_micros": AdsCostMicros, "metrics.conversions": AdsConversions, "metrics.impressions": AdsClicks}

func (a *Ads) handle(f *Fake, w http.ResponseWriter, r *http.Request, body []byte, fault Fault) {
	m := adsPath.FindStringSubmatch(r.URL.Path)
	if r.Method != http.MethodPost || m == nil || !slices.Contains(a.Versions, m[1]) {
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, "<!DOCTYPE html><html lang=en><title>Error 404 (Not Found)!!1</title><p>The requested URL was not found on this server.</p>")
		return
	}
	if !f.authorized(w, r) {
		return
	}
	if r.Header.Get("developer-token") != a.DeveloperToken {
		f.fail(w, 401, "The developer token is not valid.")
		return
	}
	if m[2] != a.Customer || (a.Manager != "" && r.Header.Get("login-customer-id") != a.Manager) {
		f.fail(w, 403, "User doesn't have permission to access customer. Note: If you're accessing a client customer, the manager's customer id must be set in the 'login-customer-id' header.")
		return
	}
	var req struct {
		Query string `json:"query"`
	}
	if json.Unmarshal(body, &req) != nil {
		f.fail(w, 400, "Invalid JSON payload received.")
		return
	}
	q := gaql.FindStringSubmatch(req.Query)
	if q == nil {
		f.fail(w, 400, "Error in query: unexpected input "+req.Query)
		return
	}
	sel := strings.Split(q[1], ", ")
	from, _ := time.Parse("2006-01-02", q[3])
	to, _ := time.Parse("2006-01-02", q[4])
	byCampaign := slices.Contains(sel, "campaign.name")
	if byCampaign && q[2] != "campaign" {
		f.fail(w, 400, "Error in query: campaign.name cannot be selected FROM customer")
		return
	}
	seg := ""
	for _, s := range sel {
		switch {
		case s == "segments.month" || s == "segments.week" || s == "segments.date":
			seg = s
		case s == "customer.currency_code" || s == "customer.time_zone" || s == "campaign.name":
		case adsSeries[s] != "":
		default:
			f.fail(w, 400, "Error in SELECT clause: invalid field name '"+s+"'")
			return
		}
	}
	segOf := map[string]func(time.Time) string{
		"segments.month": func(d time.Time) string { return d.Format("2006-01") + "-01" },
		"segments.week":  func(d time.Time) string { return d.AddDate(0, 0, -(int(d.Weekday())+6)%7).Format("2006-01-02") },
		"segments.date":  func(d time.Time) string { return d.Format("2006-01-02") },
	}[seg]
	if segOf == nil {
		f.fail(w, 400, "Error in query: a date segment is needed")
		return
	}
	type key struct {
		seg  string
		part int
	}
	sums := map[key]map[string]float64{}
	f.Data.days(from, to, func(day time.Time) {
		for p := range f.Data.Campaigns {
			k := key{segOf(day), p}
			if !byCampaign {
				k.part = -1
			}
			if sums[k] == nil {
				sums[k] = map[string]float64{}
			}
			for _, s := range sel {
				if series := adsSeries[s]; series != "" {
					v := f.Data.Value(series, day, p)
					if s == "metrics.impressions" {
						v *= 20
					}
					sums[k][s] += v
				}
			}
		}
	})
	keys := make([]key, 0, len(sums))
	for k := range sums {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].seg != keys[j].seg {
			return keys[i].seg < keys[j].seg
		}
		return keys[i].part < keys[j].part
	})
	var results []any
	for _, k := range keys {
		metrics := map[string]any{}
		for s, v := range sums[k] {
			name := camelCase(strings.TrimPrefix(s, "metrics."))
			if s == "metrics.conversions" {
				metrics[name] = v // a double
			} else {
				metrics[name] = fmt.Sprintf("%d", int64(v)) // int64 as a string
			}
		}
		res := map[string]any{"customer": map[string]any{"resourceName": "customers/" + a.Customer, "currencyCode": "EUR", "timeZone": "Europe/Rome"},
			"segments": map[string]any{strings.TrimPrefix(seg, "segments."): k.seg}, "metrics": metrics}
		if byCampaign {
			res["campaign"] = map[string]any{"resourceName": fmt.Sprintf("customers/%s/campaigns/%d", a.Customer, 1000+k.part), "name": f.Data.Campaigns[k.part]}
		}
		results = append(results, res)
	}
	writeJSON(w, []any{map[string]any{"results": results, "fieldMask": strings.Join(sel, ","), "requestId": "fake-request"}})
}

func camelCase(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
	}
	return strings.Join(parts, "")
}
