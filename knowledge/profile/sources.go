package profile

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/whybot/whybot/knowledge/metric"
)

// Source is a place whybot pulls KPI aggregates from (sources: in company.yaml): what to
// pull, how its fields map to metric ids, when (a cron schedule in a time zone) and for
// which metrics it is the truth.
type Source struct {
	Name string `yaml:"name" json:"name"`
	// Kind is one of SourceKinds.
	Kind string `yaml:"kind" json:"kind"`

	URL         string `yaml:"url" json:"url,omitempty"`                 // https: a CSV, JSON or .xlsx file (a Google Sheets "publish to web" link)
	Spreadsheet string `yaml:"spreadsheet" json:"spreadsheet,omitempty"` // sheets: the spreadsheet id
	Range       string `yaml:"range" json:"range,omitempty"`             // sheets: A1 range, default the first sheet
	Property    string `yaml:"property" json:"property,omitempty"`       // ga4: the numeric property id
	Site        string `yaml:"site" json:"site,omitempty"`               // search_console: https://example.com/ or sc-domain:example.com
	Customer    string `yaml:"customer" json:"customer,omitempty"`       // google_ads: customer id, digits
	Manager     string `yaml:"manager" json:"manager,omitempty"`         // google_ads: the manager (MCC) id sent as login-customer-id
	Account     string `yaml:"account" json:"account,omitempty"`         // meta_ads: the ad account id (act_…)
	Query       string `yaml:"query" json:"query,omitempty"`             // sql: a totals query returning period, metric, value[, breakdowns]
	// Metrics maps the platform's field names to metric ids, over the kind's defaults
	// (keyEvents: leads); a field mapped to skip is not pulled.
	Metrics map[string]string `yaml:"metrics" json:"metrics,omitempty"`
	// By are the breakdowns to pull: channel, source, medium, campaign.
	By []string `yaml:"by" json:"by,omitempty"`
	// Grain is month (default), week or day.
	Grain    string `yaml:"grain" json:"grain,omitempty"`
	Schedule string `yaml:"schedule" json:"schedule,omitempty"` // cron: "0 6 * * *" (default: every day at 06:00)
	TimeZone string `yaml:"timezone" json:"timezone,omitempty"` // IANA zone, default Europe/Rome for Italian companies, else UTC
	// Truth are the metrics this source is the truth for: where two places give the same
	// metric, the truth's numbers are used and the others' are left out, never summed.
	Truth []string `yaml:"truth" json:"truth,omitempty"`
	// WindowDays is how many recent days every pull reads again (platforms revise them);
	// 0 takes the kind's (GA4 3, Meta 28, Google Ads 14).
	WindowDays int `yaml:"window_days" json:"window_days,omitempty"`
	// BackfillMonths is how far back the first pull goes (default 24).
	BackfillMonths int    `yaml:"backfill_months" json:"backfill_months,omitempty"`
	APIVersion     string `yaml:"api_version" json:"api_version,omitempty"` // google_ads v22, meta_ads v23.0
	// Attribution is Meta's attribution windows (7d_click, 1d_view), recorded with the numbers.
	Attribution []string `yaml:"attribution" json:"attribution,omitempty"`
	// FollowUpHours is how soon after creation a HubSpot contact must have a logged sales
	// activity to count as followed up (default 48).
	FollowUpHours int `yaml:"follow_up_hours" json:"follow_up_hours,omitempty"`
	// Locale, Preset, Columns and Sheet read an https file like a data: entry.
	Locale  string            `yaml:"locale" json:"locale,omitempty"`
	Preset  string            `yaml:"preset" json:"preset,omitempty"`
	Columns map[string]string `yaml:"columns" json:"columns,omitempty"`
	Sheet   string            `yaml:"sheet" json:"sheet,omitempty"`
	Line    int               `yaml:"-" json:"line,omitempty"`
}

// SourceKinds are the places whybot pulls from, with the field each needs.
var SourceKinds = map[string]string{
	"https":          "url",
	"sheets":         "spreadsheet",
	"ga4":            "property",
	"search_console": "site",
	"google_ads":     "customer",
	"meta_ads":       "account",
	"hubspot":        "",
	"sql":            "query",
}

