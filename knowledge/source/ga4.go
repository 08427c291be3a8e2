package source

import (
	"context"
	"fmt"
	"strconv"
	"time"

	analyticsdata "google.golang.org/api/analyticsdata/v1beta"
	"google.golang.org/api/option"

	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/profile"
)

// GA4's metrics pulled unless the declaration says otherwise, and the metric each becomes.
var ga4Metrics = map[string]string{
	"sessions":        "sessions",
	"engagedSessions": "engaged_sessions",
	"keyEvents":       "conversions",
}

// GA4's dimensions for each breakdown and grain.
var (
	ga4Dims   = map[string]string{"channel": "sessionDefaultChannelGroup", "source": "sessionSource", "medium": "sessionMedium", "campaign": "sessionCampaignName"}
	ga4Grains = map[kpi.Grain]string{kpi.Month: "yearMonth", kpi.Week: "isoYearIsoWeek", kpi.Day: "date"}
)

const ga4PageRows = 10_000

type ga4 struct {
	decl profile.Source
	env  Env
	cred Credential
}

func (g *ga4) Pull(ctx context.Context, req Request) (Result, error) {
	res := Result{}
	rs := newRowSet(g.decl)
	hc, err := g.env.googleClient(ctx, g.decl, g.cred, &res.Requests, analyticsdata.AnalyticsReadonlyScope)
	if err != nil {
		return res, err
	}
	svc, err := analyticsdata.NewService(ctx, option.WithHTTPClient(hc), option.WithEndpoint(g.env.endpoint("ga4", "https://analyticsdata.googleapis.com/")))
	if err != nil {
		return res, fmt.Errorf("GA4 client: %w", err)
	}
	names, to := fields(ga4Metrics, g.decl)
	dims := []*analyticsdata.Dimension{{Name: ga4Grains[req.Grain]}}
	for _, b := range g.decl.By {
		dims = append(dims, &analyticsdata.Dimension{Name: ga4Dims[b]})
	}
	ms := make([]*analyticsdata.Metric, len(names))
	for i, n := range names {
		ms[i] = &analyticsdata.Metric{Name: n}
	}
	property := "properties/" + g.decl.Property
	quota := ""
	for offset, page := int64(0), 0; ; page++ {
		if page >= MaxPages {
			return res, &Error{Source: g.decl.Name, Kind: g.decl.Kind, Reason: ReasonLoop, Detail: fmt.Sprintf("more than %d pages", MaxPages)}
		}
		body := &analyticsdata.RunReportRequest{
			DateRanges:          []*analyticsdata.DateRange{{StartDate: dateStr(req.From), EndDate: dateStr(req.To)}},
			Dimensions:          dims,
			Metrics:             ms,
			Limit:               ga4PageRows,
			Offset:              offset,
			ReturnPropertyQuota: true,
		}
		rep, err := svc.Properties.RunReport(property, body).Context(ctx).Do()
		if err != nil {
			return res, googleErr(rs.err, err)
		}
		if q := rep.PropertyQuota; q != nil && q.TokensPerDay != nil {
			quota = fmt.Sprintf("GA4 tokens today: %d used, %d left", q.TokensPerDay.Consumed, q.TokensPerDay.Remaining)
			res.QuotaLow = res.QuotaLow || ga4Low(q.TokensPerDay) || ga4Low(q.TokensPerHour) || ga4Low(q.TokensPerProjectPerHour)
		}
		if len(rep.MetricHeaders) != len(names) {
			return res, rs.malformed(fmt.Sprintf("%d metric columns for the %d asked", len(rep.MetricHeaders), len(names)))
		}
		for _, r := range rep.Rows {
			if err := g.addRow(rs, req.Grain, r, rep.MetricHeaders, to); err != nil {
				return res, err
			}
		}
		offset += int64(len(rep.Rows))
		if offset >= rep.RowCount {
			break
		}
		if len(rep.Rows) == 0 {
			return res, &Error{Source: g.decl.Name, Kind: g.decl.Kind, Reason: ReasonLoop, Detail: fmt.Sprintf("an empty page at row %d of %d", offset, rep.RowCount)}
		}
	}
	res.Rows = rs.rows
	res.Provenance = Provenance{Source: g.decl.Name, Kind: "ga4", Endpoint: property + ":runReport", API: "GA4 Data API v1beta",
		PulledAt: g.env.Now().UTC(), TimeZone: g.decl.TimeZone, Quota: quota}
	return res, nil
}

func (g *ga4) addRow(rs *rowSet, grain kpi.Grain, r *analyticsdata.Row, headers []*analyticsdata.MetricHeader, to map[string]string) error {
	if len(r.DimensionValues) != 1+len(g.decl.By) || len(r.MetricValues) != len(headers) {
		return rs.malformed(fmt.Sprintf("a row with %d dimensions and %d metrics", len(r.DimensionValues), len(r.MetricValues)))
	}
	p, err := ga4Period(grain, r.DimensionValues[0].Value)
	if err != nil {
		return rs.malformed(err.Error())
	}
	var d kpi.Dims
	for i, b := range g.decl.By {
		setDim(&d, b, r.DimensionValues[i+1].Value)
	}
	for i, h := range headers {
		id, ok := to[h.Name]
		if !ok {
			return rs.malformed(fmt.Sprintf("metric %q was not asked for", h.Name))
		}
		v, err := strconv.ParseFloat(r.MetricValues[i].Value, 64)
		if err != nil {
			return rs.malformed(fmt.Sprintf("%s = %q is not a number", h.Name, r.MetricValues[i].Value))
		}
		if !rs.add(p, id, d, v) {
			return rs.tooMany()
		}
	}
	return nil
}

// ga4Period reads GA4's yearMonth (202601), isoYearIsoWeek (202603) or date (20260115).
func ga4Period(g kpi.Grain, v string) (kpi.Period, error) {
	switch g {
	case kpi.Month:
		t, err := time.Parse("200601", v)
		if err != nil {
			return kpi.Period{}, fmt.Errorf("yearMonth %q is not YYYYMM", v)
		}
		return kpi.Period{Grain: kpi.Month, Start: t}, nil
	case kpi.Week:
		if len(v) != 6 {
			return kpi.Period{}, fmt.Errorf("isoYearIsoWeek %q is not YYYYWW", v)
		}
		return kpi.ParsePeriod(v[:4] + "-W" + v[4:])
	}
	t, err := time.Parse("20060102", v)
	if err != nil {
		return kpi.Period{}, fmt.Errorf("date %q is not YYYYMMDD", v)
	}
	return kpi.Period{Grain: kpi.Day, Start: t}, nil
}

// setDim sets one breakdown; an empty value is GA4's "(not set)".
func setDim(d *kpi.Dims, name, v string) {
	if v == "" {
		v = "(not set)"
	}
	d.Set(name, v)
}

// ga4Low: under 2% of a token quota is left, or under 100 tokens (about ten reports):
// GA4 answers 429 once it is gone.
func ga4Low(q *analyticsdata.QuotaStatus) bool {
	return q != nil && q.Consumed+q.Remaining > 0 && (q.Remaining*50 < q.Consumed+q.Remaining || q.Remaining < 100)
}
