package kpi

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/whybot/whybot/knowledge/limits"
)

// hint is what a period column's name says its cells are.
type hint int

const (
	hintAny   hint = iota
	hintMonth      // «Anno mese», "Year month", "Month", «Mese»
	hintWeek       // «Settimana ISO dell'anno ISO», "ISO week of ISO year", "Week"
	hintDay        // "Date", «Data», "Day", «Giorno»
)

// periodColumns are the period columns' names (normalized) and what each says.
var periodColumns = map[string]hint{
	"period": hintAny, "periodo": hintAny, "periodo_di_riferimento": hintAny,
	"month": hintMonth, "mese": hintMonth, "year_month": hintMonth, "yearmonth": hintMonth, "anno_mese": hintMonth, "mese_dell_anno": hintMonth, "month_of_year": hintMonth,
	"week": hintWeek, "settimana": hintWeek, "iso_week": hintWeek, "settimana_iso": hintWeek, "isoyearisoweek": hintWeek, "iso_week_of_iso_year": hintWeek, "settimana_iso_dell_anno_iso": hintWeek, "iso_year_iso_week": hintWeek,
	"date": hintDay, "data": hintDay, "day": hintDay, "giorno": hintDay,
	"reporting_starts": hintAny, "inizio_dei_report": hintAny, "inizio_report": hintAny,
	"create_date": hintDay, "data_di_creazione": hintDay,
}

var monthWords = func() map[string]time.Month {
	m := map[string]time.Month{}
	it := []string{"gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"}
	itShort := []string{"gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"}
	for i := range 12 {
		mo := time.Month(i + 1)
		en := strings.ToLower(mo.String())
		m[it[i]], m[itShort[i]], m[en], m[en[:3]] = mo, mo, mo, mo
	}
	m["sept"] = time.September
	return m
}()

// parseExportPeriod reads a period as exports write it, after the forms ParsePeriod
// knows: 202601 (a month, or an ISO week under a week column), 20260115, «gen 2026»,
// "January 2026", 01/2026, 2026W03, 15/01/2026 (by locale), a timestamp, or a reporting
// range such as "2026-01-01 - 2026-01-31" that covers one month, one week or one day.
func parseExportPeriod(raw string, h hint, locale string) (Period, error) {
	s := strings.TrimSpace(raw)
	if p, err := ParsePeriod(s); err == nil {
		return p, nil
	}
	if p, ok, err := exportForms(s, h, locale); ok || err != nil {
		return p, err
	}
	return Period{}, fmt.Errorf("period %s is not a period whybot reads: write 2026-01 (a month), 2026-W03 (an ISO week) or 2026-01-15 (a day); exports' 202601, «gen 2026», Jan 2026, 01/2026 and 20260115 are read too", limits.Quote(s))
}

func exportForms(s string, h hint, locale string) (Period, bool, error) {
	if from, to, ok := strings.Cut(s, " - "); ok {
		return rangePeriod(strings.TrimSpace(from), strings.TrimSpace(to), locale)
	}
	if d, ok := cutTime(s); ok {
		s = d
		if p, err := ParsePeriod(s); err == nil {
			return p, true, nil
		}
	}
	if plainInt(s) {
		switch len(s) {
		case 6:
			y, _ := strconv.Atoi(s[:4])
			n, _ := strconv.Atoi(s[4:])
			if h == hintWeek {
				p, err := ParsePeriod(fmt.Sprintf("%04d-W%02d", y, n))
				return p, err == nil, err
			}
			if h == hintAny {
				return Period{}, true, fmt.Errorf("period %s could be a month (%04d-%02d) or an ISO week (%04d-W%02d): name the column «Anno mese» / Year month or «Settimana ISO» / ISO week, or write 2026-01", limits.Quote(s), y, n, y, n)
			}
			p, err := ParsePeriod(fmt.Sprintf("%04d-%02d", y, n))
			return p, err == nil, err
		case 8:
			p, err := ParsePeriod(s[:4] + "-" + s[4:6] + "-" + s[6:])
			return p, err == nil, err
		}
	}
	if w, ok := strings.CutPrefix(strings.ToUpper(s), "W"); ok { // W03 2026
		if n, y, ok := strings.Cut(w, " "); ok {
			p, err := isoWeek(y, n)
			return p, err == nil, err
		}
	}
	if len(s) >= 6 && (s[4] == 'W' || s[4] == 'w') { // 2026W03, 2026-W3
		p, err := isoWeek(s[:4], s[5:])
		return p, err == nil, err
	}
	if len(s) >= 7 && s[4] == '-' && (s[5] == 'W' || s[5] == 'w') {
		p, err := isoWeek(s[:4], s[6:])
		return p, err == nil, err
	}
	if p, ok := monthName(s); ok {
		return p, true, nil
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == '.' || r == '-' })
	switch {
	case len(parts) == 2 && allDigits(parts):
		a, b := parts[0], parts[1]
		if len(b) == 4 && len(a) <= 2 { // 01/2026
			a, b = b, a
		}
		if len(a) == 4 && len(b) <= 2 {
			m, _ := strconv.Atoi(b)
			p, err := ParsePeriod(fmt.Sprintf("%s-%02d", a, m))
			return p, err == nil, err
		}
	case len(parts) == 3 && allDigits(parts) && len(parts[2]) == 4:
		return slashDate(s, parts, locale)
	}
	return Period{}, false, nil
}

