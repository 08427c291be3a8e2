package starter_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/rules"
	"github.com/whybot/whybot/knowledge/starter"
	"github.com/whybot/whybot/knowledge/workspace"
)

// Every industry's starting profile validates against its example data in both
// languages, has its own roles and decisional KPIs, and its rules run on the data.
func TestEveryIndustryValidates(t *testing.T) {
	t.Parallel()
	for _, ind := range starter.Industries {
		for _, lang := range []string{"it", "en"} {
			t.Run(ind+"_"+lang, func(t *testing.T) {
				t.Parallel()
				p, d, err := starter.Write(filepath.Join(t.TempDir(), "ws"), starter.Options{Company: "Rossi & Figli", Industry: ind, Lang: lang})
				require.NoError(t, err)
				ws, err := workspace.Load(p, []string{d})
				require.NoError(t, err)
				require.Equal(t, lang, ws.Profile.Language)
				require.NotEmpty(t, ws.Profile.Roles, "a starting profile names its roles")
				require.NotEmpty(t, ws.Profile.Goals)
				require.NotEmpty(t, ws.Profile.Limits)
				require.Equal(t, 14, ws.Data.Len())
				for _, id := range ws.Profile.Decisional() {
					require.True(t, ws.Profile.Catalogue().Known(id), id)
				}
				res := ws.Rules.Evaluate(rules.Input{Data: ws.Data, Intent: rules.Intent{Kind: rules.KindStatus}, Asker: ws.Profile.DefaultAsker()})
				require.NotEmpty(t, res.Findings)
				for _, l := range ws.Rules.LimitIDs() {
					require.NotEmpty(t, l)
				}
			})
		}
	}
}

// A company name is data: quotes, colons, braces and template directives stay in the
// name and never become YAML or template structure.
func TestCompanyNameIsData(t *testing.T) {
	t.Parallel()
	name := `Studio "Sorriso": {{.Lang}} & co. # not a comment`
	out, err := starter.Profile(starter.Options{Company: name, Industry: "dental", Lang: "it"})
	require.NoError(t, err)
	p, err := profile.Parse("company.yaml", out)
	require.NoError(t, err)
	require.Equal(t, name, p.Company)
}

func TestWriteRefusesAndChecks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, _, err := starter.Write(dir, starter.Options{Company: "X", Industry: "dental", Lang: "it"})
	require.NoError(t, err)
	_, _, err = starter.Write(dir, starter.Options{Company: "X", Industry: "dental", Lang: "it"})
	require.ErrorContains(t, err, "already exists")

	for _, tc := range []struct {
		o    starter.Options
		want string
	}{
		{starter.Options{Company: "X", Industry: "dentist", Lang: "it"}, `"dentist" is not an industry`},
		{starter.Options{Company: "X", Industry: "dental", Lang: "fr"}, `"fr" is not a language`},
		{starter.Options{Industry: "dental", Lang: "it"}, "name the company"},
		{starter.Options{Company: "X", Industry: "dental", Lang: "it", Goal: &profile.Goal{ID: "g", Metric: "new_patiens", Target: 3}}, `unknown metric "new_patiens" (did you mean new_patients`},
		{starter.Options{Company: "X", Industry: "dental", Lang: "it", Limit: &profile.Limit{ID: "l", Text: "x", Rule: "no_show_rat < 0.1"}}, `unknown metric "no_show_rat"`},
	} {
		empty := filepath.Join(t.TempDir(), "ws")
		_, _, err := starter.Write(empty, tc.o)
		require.ErrorContains(t, err, tc.want)
		_, statErr := os.Stat(empty)
		require.True(t, os.IsNotExist(statErr), "nothing is written for a profile that does not validate")
	}
}
