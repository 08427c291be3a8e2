package llm

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
)

var (
	emailRe = regexp.MustCompile(`(?i)[a-z0-9._%+\-]+@[a-z0-9.\-]+\.[a-z]{2,}`)
	ibanRe  = regexp.MustCompile(`\b[A-Z]{2}[0-9]{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b`)
	// phone numbers: an international prefix, or 9 or more digits in groups
	phoneRe = regexp.MustCompile(`(?:\+|00)[0-9][0-9 ./\-()]{6,18}[0-9]|\b[0-9]{2,4}[ ./\-][0-9]{3,4}[ ./\-]?[0-9]{3,5}\b`)
)

// Redactor removes personal data from text before it goes into a prompt: e-mail
// addresses, IBANs, phone numbers, the names it is given (the profile's people, in full
// and by last name; their first names are kept), and names in data exports and answers that look like a
// person's: a common first name followed by a capitalised word ("Mario Rossi"). Nothing is
// restored afterwards: the model never needs them.
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
	// a last name alone, as written with a capital; first names stay, so the model can
	// greet the asker and say who owns the next step
	for _, n := range names {
		parts := strings.Fields(n)
		if len(parts) < 2 {
			continue
		}
		for _, part := range parts[1:] {
			if len(part) < 3 || !unicode.IsUpper([]rune(part)[0]) {
				continue
			}
			re := regexp.MustCompile(`\b` + regexp.QuoteMeta(part) + `\b`)
			text = re.ReplaceAllString(text, "[person]")
		}
	}
	return personRe.ReplaceAllString(text, "[person]")
}

// personRe is a common first name followed by one or two capitalised words: a person's
// name in a data export or a document ("Referral Mario Rossi", "Sara De Luca").
var personRe = func() *regexp.Regexp {
	var alts []string
	for n := range givenNames {
		alts = append(alts, strings.ToUpper(n[:1])+n[1:])
	}
	slices.Sort(alts)
	return regexp.MustCompile(`\b(?:` + strings.Join(alts, "|") + `)\s+(?:(?:de|di|da|del|della|van|von)\s+)?\p{Lu}[\p{Ll}'’]+(?:\s+\p{Lu}[\p{Ll}'’]+)?\b`)
}()

// givenNames are common Italian and English first names.
var givenNames = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range strings.Fields(`
		alessandro alessandra alberto alessio andrea angela anna antonio arianna aurora barbara beatrice benedetta
		bruno carla carlo caterina chiara claudia claudio cristina daniela daniele davide debora diego edoardo elena
		elisa emanuele emma enrico enzo fabio federica federico filippo francesca francesco franco gabriele giacomo
		gianluca giorgia giorgio giovanna giovanni giulia giulio giuseppe greta ilaria irene laura lorenzo luca lucia
		luigi luisa marco maria mario marta martina massimo matteo mattia michela michele monica nicola paola paolo
		pietro raffaele riccardo roberta roberto rosa salvatore sara serena silvia simona simone sofia stefania stefano
		tommaso valentina valeria vincenzo viola
		adam alice amanda amy andrew anthony ashley ben charles charlotte chris christopher daniel david edward emily
		emma george grace hannah harry helen jack james jane jennifer jessica john joseph julia karen kate laura linda
		lisa mark mary matthew michael nancy olivia oliver patricia paul peter rachel richard robert ruth sam sarah
		sophie steven susan thomas tom william`) {
		m[n] = true
	}
	return m
}()
