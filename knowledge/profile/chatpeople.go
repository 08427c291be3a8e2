package profile

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// roleWords are the words people use in chat for the built-in roles.
var roleWords = map[string]string{
	"owner": "owner", "titolare": "owner", "proprietario": "owner", "proprietaria": "owner", "boss": "owner",
	"marketing": "marketing",
	"sales":     "sales", "commerciale": "sales", "vendite": "sales", "venditore": "sales", "venditrice": "sales",
	"agency": "agency", "agenzia": "agency",
	"other": "other", "team": "other", "altro": "other",
}

// RoleFromWord is the role a word in chat names: a built-in role in Italian or English, or
// one of the company's roles by its name or a label; ok is false otherwise.
func (p *Profile) RoleFromWord(word string) (string, bool) {
	w := strings.ToLower(strings.Trim(strings.TrimSpace(word), ".,;:!?«»\"'"))
	w = strings.TrimPrefix(strings.TrimPrefix(w, "il "), "la ")
	if r, ok := roleWords[w]; ok {
		return r, true
	}
	for _, r := range p.Roles {
		if strings.EqualFold(r.Name, w) {
			return r.Name, true
		}
		for _, l := range r.Labels {
			if strings.EqualFold(l, w) {
				return r.Name, true
			}
		}
	}
	return "", false
}

// AddChatPeople adds the people added from chat that company.yaml does not already name
// (by handle, Slack id or Discord id): the profile wins where both exist. It returns the
// handles added.
func (p *Profile) AddChatPeople(extra []Person) []string {
	var added []string
	for _, x := range extra {
		if _, ok := p.Person(x.Handle); ok {
			continue
		}
		if _, ok := p.BySlack(x.Slack); ok && x.Slack != "" {
			continue
		}
		if _, ok := p.ByDiscord(x.Discord); ok && x.Discord != "" {
			continue
		}
		p.People = append(p.People, x)
		added = append(added, x.Handle)
	}
	return added
}

// NewHandle is a handle for a person called name that no one in the profile has: the first
// name in lower case without accents («Chiara» → chiara, then chiara2).
func (p *Profile) NewHandle(name string) string {
	base := handleOf(name)
	if base == "" {
		base = "persona"
	}
	h := base
	for i := 2; ; i++ {
		if _, taken := p.Person(h); !taken {
			return h
		}
		h = base + itoa(i)
	}
}

func handleOf(name string) string {
	first := strings.Fields(name)
	if len(first) == 0 {
		return ""
	}
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(first[0])) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case unicode.Is(unicode.Mn, r):
		}
	}
	return b.String()
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
