package profile_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/metric"
	"github.com/whybot/whybot/knowledge/profile"
)

const clinic = `company: Studio Sorriso
language: it
metrics:
  - id: appointments
    labels: {it: appuntamenti, en: appointments}
    kind: count
  - id: no_shows
    labels: {it: appuntamenti mancati, en: no-shows}
    kind: count
    better: down
  - id: no_show_rate
    labels: {it: tasso di appuntamenti mancati, en: no-show rate}
    synonyms: [tasso di no show]
    kind: percent
    better: down
    formula: no_shows / appointments
    decisional: true
    stage: retention
  - id: likes
    vanity: false
    decisional: true
    stage: awareness
roles:
  - {name: receptionist, labels: {it: reception, en: front desk}, duties: [follow_up]}
  - {name: responsabile clinica, duties: [lead_quality, review]}
goals:
  - {id: fewer_no_shows, metric: tasso di no show, target: 0.08}
people:
  - {handle: elena, role: owner}
  - {handle: sara, name: Sara Galli, role: receptionist}
  - {handle: paolo, role: responsabile clinica}
`

func TestOwnMetricsAndRoles(t *testing.T) {
	t.Parallel()
	p, err := profile.Parse("company.yaml", []byte(clinic))
	require.NoError(t, err)
	cat := p.Catalogue()
	require.Equal(t, metric.Ratio, cat.KindOf("no_show_rate"))
	require.Equal(t, "tasso di appuntamenti mancati", cat.Name("no_show_rate", "it"))
	def, _ := cat.Lookup("no_show_rate")
	require.Equal(t, "company.yaml:11", def.Source, "where the metric is defined")

	require.Equal(t, "no_show_rate", p.Goals[0].Metric, "a goal names a metric by its own synonym")
	require.Equal(t, "down", p.Goals[0].Direction, "the direction comes from the metric's better: down")
	require.Equal(t, []string{"no_show_rate"}, p.Funnel.Retention, "a decisional metric joins its funnel stage")
	require.Contains(t, p.Funnel.Awareness, "likes")
	require.False(t, p.Vanity("likes"), "a company can say a built-in vanity metric decides for it")
	require.True(t, p.Vanity("followers"))

	x, ok := p.ByRole("sales")
	require.True(t, ok)
	require.Equal(t, "sara", x.Handle, "the receptionist follows up leads, so she is asked about follow-up")
	x, _ = p.ByRole("marketing")
	require.Equal(t, "paolo", x.Handle)
	paolo, _ := p.Person("paolo")
	require.True(t, paolo.Reviewer, "the review duty makes a reviewer")
	require.Equal(t, "reception", p.RoleLabel("receptionist", "it"))
	require.Equal(t, "front desk", p.RoleLabel("receptionist", "en"))
	require.Equal(t, "responsabile clinica", p.RoleLabel("responsabile clinica", "en"), "the name when no label is given")
	require.Equal(t, "", p.RoleLabel("owner", "it"), "built-in roles are said by the templates")
}

// Every problem of the metrics and roles comes in one run, each with its line, the field,
// what is wrong and how to fix it.
func TestOwnMetricsProblemsAtOnce(t *testing.T) {
	t.Parallel()
	bad := strings.NewReplacer(
		"kind: percent", "kind: percentage",
		"formula: no_shows / appointments", "formula: no_shows / apointments",
		"duties: [follow_up]", "duties: [folow_up]",
		"role: responsabile clinica}", "role: responsabile clinca}",
		"  - id: appointments\n", "  - id: Appointments\n",
	).Replace(clinic)
	bad += "  - {handle: Marco Verdi, role: sales}\n"
	_, err := profile.Parse("company.yaml", []byte(bad))
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		`company.yaml:4: metrics[0].id: "Appointments" must be lower case letters, digits and _`,
		`company.yaml:11: metrics[no_show_rate].kind: "percentage" is not a kind: use one of count, duration, money, percent, ratio`,
		`company.yaml:11: metrics[no_show_rate].formula: unknown metric "apointments"`,
		`company.yaml:24: roles[receptionist].duties: "folow_up" is not a duty (did you mean follow_up?)`,
		`company.yaml:31: people[2].role: "responsabile clinca" is not a role (did you mean responsabile clinica?)`,
		`company.yaml:32: people[3].handle: "marco verdi" is not a handle`,
	} {
		require.Contains(t, msg, want)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"metrics:\n  - {id: x_rate, kind: percent}\n", "metrics[x_rate].labels: missing"},
		{"metrics:\n  - {id: x_rate, labels: {it: x}}\n", "metrics[x_rate].kind: missing"},
		{"metrics:\n  - {id: x_rate, labels: {fr: x}, kind: count}\n", `"fr" is not a language`},
		{"metrics:\n  - {id: x_rate, labels: {it: x}, kind: count, decisional: true}\n", "metrics[x_rate].stage: missing: a decisional KPI belongs to a funnel stage"},
		{"metrics:\n  - {id: x_rate, labels: {it: x}, kind: count, vanity: true, decisional: true, stage: awareness}\n", "decisional or vanity, not both"},
		{"metrics:\n  - {id: x_rate, labels: {it: x}, kind: count, better: higher}\n", `"higher" is not a direction`},
		{"metrics:\n  - {id: x_rate, labels: {it: x}, kind: count, article: el}\n", `"el" is not an Italian article`},
		{"metrics:\n  - {id: x_rate, labels: {it: x}, kind: count}\n  - {id: x_rate, labels: {it: y}, kind: count}\n", `"x_rate" is defined twice (also at line 5)`},
		{"roles:\n  - {name: sales, duties: [follow_up]}\n", `"sales" is a built-in role`},
		{"roles:\n  - {name: front desk}\n", "roles[front desk].duties: missing"},
	} {
		doc := "company: X\npeople:\n  - {handle: a, role: owner, reviewer: true}\n" + tc.yaml
		_, err := profile.Parse("company.yaml", []byte(doc))
		require.Error(t, err, tc.yaml)
		require.Contains(t, err.Error(), tc.want)
	}
}
