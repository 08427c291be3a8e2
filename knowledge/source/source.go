// Package source pulls KPI aggregates from where a company's numbers live: spreadsheets and
// files over HTTPS, Google Sheets, GA4, Search Console, Google Ads, Meta Ads, HubSpot and a
// SQL database. A Source pulls the aggregates of one declared connection for a range of
// dates at a grain and says where every number came from (Provenance). Aggregates only: no
// connector asks a platform for personal records, and none is stored.
//
// Every connector is tested against a fake server on loopback that speaks the provider's
// documented wire format, and passes the conformance suite in sourcetest.
package source

import (
	"context"
	"fmt"
	"time"

	"github.com/whybot/whybot/knowledge/kpi"
)

// Request is what one pull asks for: the calendar days From to To (inclusive, in the
// source's time zone) at a grain.
type Request struct {
	From, To time.Time
	Grain    kpi.Grain
	// ETag and Modified are what the previous pull of a file saw, so that an unchanged file
	// is not read again.
	ETag, Modified string
}

// Result is what a pull returned.
type Result struct {
	Rows       []kpi.Row
	Provenance Provenance
	// Unchanged: the file has not changed since the previous pull (HTTP 304); Rows is empty
	// and the previous version stands.
	Unchanged bool
	// Requests is how many calls the pull made (quota accounting).
	Requests int
	// QuotaLow: the platform said little of its quota is left; a backfill stops after
	// this pull and resumes at the next slot.
	QuotaLow bool
}

// Provenance is where a pulled number came from.
type Provenance struct {
	Source      string    `json:"source"`   // the declared name
	Kind        string    `json:"kind"`     // ga4, search_console, …
	Endpoint    string    `json:"endpoint"` // "properties/123456:runReport"
	API         string    `json:"api"`      // "GA4 Data API v1beta"
	PulledAt    time.Time `json:"pulled_at"`
	TimeZone    string    `json:"time_zone,omitempty"`
	Currency    string    `json:"currency,omitempty"`
	Attribution string    `json:"attribution,omitempty"` // Meta's attribution setting, Ads' conversion window
	ETag        string    `json:"etag,omitempty"`
	Modified    string    `json:"modified,omitempty"`
	// Quota is what the platform said is left, where it says ("GA4 tokens today: 24,850 of 25,000").
	Quota string `json:"quota,omitempty"`
}

// Label is the provenance as a person reads it: "GA4 Data API v1beta, properties/123456, 2 dic 2026 06:00 Europe/Rome".
func (p Provenance) Label() string {
	at := p.PulledAt
	if loc, err := time.LoadLocation(p.TimeZone); err == nil && p.TimeZone != "" {
		at = at.In(loc)
	}
	s := fmt.Sprintf("%s, %s, %s", p.API, p.Endpoint, at.Format("2006-01-02 15:04 MST"))
	if p.Attribution != "" {
		s += ", " + p.Attribution
	}
	return s
}

// Source pulls one declared connection.
type Source interface {
	Pull(ctx context.Context, req Request) (Result, error)
}

// FileOf is the File a pulled row carries: "source:NAME". Answers name the source by it and
// look up its provenance.
func FileOf(name string) string { return kpi.PulledFile(name) }

// NameOf is the source a row's File names, if it is a pulled row.
func NameOf(file string) (string, bool) { return kpi.PulledFrom(file) }
