package kpi

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/whybot/whybot/knowledge/limits"
)

// Locales a data file's numbers can be written in: "it" writes 1.250,5 (a dot groups
// thousands, a comma marks decimals), "en" writes 1,250.5. Empty means nobody said.
const (
	LocaleIT = "it"
	LocaleEN = "en"
)

// Options say how to read one data file.
type Options struct {
	// Locale is how the file writes numbers (it or en); empty when nobody stated it, in
	// which case a value that reads differently in the two (3.412, 1,250) is an error.
	Locale string
	// Where is where the locale was stated, for error messages ("company.yaml:4 locale").
	Where string
	// Preset names a known export's layout (ga4, google_ads, meta_ads, search_console,
	// hubspot); Columns maps this file's own column names to period, a dimension, a metric
	// or skip, over the preset's. With either, columns neither names are left out.
	Preset  string
	Columns map[string]string
	// Sheet is the sheet of an .xlsx workbook to read; empty reads the first.
	Sheet string
	// Currency is the company's currency (EUR); amounts written in another are an error.
	// CurrencyWhere is where it was said, for the message.
	Currency, CurrencyWhere string
}

// style is what a value's own form says about how the file writes decimals.
type style int

const (
	styleNone         style = iota // no separator, or one that says nothing
	styleDotDecimal                // 12.5, 1,250.00, 1,250,000
	styleCommaDecimal              // 12,5, 1.250,00, 1.250.000
)

func (s style) String() string {
	if s == styleDotDecimal {
		return "English style (1,250.5)"
	}
	return "Italian style (1.250,5)"
}

// number is one value read from a cell.
type number struct {
	v    float64
	unit string // "%", or an ISO currency code; empty when the cell had no sign
	// style is what the cell's form says about the file's style; for an ambiguous cell, the
	// style the locale read it in.
	style     style
	ambiguous bool // the reading came from the locale, not from the cell
}

var currencies = []struct{ sign, code string }{
	{"€", "EUR"}, {"EUR", "EUR"}, {"$", "USD"}, {"USD", "USD"}, {"US$", "USD"}, {"£", "GBP"}, {"GBP", "GBP"}, {"CHF", "CHF"}, {"Fr.", "CHF"},
}

// cutUnit takes a currency sign or code and a percent sign off s.
func cutUnit(s string) (rest, unit string) {
	s = strings.TrimSpace(s)
	if t, ok := strings.CutSuffix(s, "%"); ok {
		return strings.TrimSpace(t), "%"
	}
	for _, c := range currencies {
		if t, ok := strings.CutPrefix(s, c.sign); ok {
			return strings.TrimSpace(t), c.code
		}
		if t, ok := strings.CutSuffix(s, c.sign); ok {
			return strings.TrimSpace(t), c.code
		}
	}
	return s, ""
}

// parseNumber reads a cell as people write numbers: «1.250,00 €», «€ 1,250.00», «12,5%»,
// «-3 412», «3.412». A cell whose reading depends on the locale (one separator followed by
// exactly three digits) is read by locale, and is an error when no locale was stated.
func parseNumber(raw, locale string) (number, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return number{}, errors.New("empty value: leave the row out instead")
	}
	s = strings.ReplaceAll(s, "\u2212", "-") // the minus sign spreadsheets write
	neg := false
	if t, ok := strings.CutPrefix(s, "-"); ok {
		neg, s = true, strings.TrimSpace(t)
	} else if t, ok := strings.CutPrefix(s, "+"); ok {
		s = strings.TrimSpace(t)
	}
	s, unit := cutUnit(s)
	if t, ok := strings.CutPrefix(s, "-"); ok && !neg { // € -12
		neg, s = true, strings.TrimSpace(t)
	}
	n, err := readDigits(s, locale)
	if err != nil {
		return number{}, fmt.Errorf("value %s %w", limits.Quote(raw), err)
	}
	n.unit = unit
	if neg {
		n.v = -n.v
	}
	if unit == "%" {
		n.v /= 100
	}
	return n, nil
}

var errNotNumber = errors.New("is not a number: write it like 1234.5, 1.234,5 or 12,5%")

