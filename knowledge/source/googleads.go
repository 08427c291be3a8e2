package source

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/profile"
)

// Google Ads through its REST interface (GAQL searchStream), by hand: the official client
// is gRPC only and the unofficial protobuf package alone makes a 34 MB binary.
var adsMetrics = map[string]string{
	"cost_micros": "ad_spend",
	"clicks":      "clicks",
	"impressions": "impressions",
	"conversions": "conversions",
}

const adsVersion = "v22"

var adsSegment = map[kpi.Grain]string{kpi.Month: "segments.month", kpi.Week: "segments.week", kpi.Day: "segments.date"}

type googleAds struct {
	decl profile.Source
	env  Env
	cred Credential
}

// adsRow is one row of a searchStream batch, with the fields the query selects.
type adsRow struct {
	Customer struct {
		CurrencyCode string `json:"currencyCode"`
		TimeZone     string `json:"timeZone"`
	} `json:"customer"`
	Campaign struct {
		Name string `json:"name"`
	} `json:"campaign"`
	Segments struct {
		Month string `json:"month"`
		Week  string `json:"week"`
		Date  string `json:"date"`
	} `json:"segments"`
	Metrics map[string]json.RawMessage `json:"metrics"`
}

type adsBatch struct {
	Results []adsRow `json:"results"`
}

func (g *googleAds) Pull(ctx context.Context, req Request) (Result, error) {
	res := Result{}
	rs := newRowSet(g.decl)
	if g.cred.DeveloperToken == "" {
		g.cred.DeveloperToken = g.env.AdsDeveloperToken
	}
	if g.cred.DeveloperToken == "" {
		return res, &Error{Source: g.decl.Name, Kind: g.decl.Kind, Reason: ReasonConfig, Detail: "no developer token (Google Ads → Tools → API Center): set WHYBOT_GOOGLE_ADS_DEVELOPER_TOKEN"}
	}
	hc, err := g.env.googleClient(ctx, g.decl, g.cred, &res.Requests, "https://www.googleapis.com/auth/adwords")
	if err != nil {
		return res, err
	}
	version := g.decl.APIVersion
	if version == "" {
		version = adsVersion
	}
	names, to := fields(adsMetrics, g.decl)
	query := g.query(req, names)
	header := http.Header{"Developer-Token": {g.cred.DeveloperToken}}
	if g.decl.Manager != "" {
		header.Set("Login-Customer-Id", g.decl.Manager)
	}
	url := g.env.endpoint("google_ads", "https://googleads.googleapis.com/") + version + "/customers/" + g.decl.Customer + "/googleAds:searchStream"
	var batches []adsBatch
	if _, err := call(ctx, hc, http.MethodPost, url, header, map[string]string{"query": query}, &batches, rs.err, adsErr); err != nil {
		return res, err
	}
	currency, tz := "", ""
	for _, b := range batches {
		for _, r := range b.Results {
			if err := g.addRow(rs, req.Grain, r, to); err != nil {
				return res, err
			}
			currency, tz = r.Customer.CurrencyCode, r.Customer.TimeZone
		}
	}
	res.Rows = rs.rows
	res.Provenance = Provenance{Source: g.decl.Name, Kind: "google_ads", Endpoint: "customers/" + g.decl.Customer + "/googleAds:searchStream", API: "Google Ads API " + version,
		PulledAt: g.env.Now().UTC(), TimeZone: tz, Currency: currency, Attribution: "conversions by each conversion action's own window"}
	return res, nil
}

var gaqlField = regexp.MustCompile(`^[a-z_]+$`)

// query is the GAQL: the metrics by the grain's segment (and campaign), in the range.
func (g *googleAds) query(req Request, names []string) string {
	sel := []string{"customer.currency_code", "customer.time_zone", adsSegment[req.Grain]}
	from := "customer"
	if slices.Contains(g.decl.By, "campaign") {
		sel = append(sel, "campaign.name")
		from = "campaign"
	}
	for _, n := range names {
		if gaqlField.MatchString(n) { // a metric name from company.yaml never writes GAQL
			sel = append(sel, "metrics."+n)
		}
	}
	return fmt.Sprintf("SELECT %s FROM %s WHERE segments.date BETWEEN '%s' AND '%s'", strings.Join(sel, ", "), from, dateStr(req.From), dateStr(req.To))
}

