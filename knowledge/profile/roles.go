package profile

import (
	"fmt"
	"slices"
	"strings"

	"github.com/whybot/whybot/knowledge/metric"
)

// Role is a role as the company names it (receptionist, titolare, responsabile clinica),
// with the duties whybot asks about. People can have it as their role.
type Role struct {
	Name   string            `yaml:"name" json:"name"`
	Labels map[string]string `yaml:"labels" json:"labels,omitempty"` // it / en → how the role is said; default: the name
	Duties []string          `yaml:"duties" json:"duties"`
	Line   int               `yaml:"-" json:"line,omitempty"`
}

// Duties whybot asks about, and the built-in role that carries each when a company names
// none of its own.
const (
	DutyLeadQuality    = "lead_quality"    // are the leads in target? (marketing)
	DutyFollowUp       = "follow_up"       // were they contacted? (sales)
	DutyDataQuality    = "data_quality"    // is the tracking right? (agency)
	DutyOwnerDecisions = "owner_decisions" // limits, values, budget (owner)
	DutyReview         = "review"          // approves drafts (reviewer: true)
)

// dutyRole is the built-in role that carries a duty.
var dutyRole = map[string]string{
	DutyLeadQuality: "marketing", DutyFollowUp: "sales", DutyDataQuality: "agency", DutyOwnerDecisions: "owner",
}

// Duties are every duty, in the order they are listed.
var Duties = []string{DutyLeadQuality, DutyFollowUp, DutyDataQuality, DutyOwnerDecisions, DutyReview}

// OwnRole is the company's role named name, if it defines one.
func (p *Profile) OwnRole(name string) (Role, bool) {
	for _, r := range p.Roles {
		if strings.EqualFold(r.Name, name) {
			return r, true
		}
	}
	return Role{}, false
}

// covers reports whether a person's role carries the built-in role's questions: it is that
// role, or a company role with one of its duties.
func (p *Profile) covers(personRole, builtin string) bool {
	if personRole == builtin {
		return true
	}
	r, ok := p.OwnRole(personRole)
	if !ok {
		return false
	}
	return slices.ContainsFunc(r.Duties, func(d string) bool { return dutyRole[d] == builtin })
}

// RoleLabel is how a company role is said in lang; "" for a built-in role.
func (p *Profile) RoleLabel(role, lang string) string {
	r, ok := p.OwnRole(role)
	if !ok {
		return ""
	}
	if l := r.Labels[lang]; l != "" {
		return l
	}
	return r.Name
}

// normalizeRoles checks the company's roles: a name that is not a built-in role, used
// once, with labels in it or en and known duties.
func (p *Profile) normalizeRoles(e *Error) {
	f := p.File
	seen := map[string]bool{}
	for i := range p.Roles {
		r := &p.Roles[i]
		r.Name = strings.TrimSpace(r.Name)
		field := fmt.Sprintf("roles[%d]", i)
		switch {
		case r.Name == "":
			e.add(f, r.Line, field+".name", "missing: name the role as the company says it (receptionist, titolare)")
			continue
		case slices.Contains(BuiltinRoles, strings.ToLower(r.Name)):
			e.add(f, r.Line, field+".name", "%q is a built-in role: people can have it without defining it; give your own role another name", r.Name)
			continue
		case seen[strings.ToLower(r.Name)]:
			e.add(f, r.Line, field+".name", "%q is defined twice", r.Name)
			continue
		}
		seen[strings.ToLower(r.Name)] = true
		field = fmt.Sprintf("roles[%s]", r.Name)
		for lang := range r.Labels {
			if lang != "it" && lang != "en" {
				e.add(f, r.Line, field+".labels", "%q is not a language whybot speaks: give labels for it and en", lang)
			}
		}
		if len(r.Duties) == 0 {
			e.add(f, r.Line, field+".duties", "missing: say what whybot asks this role about, some of %s", strings.Join(Duties, ", "))
		}
		for _, d := range r.Duties {
			if !slices.Contains(Duties, d) {
				e.add(f, r.Line, field+".duties", "%q is not a duty%s: use %s", d, metric.SuggestFrom(d, Duties), strings.Join(Duties, ", "))
			}
		}
	}
}

// roleNames are the roles a person can have: the built-in ones and the company's.
func (p *Profile) roleNames() []string {
	out := slices.Clone(BuiltinRoles)
	for _, r := range p.Roles {
		out = append(out, r.Name)
	}
	return out
}
