package sourcetest

import (
	"sync"
	"time"
)

// Data is the daily numbers every fake serves: deterministic series per day and
// breakdown part, with revisions applied on top (a platform restating a recent day).
type Data struct {
	From, To  time.Time // the days the platforms hold
	Channels  []string  // GA4's session default channel groups
	Campaigns []string  // Ads and Meta campaigns
	mu        sync.Mutex
	revised   map[revKey]float64
}

type revKey struct {
	series string
	day    time.Time
	part   int
}

// NewData is two years and a month of days, 2024-11-01 to 2026-12-31.
func NewData() *Data {
	return &Data{
		From:      time.Date(2024, 11, 1, 0, 0, 0, 0, time.UTC),
		To:        time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC),
		Channels:  []string{"Organic Search", "Paid Social", "Email"},
		Campaigns: []string{"Brand", "Promo autunno"},
		revised:   map[revKey]float64{},
	}
}

// Series served by the fakes.
const (
	Sessions        = "sessions"         // GA4, per channel
	EngagedSessions = "engaged_sessions" // GA4, per channel
	KeyEvents       = "key_events"       // GA4, per channel
	SearchClicks    = "search_clicks"    // Search Console
	SearchImpr      = "search_impr"      // Search Console
	BrandedClicks   = "branded_clicks"   // Search Console, queries naming the brand
	AdsClicks       = "ads_clicks"       // Google Ads, per campaign
	AdsCostMicros   = "ads_cost_micros"  // Google Ads, per campaign
	AdsConversions  = "ads_conversions"  // Google Ads, per campaign
	MetaSpendCents  = "meta_spend_cents" // Meta, per campaign (cents)
	MetaLeads       = "meta_leads"       // Meta, per campaign
	MetaClicks      = "meta_clicks"      // Meta, per campaign
	Contacts        = "contacts"         // HubSpot, created that day
	MQL             = "mql"              // HubSpot, of those, MQL or later
	SQL             = "sql"              // HubSpot, of those, SQL or later
	FollowedUp      = "followed_up"      // HubSpot, of those, contacted within 48 hours
	Customers       = "customers"        // HubSpot, became customers that day
)

// Value is one series on one day for one breakdown part (a channel's or campaign's index).
func (d *Data) Value(series string, day time.Time, part int) float64 {
	d.mu.Lock()
	v, ok := d.revised[revKey{series, day, part}]
	d.mu.Unlock()
	if ok {
		return v
	}
	n := float64(day.YearDay()%13 + int(day.Month()))
	p := float64(part)
	switch series {
	case Sessions:
		return 80 + 10*p + n
	case EngagedSessions:
		return 50 + 5*p + float64(day.YearDay()%7)
	case KeyEvents:
		return float64(2 + (day.YearDay()+part)%5)
	case SearchClicks:
		return 40 + float64(day.YearDay()%11)
	case SearchImpr:
		return 900 + float64(day.YearDay()%50)
	case BrandedClicks:
		return 10 + float64(day.YearDay()%4)
	case AdsClicks:
		return 30 + 5*p + float64(day.Weekday())
	case AdsCostMicros:
		return (30 + 5*p + float64(day.Weekday())) * 850_000
	case AdsConversions:
		return float64(1 + (day.YearDay()+part)%3)
	case MetaSpendCents:
		return 2500 + 300*p + float64(day.YearDay()%9)*10
	case MetaLeads:
		return float64(1 + (day.YearDay()+2*part)%4)
	case MetaClicks:
		return 60 + 4*p + float64(day.YearDay()%6)
	case Contacts:
		return float64(5 + day.YearDay()%4)
	case MQL:
		return float64(2 + day.YearDay()%3)
	case SQL:
		return float64(1 + day.YearDay()%2)
	case FollowedUp:
		return float64(3 + day.YearDay()%2)
	case Customers:
		if day.YearDay()%6 == 0 {
			return 1
		}
		return 0
	}
	return 0
}

// Revise restates one day's value (a platform's late conversions).
func (d *Data) Revise(series string, day time.Time, part int, v float64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.revised[revKey{series, day, part}] = v
}

// Sum is a series summed over the days from to to (inclusive) that the platform holds,
// for one part, or every part when part < 0 (parts: how many there are).
func (d *Data) Sum(series string, from, to time.Time, part, parts int) float64 {
	total := 0.0
	for day := from; !day.After(to); day = day.AddDate(0, 0, 1) {
		if day.Before(d.From) || day.After(d.To) {
			continue
		}
		if part >= 0 {
			total += d.Value(series, day, part)
			continue
		}
		for p := range parts {
			total += d.Value(series, day, p)
		}
	}
	return total
}

// days calls fn for each day from..to the platform holds.
func (d *Data) days(from, to time.Time, fn func(day time.Time)) {
	for day := from; !day.After(to); day = day.AddDate(0, 0, 1) {
		if !day.Before(d.From) && !day.After(d.To) {
			fn(day)
		}
	}
}