func (g *googleAds) addRow(rs *rowSet, grain kpi.Grain, r adsRow, to map[string]string) error {
	day := map[kpi.Grain]string{kpi.Month: r.Segments.Month, kpi.Week: r.Segments.Week, kpi.Day: r.Segments.Date}[grain]
	t, err := time.Parse("2006-01-02", day)
	if err != nil {
		return rs.malformed(fmt.Sprintf("segment %q is not a date", day))
	}
	p := periodOf(grain, t)
	var d kpi.Dims
	if slices.Contains(g.decl.By, "campaign") {
		setDim(&d, "campaign", r.Campaign.Name)
	}
	for field, id := range to {
		raw, ok := r.Metrics[camel(field)]
		if !ok {
			continue // searchStream leaves out a zero
		}
		var v float64
		var s string
		if json.Unmarshal(raw, &s) == nil { // int64 metrics come as strings
			if v, err = strconv.ParseFloat(s, 64); err != nil {
				return rs.malformed(fmt.Sprintf("%s = %q is not a number", field, s))
			}
		} else if json.Unmarshal(raw, &v) != nil {
			return rs.malformed(fmt.Sprintf("%s is not a number", field))
		}
		if strings.HasSuffix(field, "_micros") {
			v /= 1e6
		}
		if !rs.add(p, id, d, v) {
			return rs.tooMany()
		}
	}
	return nil
}

// camel is a GAQL field as the REST JSON names it: cost_micros → costMicros.
func camel(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// adsErr reads Google Ads' error: a google.rpc.Status with GoogleAdsFailure details.
func adsErr(e *Error, status int, h http.Header, b []byte) *Error {
	var body struct {
		Error struct {
			Message string `json:"message"`
			Status  string `json:"status"`
			Details []struct {
				Errors []struct {
					ErrorCode map[string]string `json:"errorCode"`
					Message   string            `json:"message"`
					Details   struct {
						QuotaErrorDetails struct {
							RetryDelay string `json:"retryDelay"`
						} `json:"quotaErrorDetails"`
					} `json:"details"`
				} `json:"errors"`
			} `json:"details"`
		} `json:"error"`
	}
	if json.Unmarshal(b, &body) != nil && status == http.StatusNotFound {
		// an HTML 404 for the whole path: a version that no longer exists
		e.Status, e.Reason, e.Detail = status, ReasonVersion, "the API version is not served"
		return e
	}
	msg := body.Error.Message
	for _, d := range body.Error.Details {
		for _, x := range d.Errors {
			if x.Message != "" {
				msg = x.Message
			}
			if x.Details.QuotaErrorDetails.RetryDelay != "" {
				if wait, err := time.ParseDuration(x.Details.QuotaErrorDetails.RetryDelay); err == nil {
					e.RetryAfter = wait
				}
			}
			for k := range x.ErrorCode {
				if k == "authenticationError" || k == "authorizationError" {
					e.Reason = ReasonAuth
				}
			}
		}
	}
	wait := e.RetryAfter
	auth := e.Reason == ReasonAuth
	statusErr(e, status, h, msg)
	if wait > 0 {
		e.RetryAfter = wait
	}
	switch {
	case auth || body.Error.Status == "UNAUTHENTICATED" || body.Error.Status == "PERMISSION_DENIED":
		e.Reason = ReasonAuth
	case body.Error.Status == "RESOURCE_EXHAUSTED":
		e.Reason = ReasonQuota
	case body.Error.Status == "UNIMPLEMENTED" || status == http.StatusNotFound && strings.Contains(strings.ToLower(msg), "version"):
		e.Reason = ReasonVersion
	}
	return e
}
