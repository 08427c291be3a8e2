package source

import (
	"errors"
	"maps"
	"net/http"
	"slices"
	"time"

	"google.golang.org/api/googleapi"

	"github.com/whybot/whybot/knowledge/kpi"
	"github.com/whybot/whybot/knowledge/limits"
	"github.com/whybot/whybot/knowledge/profile"
)

// MaxRows is the most aggregate rows one pull may bring: aggregates of two years by day
// and campaign stay far below it; past it is a misconfigured source.
const MaxRows = 200_000

// MaxPages is the most pages one report may take before the paging is taken for a loop.
const MaxPages = 500

// fields are the platform fields to pull and the metric id each becomes: the kind's
// defaults with the declaration's metrics: over them (skip leaves one out).
func fields(defaults map[string]string, s profile.Source) (names []string, to map[string]string) {
	to = maps.Clone(defaults)
	for k, v := range s.Metrics {
		to[k] = v
	}
	for k, v := range to {
		if v == "skip" || v == "" {
			delete(to, k)
		}
	}
	names = slices.Sorted(maps.Keys(to))
	return names, to
}

// PeriodOf is the period of a grain that holds the day.
func PeriodOf(g kpi.Grain, day time.Time) kpi.Period { return periodOf(g, day) }

// periodOf is the period of a grain that holds the day.
func periodOf(g kpi.Grain, day time.Time) kpi.Period {
	d := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	switch g {
	case kpi.Month:
		return kpi.Period{Grain: kpi.Month, Start: time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)}
	case kpi.Week:
		return kpi.Period{Grain: kpi.Week, Start: d.AddDate(0, 0, -(int(d.Weekday())+6)%7)}
	}
	return kpi.Period{Grain: kpi.Day, Start: d}
}

// rowSet collects a pull's rows, summing what falls in the same period, metric and
// breakdown (days into a month).
type rowSet struct {
	file string
	idx  map[rowKey]int
	rows []kpi.Row
	err  *Error
}

type rowKey struct {
	p      kpi.Period
	metric string
	dims   kpi.Dims
}

func newRowSet(s profile.Source) *rowSet {
	return &rowSet{file: FileOf(s.Name), idx: map[rowKey]int{}, err: &Error{Source: s.Name, Kind: s.Kind}}
}

// add adds a value; false once the pull has more rows than MaxRows.
func (rs *rowSet) add(p kpi.Period, metric string, d kpi.Dims, v float64) bool {
	k := rowKey{p, metric, d}
	if i, ok := rs.idx[k]; ok {
		rs.rows[i].Value += v
		return true
	}
	if len(rs.rows) >= MaxRows {
		return false
	}
	rs.idx[k] = len(rs.rows)
	rs.rows = append(rs.rows, kpi.Row{Period: p, Metric: metric, Value: v, Dims: d, File: rs.file, Line: len(rs.rows) + 1})
	return true
}

func (rs *rowSet) tooMany() error {
	e := *rs.err
	e.Reason = ReasonTooLarge
	e.Detail = "more than 200,000 aggregate rows: pull fewer breakdowns or a coarser grain"
	return &e
}

// malformed is an answer that is not what the API documents.
func (rs *rowSet) malformed(detail string) error {
	e := *rs.err
	e.Reason = ReasonMalformed
	e.Detail = limits.Cut(detail)
	return &e
}

// googleErr classifies an error of a Google API client.
func googleErr(base *Error, err error) error {
	e := *base
	if x, ok := oauthErr(&e, err); ok {
		return x
	}
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		status := ge.Code
		se := statusErr(&e, status, ge.Header, ge.Message)
		if status == http.StatusBadRequest && slices.ContainsFunc(ge.Errors, func(i googleapi.ErrorItem) bool { return i.Reason == "authError" }) {
			se.Reason = ReasonAuth
		}
		if status == http.StatusForbidden && slices.ContainsFunc(ge.Errors, func(i googleapi.ErrorItem) bool {
			return i.Reason == "quotaExceeded" || i.Reason == "rateLimitExceeded" || i.Reason == "userRateLimitExceeded"
		}) {
			se.Reason = ReasonQuota
		}
		se.Err = errors.New(ge.Message)
		return se
	}
	return transportErr(&e, err)
}

// dateStr is a day as the Google APIs write it.
func dateStr(t time.Time) string { return t.Format("2006-01-02") }