// readDigits reads digits with group and decimal marks: spaces and apostrophes only ever
// group thousands; a dot and a comma together say which is which; one alone is read by form
// when it can only be a decimal mark (12,5 · 0.125 · 1234.5) or only a group mark (1.234.567).
func readDigits(s, locale string) (number, error) {
	if plainInt(s) {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(v, 0) {
			return number{}, errNotNumber
		}
		return number{v: v}, nil
	}
	s = spaces.Replace(s)
	spaced := strings.Contains(s, "\u00a0")
	dots, commas := strings.Count(s, "."), strings.Count(s, ",")
	for _, r := range s {
		if (r < '0' || r > '9') && r != '.' && r != ',' && r != '\u00a0' {
			return number{}, errNotNumber
		}
	}
	var group, dec byte
	st := styleNone
	ambiguous := false
	switch {
	case dots > 0 && commas > 0:
		if strings.LastIndexByte(s, '.') > strings.LastIndexByte(s, ',') {
			group, dec, st = ',', '.', styleDotDecimal
		} else {
			group, dec, st = '.', ',', styleCommaDecimal
		}
		if strings.Count(s, string(dec)) > 1 || strings.IndexByte(s, group) > strings.IndexByte(s, dec) {
			return number{}, errNotNumber
		}
	case dots > 1 || commas > 1:
		group = '.'
		st = styleCommaDecimal
		if commas > 1 {
			group, st = ',', styleDotDecimal
		}
	case dots == 1 || commas == 1:
		mark := byte('.')
		if commas == 1 {
			mark = ','
		}
		whole, frac, _ := strings.Cut(s, string(mark))
		whole = strings.ReplaceAll(whole, "\u00a0", "")
		if spaced || len(frac) != 3 || len(whole) == 0 || len(whole) > 3 || whole[0] == '0' {
			dec = mark // 12,5 · 0.125 · 1234.5 · 1 250,125: only a decimal mark reads so
		} else {
			ambiguous = true
			switch locale {
			case LocaleIT:
				if mark == '.' {
					group = '.'
				} else {
					dec = ','
				}
			case LocaleEN:
				if mark == ',' {
					group = ','
				} else {
					dec = '.'
				}
			default:
				return number{}, errAmbiguous(whole, frac, mark)
			}
		}
		st = styleDotDecimal
		if (dec == ',') || (group == '.') {
			st = styleCommaDecimal
		}
	}
	whole, frac := s, ""
	if dec != 0 {
		whole, frac, _ = strings.Cut(s, string(dec))
		if strings.ContainsAny(frac, ".,\u00a0") {
			return number{}, errNotNumber
		}
	}
	digits, ok := ungroup(whole, group)
	if !ok || (digits == "" && frac == "") {
		return number{}, errNotNumber
	}
	if digits == "" {
		digits = "0"
	}
	if frac != "" {
		digits += "." + frac
	}
	v, err := strconv.ParseFloat(digits, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return number{}, errNotNumber
	}
	if !ambiguous && group == 0 && dec == 0 {
		st = styleNone
	}
	return number{v: v, style: st, ambiguous: ambiguous}, nil
}

// spaces are the marks that only ever group thousands, all read as a no-break space.
var spaces = strings.NewReplacer(" ", "\u00a0", "\u202f", "\u00a0", "'", "\u00a0", "’", "\u00a0")

// plainInt reports whether s is digits only (the common case, read without allocating).
func plainInt(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ungroup checks the thousands groups of an integer part (1–3 digits, then groups of
// exactly 3, one kind of mark: group or a space) and returns its digits.
func ungroup(whole string, group byte) (string, bool) {
	mark := "\u00a0"
	if group != 0 && strings.Contains(whole, string(group)) {
		if strings.Contains(whole, mark) {
			return "", false // 1 250.000: two group marks in one number
		}
		mark = string(group)
	}
	if strings.ContainsAny(strings.ReplaceAll(whole, mark, ""), ".,\u00a0") {
		return "", false
	}
	parts := strings.Split(whole, mark)
	if len(parts) == 1 {
		return whole, true
	}
	if parts[0] == "" || len(parts[0]) > 3 {
		return "", false
	}
	for _, p := range parts[1:] {
		if len(p) != 3 {
			return "", false
		}
	}
	return strings.Join(parts, ""), true
}

// errAmbiguous is the error for a cell that reads as two numbers.
func errAmbiguous(whole, frac string, mark byte) error {
	thousands, _ := strconv.Atoi(whole + frac)
	return fmt.Errorf("could be %s (%c groups thousands, Italian style for a dot, English for a comma) or %s.%s (a decimal): say how the file writes numbers with locale: it or locale: en in company.yaml (for every file, or for this one under data:)",
		strconv.Itoa(thousands), mark, whole, frac)
}

// styleCheck remembers, for one file, the first line whose form shows each style and the
// first value read only by the locale, so a file that mixes styles is an error, not a guess.
type styleCheck struct {
	first     [3]int // style → first line that shows it unambiguously
	firstText [3]string
	ambLine   int
	ambText   string
	ambStyle  style
}

func (c *styleCheck) see(line int, raw string, n number) {
	switch {
	case n.ambiguous && c.ambLine == 0:
		c.ambLine, c.ambText, c.ambStyle = line, strings.TrimSpace(raw), n.style
	case !n.ambiguous && n.style != styleNone && c.first[n.style] == 0:
		c.first[n.style], c.firstText[n.style] = line, strings.TrimSpace(raw)
	}
}

// problems adds what the file's styles contradict; opt says where its locale came from.
func (c *styleCheck) problems(name string, opt Options, e *Error) {
	dot, comma := c.first[styleDotDecimal], c.first[styleCommaDecimal]
	if dot > 0 && comma > 0 {
		e.add(name, max(dot, comma), "the file writes numbers in two styles: %s at line %d is %s, %s at line %d is %s; export it again with one number format",
			limits.Quote(c.firstText[styleDotDecimal]), dot, styleDotDecimal, limits.Quote(c.firstText[styleCommaDecimal]), comma, styleCommaDecimal)
		return
	}
	if c.ambLine == 0 {
		return
	}
	other := styleDotDecimal
	if c.ambStyle == styleDotDecimal {
		other = styleCommaDecimal
	}
	if at := c.first[other]; at > 0 {
		where := opt.Where
		if where == "" {
			where = "the profile"
		}
		e.add(name, c.ambLine, "value %s was read in %s because the locale is %s (%s), but line %d writes %s in %s: set this file's locale (data: - file: …, locale: …) to the one it is written in",
			limits.Quote(c.ambText), c.ambStyle, opt.Locale, where, at, limits.Quote(c.firstText[other]), other)
	}
}