// SourceKindNames lists SourceKinds in a stable order.
var SourceKindNames = []string{"https", "sheets", "ga4", "search_console", "google_ads", "meta_ads", "hubspot", "sql"}

// kindList is SourceKindNames as an error lists them (a constant part of the message, never cut).
var kindList = strings.Join(SourceKindNames, ", ")

// DefaultWindowDays are the days each platform revises after the fact.
var DefaultWindowDays = map[string]int{"ga4": 3, "search_console": 3, "google_ads": 14, "meta_ads": 28, "hubspot": 7}

// Window is the days every pull reads again.
func (s Source) Window() int {
	if s.WindowDays > 0 {
		return s.WindowDays
	}
	return DefaultWindowDays[s.Kind]
}

// Backfill is how many months the first pull reads.
func (s Source) Backfill() int {
	if s.BackfillMonths > 0 {
		return s.BackfillMonths
	}
	return 24
}

// Cron is the source's schedule, parsed, in its time zone.
func (s Source) Cron() (cron.Schedule, error) {
	spec := s.Schedule
	if spec == "" {
		spec = "0 6 * * *"
	}
	return cron.ParseStandard("CRON_TZ=" + s.TimeZone + " " + spec)
}

// Location is the source's time zone.
func (s Source) Location() *time.Location {
	if loc, err := time.LoadLocation(s.TimeZone); err == nil {
		return loc
	}
	return time.UTC
}

// SourceByName is the declared source named name.
func (p *Profile) SourceByName(name string) (Source, bool) {
	for _, s := range p.Sources {
		if s.Name == name {
			return s, true
		}
	}
	return Source{}, false
}

// TruthOf is the source declared the truth for a metric, if any.
func (p *Profile) TruthOf(metricID string) (string, bool) {
	for _, s := range p.Sources {
		if slices.Contains(s.Truth, metricID) {
			return s.Name, true
		}
	}
	return "", false
}

var (
	digitsRe = regexp.MustCompile(`^[0-9]{1,20}$`)
	actRe    = regexp.MustCompile(`^act_[0-9]{1,20}$`)
)

var sourceDims = []string{"channel", "source", "medium", "campaign"}

// normalizeSources checks every declared source and fills its defaults.
func (p *Profile) normalizeSources(e *Error, res *metric.Resolver) {
	f := p.File
	names := map[string]bool{}
	truth := map[string]string{}
	for i := range p.Sources {
		s := &p.Sources[i]
		field := fmt.Sprintf("sources[%d]", i)
		switch {
		case s.Name == "":
			e.add(f, s.Line, field+".name", "missing: give the source a short name such as ga4 or crm")
		case !idRe.MatchString(s.Name):
			e.add(f, s.Line, field+".name", "%q must be lower case letters, digits and _", s.Name)
		case names[s.Name]:
			e.add(f, s.Line, field+".name", "%q is already the name of another source", s.Name)
		default:
			field = fmt.Sprintf("sources[%s]", s.Name)
		}
		names[s.Name] = true
		need, ok := SourceKinds[s.Kind]
		if !ok {
			if s.Kind == "" {
				e.add(f, s.Line, field+".kind", "missing: say what to pull from: "+kindList+"%s", "")
			} else {
				e.add(f, s.Line, field+".kind", "%q is not a kind of source whybot pulls%s: use one of "+kindList, s.Kind, metric.SuggestFrom(s.Kind, SourceKindNames))
			}
			continue
		}
		if need != "" && strings.TrimSpace(s.field(need)) == "" {
			e.add(f, s.Line, field+"."+need, "missing: a %s source needs its %s", s.Kind, need)
		}
		s.checkIDs(e, f, field)
		if s.Grain == "" {
			s.Grain = "month"
		}
		if s.Grain != "month" && s.Grain != "week" && s.Grain != "day" {
			e.add(f, s.Line, field+".grain", "%q is not a grain: use month, week or day", s.Grain)
		}
		if s.TimeZone == "" {
			s.TimeZone = "UTC"
			if p.Language == "it" {
				s.TimeZone = "Europe/Rome"
			}
		}
		if _, err := time.LoadLocation(s.TimeZone); err != nil {
			e.add(f, s.Line, field+".timezone", "%q is not a time zone: use an IANA name such as Europe/Rome", s.TimeZone)
		} else if _, err := s.Cron(); err != nil {
			e.add(f, s.Line, field+".schedule", "%q is not a cron schedule (minute hour day month weekday, e.g. \"0 6 * * *\"): %v", s.Schedule, err)
		}
		for _, d := range s.By {
			if !slices.Contains(sourceDims, d) {
				e.add(f, s.Line, field+".by", "%q is not a breakdown: use %s", d, strings.Join(sourceDims, ", "))
			}
		}
		for k, v := range s.Metrics {
			if v == "skip" {
				continue
			}
			id, _ := res.Resolve(v)
			if !res.Catalogue().Known(id) {
				e.add(f, s.Line, field+".metrics."+k, "unknown metric %q%s: map the field to a metric id (whybot metrics lists them) or to skip", v, res.Catalogue().Suggest(v))
				continue
			}
			s.Metrics[k] = id
		}
		for j, m := range s.Truth {
			id, _ := res.Resolve(m)
			s.Truth[j] = id
			if prev, dup := truth[id]; dup && prev != s.Name {
				e.add(f, s.Line, field+".truth", "%s is already the truth of source %s: one source is the truth for a metric", id, prev)
			}
			truth[id] = s.Name
		}
		if s.WindowDays < 0 || s.WindowDays > 90 {
			e.add(f, s.Line, field+".window_days", "%d: use 0 (the platform's own) to 90 days", s.WindowDays)
		}
		if s.BackfillMonths < 0 || s.BackfillMonths > 60 {
			e.add(f, s.Line, field+".backfill_months", "%d: use 1 to 60 months", s.BackfillMonths)
		}
	}
}