func allDigits(parts []string) bool {
	for _, p := range parts {
		if !plainInt(p) {
			return false
		}
	}
	return true
}

// cutTime takes a time of day off a timestamp: "2026-01-15 10:32", "2026-01-15T10:32:00Z".
func cutTime(s string) (string, bool) {
	if len(s) > 10 && (s[10] == 'T' || s[10] == ' ') && s[4] == '-' && s[7] == '-' {
		return s[:10], true
	}
	return s, false
}

func isoWeek(y, w string) (Period, error) {
	yi, err1 := strconv.Atoi(strings.TrimSpace(y))
	wi, err2 := strconv.Atoi(strings.TrimSpace(w))
	if err1 != nil || err2 != nil {
		return Period{}, fmt.Errorf("week %s of %s is not an ISO week", limits.Quote(w), limits.Quote(y))
	}
	return ParsePeriod(fmt.Sprintf("%04d-W%02d", yi, wi))
}

// monthName reads «gen 2026», «gennaio 2026», "Jan 2026", "January 2026", "Jan-26".
func monthName(s string) (Period, bool) {
	f := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return r == ' ' || r == '-' || r == '/' || r == '.' || r == '\'' })
	if len(f) != 2 {
		return Period{}, false
	}
	if _, err := strconv.Atoi(f[0]); err == nil {
		f[0], f[1] = f[1], f[0] // 2026 gen
	}
	m, ok := monthWords[f[0]]
	y, err := strconv.Atoi(f[1])
	if !ok || err != nil {
		return Period{}, false
	}
	if len(f[1]) == 2 {
		y += 2000
	} else if len(f[1]) != 4 {
		return Period{}, false
	}
	return Period{Grain: Month, Start: time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)}, true
}

// slashDate reads dd/mm/yyyy in an Italian file; elsewhere only when the day is over 12.
func slashDate(s string, parts []string, locale string) (Period, bool, error) {
	a, _ := strconv.Atoi(parts[0])
	b, _ := strconv.Atoi(parts[1])
	y, _ := strconv.Atoi(parts[2])
	day, mon := a, b
	switch {
	case locale == LocaleIT || a > 12:
	case b > 12:
		day, mon = b, a
	default:
		return Period{}, true, fmt.Errorf("date %s could be %d %s or %d %s: write 2026-01-15, or set locale: it (day first)", limits.Quote(s), a, time.Month(b), b, time.Month(a))
	}
	t := time.Date(y, time.Month(mon), day, 0, 0, 0, 0, time.UTC)
	if mon < 1 || mon > 12 || t.Day() != day {
		return Period{}, true, fmt.Errorf("date %s is not a day of the calendar", limits.Quote(s))
	}
	return Period{Grain: Day, Start: t}, true, nil
}

// rangePeriod reads a reporting range (Meta Ads Manager, Search Console): it must be
// exactly one month, one ISO week or one day.
func rangePeriod(from, to, locale string) (Period, bool, error) {
	a, err1 := parseExportPeriod(from, hintDay, locale)
	b, err2 := parseExportPeriod(to, hintDay, locale)
	if err1 != nil || err2 != nil || a.Grain != Day || b.Grain != Day {
		return Period{}, false, nil
	}
	days := int(b.Start.Sub(a.Start).Hours()/24) + 1
	switch {
	case days == 1:
		return a, true, nil
	case a.Start.Day() == 1 && b.Start.AddDate(0, 0, 1).Day() == 1 && a.Start.AddDate(0, 1, -1).Equal(b.Start):
		return Period{Grain: Month, Start: a.Start}, true, nil
	case days == 7 && a.Start.Weekday() == time.Monday:
		return Period{Grain: Week, Start: a.Start}, true, nil
	}
	return Period{}, true, fmt.Errorf("reporting range %s – %s is %d days, not one month, one ISO week (Monday to Sunday) or one day: export with a breakdown by month, week or day", from, to, days)
}
