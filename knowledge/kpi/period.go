package kpi

import (
	"fmt"

	"github.com/whybot/whybot/knowledge/limits"
	"strconv"
	"strings"
	"time"
)

// Grain is the length of a period.
type Grain string

// Period grains, by label format.
const (
	Month Grain = "month" // YYYY-MM
	Week  Grain = "week"  // YYYY-Www (ISO week)
	Day   Grain = "day"   // YYYY-MM-DD
)

// Period is one reporting period.
type Period struct {
	Grain Grain
	Start time.Time // UTC midnight of the first day
}

// ParsePeriod reads "2025-10", "2025-W07" or "2025-10-03".
func ParsePeriod(s string) (Period, error) {
	s = strings.TrimSpace(s)
	switch {
	case len(s) == 7 && s[4] == '-':
		t, err := time.Parse("2006-01", s)
		if err != nil {
			break
		}
		return Period{Grain: Month, Start: t}, nil
	case len(s) == 8 && s[4] == '-' && (s[5] == 'W' || s[5] == 'w'):
		y, err1 := strconv.Atoi(s[:4])
		w, err2 := strconv.Atoi(s[6:])
		if err1 != nil || err2 != nil || w < 1 || w > 53 {
			break
		}
		start := isoWeekStart(y, w)
		if yy, ww := start.ISOWeek(); yy != y || ww != w {
			break // week 53 in a year that has 52
		}
		return Period{Grain: Week, Start: start}, nil
	case len(s) == 10:
		t, err := time.Parse("2006-01-02", s)
		if err != nil {
			break
		}
		return Period{Grain: Day, Start: t}, nil
	}
	return Period{}, fmt.Errorf("period %s is not YYYY-MM, YYYY-Www or YYYY-MM-DD", limits.Quote(s))
}

func isoWeekStart(year, week int) time.Time {
	// 4 January is always in week 1.
	jan4 := time.Date(year, 1, 4, 0, 0, 0, 0, time.UTC)
	offset := int(jan4.Weekday()+6) % 7 // days since Monday
	return jan4.AddDate(0, 0, -offset+7*(week-1))
}

// String is the period's label in the format it was read in.
func (p Period) String() string {
	switch p.Grain {
	case Month:
		return p.Start.Format("2006-01")
	case Week:
		y, w := p.Start.ISOWeek()
		return fmt.Sprintf("%04d-W%02d", y, w)
	case Day:
		return p.Start.Format("2006-01-02")
	}
	return ""
}

// Next is the period that follows p.
func (p Period) Next() Period {
	switch p.Grain {
	case Month:
		return Period{Grain: Month, Start: p.Start.AddDate(0, 1, 0)}
	case Week:
		return Period{Grain: Week, Start: p.Start.AddDate(0, 0, 7)}
	}
	return Period{Grain: Day, Start: p.Start.AddDate(0, 0, 1)}
}

// Before reports whether p starts before q.
func (p Period) Before(q Period) bool { return p.Start.Before(q.Start) }

// Steps counts how many periods of p's grain lie from p to q (q after p gives a positive count).
func (p Period) Steps(q Period) int {
	switch p.Grain {
	case Month:
		return (q.Start.Year()-p.Start.Year())*12 + int(q.Start.Month()-p.Start.Month())
	case Week:
		return int(q.Start.Sub(p.Start).Hours() / (24 * 7))
	}
	return int(q.Start.Sub(p.Start).Hours() / 24)
}

var monthsIT = []string{"gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"}

// Label is the period written for people in lang: "October 2025", "ottobre 2025", "week 7 of 2025".
func (p Period) Label(lang string) string {
	switch p.Grain {
	case Month:
		if lang == "it" {
			return fmt.Sprintf("%s %d", monthsIT[p.Start.Month()-1], p.Start.Year())
		}
		return p.Start.Format("January 2006")
	case Week:
		y, w := p.Start.ISOWeek()
		if lang == "it" {
			return fmt.Sprintf("settimana %d del %d", w, y)
		}
		return fmt.Sprintf("week %d of %d", w, y)
	}
	if lang == "it" {
		return fmt.Sprintf("%d %s %d", p.Start.Day(), monthsIT[p.Start.Month()-1], p.Start.Year())
	}
	return p.Start.Format("2 January 2006")
}
