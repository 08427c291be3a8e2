// Package locale is the web console's words: one catalogue per language (it.json,
// en.json, embedded), the language a request is served in (the account's preference, else
// the browser's Accept-Language, else Italian), and dates in the language's way.
package locale

import (
	"embed"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

//go:embed *.json
var files embed.FS

// Languages are the console's languages; the first is the default.
var Languages = []string{"it", "en"}

var catalogues = func() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, lang := range Languages {
		b, err := files.ReadFile(lang + ".json")
		if err != nil {
			panic(fmt.Sprintf("locale: no catalogue for %s: %v", lang, err))
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic(fmt.Sprintf("locale: %s.json: %v", lang, err))
		}
		out[lang] = m
	}
	return out
}()

// Keys are a language's keys, sorted (the tests compare the languages' sets).
func Keys(lang string) []string { return slices.Sorted(maps.Keys(catalogues[lang])) }

// Has reports whether a language has a key.
func Has(lang, key string) bool {
	_, ok := catalogues[lang][key]
	return ok
}

// Known reports whether lang is one of the console's languages.
func Known(lang string) bool { return slices.Contains(Languages, lang) }

// Pick is the language to serve: the account's preference when it has one, else the first
// of the browser's Accept-Language the console speaks, else the default.
func Pick(preference, acceptLanguage string) string {
	if Known(preference) {
		return preference
	}
	best, bestQ := "", -1.0
	for _, part := range strings.Split(acceptLanguage, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		lang, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if _, err := fmt.Sscanf(v, "%g", &q); err != nil {
				q = 0
			}
		}
		if Known(lang) && q > bestQ {
			best, bestQ = lang, q
		}
	}
	if best != "" {
		return best
	}
	return Languages[0]
}

// Printer words the console in one language.
type Printer struct{ Lang string }

// T is the text of key with its {name} placeholders filled from args (name, value, …). A
// key missing from the catalogue shows as itself (the tests keep that from happening).
func (p Printer) T(key string, args ...any) string {
	s, ok := catalogues[p.Lang][key]
	if !ok {
		s = key
	}
	for i := 0; i+1 < len(args); i += 2 {
		s = strings.ReplaceAll(s, "{"+fmt.Sprint(args[i])+"}", fmt.Sprint(args[i+1]))
	}
	return s
}

var itMonths = []string{"gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"}

// When is a moment in the language's way, in UTC: «2 dic 2026, 15:04 UTC», "2 Dec 2026, 15:04 UTC".
func (p Printer) When(t time.Time) string {
	t = t.UTC()
	if p.Lang == "it" {
		return fmt.Sprintf("%d %s %d, %s UTC", t.Day(), itMonths[t.Month()-1], t.Year(), t.Format("15:04"))
	}
	return t.Format("2 Jan 2006, 15:04 UTC")
}

// Duration is a short age: «5 min», «3 h», «2 g» / "5 min", "3 h", "2 d".
func (p Printer) Duration(d time.Duration) string {
	switch {
	case d < time.Hour:
		return p.T("time.minutes", "n", int(d.Minutes()))
	case d < 48*time.Hour:
		return p.T("time.hours", "n", int(d.Hours()))
	}
	return p.T("time.days", "n", int(d.Hours()/24))
}
