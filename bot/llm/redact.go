package llm

import (
	"regexp"
	"slices"
	"strings"
)

var (
	emailRe = regexp.MustCompile(`(?i)[a-z0-9._%+\-]+@[a-z0-9.\-]+\.[a-z]{2,}`)
	ibanRe  = regexp.MustCompile(`\b[A-Z]{2}[0-9]{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b`)
	// phone numbers: an international prefix, or 9 or more digits in groups
	phoneRe = regexp.MustCompile(`(?:\+|00)[0-9][0-9 ./\-()]{6,18}[0-9]|\b[0-9]{2,4}[ ./\-][0-9]{3,4}[ ./\-]?[0-9]{3,5}\b`)
)

// Redactor removes personal data from text before it goes into a prompt: e-mail
// addresses, IBANs, phone numbers, and the names it is given (people of the data exports
// and of the profile). Nothing is restored afterwards: the model never needs them.
type Redactor struct {
	Names []string
}

// Redact returns text with personal data replaced by placeholders.
func (r Redactor) Redact(text string) string {
	text = emailRe.ReplaceAllString(text, "[email]")
	text = ibanRe.ReplaceAllString(text, "[iban]")
	text = phoneRe.ReplaceAllStringFunc(text, func(s string) string {
		digits := 0
		for _, c := range s {
			if c >= '0' && c <= '9' {
				digits++
			}
		}
		if digits < 8 { // "12.000 / 30" and the like are figures, not phone numbers
			return s
		}
		return "[phone]"
	})
	names := slices.Clone(r.Names)
	slices.SortFunc(names, func(a, b string) int { return len(b) - len(a) }) // full names first
	for _, n := range names {
		if n = strings.TrimSpace(n); len(n) < 3 {
			continue
		}
		re := regexp.MustCompile(`(?i)\b` + regexp.QuoteMeta(n) + `\b`)
		text = re.ReplaceAllString(text, "[person]")
	}
	return text
}