func (s *Source) field(name string) string {
	switch name {
	case "url":
		return s.URL
	case "spreadsheet":
		return s.Spreadsheet
	case "property":
		return s.Property
	case "site":
		return s.Site
	case "customer":
		return s.Customer
	case "account":
		return s.Account
	case "query":
		return s.Query
	}
	return ""
}

// checkIDs checks the account ids by the form each platform gives them.
func (s *Source) checkIDs(e *Error, f, field string) {
	switch s.Kind {
	case "https":
		if u, err := url.Parse(s.URL); s.URL != "" && (err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "") {
			e.add(f, s.Line, field+".url", "%q is not a web address: use the https:// link of the file (File → Share → Publish to web → CSV for a Google Sheet)", s.URL)
		}
	case "ga4":
		s.Property = strings.TrimPrefix(s.Property, "properties/")
		if s.Property != "" && !digitsRe.MatchString(s.Property) {
			e.add(f, s.Line, field+".property", "%q is not a GA4 property id: it is the number under Admin → Property details (not the G-… measurement id)", s.Property)
		}
	case "google_ads":
		s.Customer = strings.ReplaceAll(s.Customer, "-", "")
		s.Manager = strings.ReplaceAll(s.Manager, "-", "")
		for _, v := range []struct{ name, id string }{{"customer", s.Customer}, {"manager", s.Manager}} {
			if v.id != "" && !digitsRe.MatchString(v.id) {
				e.add(f, s.Line, field+"."+v.name, "%q is not a Google Ads customer id: ten digits, as 123-456-7890 at the top of Google Ads", v.id)
			}
		}
	case "meta_ads":
		if s.Account != "" && !strings.HasPrefix(s.Account, "act_") {
			s.Account = "act_" + s.Account
		}
		if s.Account != "" && !actRe.MatchString(s.Account) {
			e.add(f, s.Line, field+".account", "%q is not a Meta ad account id: the number in Ads Manager's account menu (act_123…)", s.Account)
		}
	case "search_console":
		if s.Site != "" && !strings.HasPrefix(s.Site, "sc-domain:") && !strings.HasPrefix(s.Site, "https://") && !strings.HasPrefix(s.Site, "http://") {
			e.add(f, s.Line, field+".site", "%q is not a Search Console property: write https://example.com/ (URL prefix) or sc-domain:example.com (domain)", s.Site)
		}
	}
}
