package profile_test

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/sample"
)

func TestDiscordSettings(t *testing.T) {
	t.Parallel()
	p, err := profile.Parse("company.yaml", sample.Profile())
	require.NoError(t, err)
	require.Equal(t, "2000000000000000001", p.Discord.Guild)
	x, ok := p.ByDiscord("1000000000000000004")
	require.True(t, ok)
	require.Equal(t, "luca", x.Handle)
	_, ok = p.ByDiscord("")
	require.False(t, ok, "an empty id is nobody")

	bad := strings.NewReplacer(`guild: "2000000000000000001"`, "guild: my-server", `discord: "1000000000000000002"`, "discord: marco#1234").Replace(string(sample.Profile()))
	_, err = profile.Parse("company.yaml", []byte(bad))
	var pe *profile.Error
	require.True(t, errors.As(err, &pe), "%v", err)
	msg := err.Error()
	require.Contains(t, msg, `discord.guild: "my-server" is not a Discord server id`)
	require.Contains(t, msg, `people[1].discord: "marco#1234" is not a Discord user id`)
	require.Contains(t, msg, "company.yaml:24", "the person's line")
}

// A profile past the size limit is refused before it is parsed, and a long bad value is
// quoted back cut to 80 characters.
func TestProfileLimits(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	big := filepath.Join(dir, "company.yaml")
	require.NoError(t, os.WriteFile(big, append(sample.Profile(), []byte("# "+strings.Repeat("x", 50<<20)+"\n")...), 0o644))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := profile.Load(big)
	runtime.ReadMemStats(&after)
	require.ErrorContains(t, err, "company.yaml: the file is larger than 1 MiB, the limit")
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(8<<20), "refused in bounded memory")

	long := strings.Replace(string(sample.Profile()), "language: it", "language: "+strings.Repeat("z", 5000), 1)
	_, err = profile.Parse("company.yaml", []byte(long))
	require.ErrorContains(t, err, `language: "`+strings.Repeat("z", 80)+`…" is not supported`)
	require.Less(t, len(err.Error()), 300)
}

// FuzzProfile checks that no company.yaml panics the loader and that an accepted one has
// a workspace, a language and people.
func FuzzProfile(f *testing.F) {
	f.Add(string(sample.Profile()))
	f.Add("company: X\npeople: [{handle: a, role: owner}]\n")
	f.Add("company: X\ngoals: [{id: g, metric: leads, target: 1e400}]\n")
	f.Add("limits:\n  - {id: l, rule: \"leads >\"}\n")
	f.Add("&a [*a, *a]")
	f.Add(clinic) // own metrics with a formula, company roles
	f.Add("company: X\nmetrics:\n  - {id: a_x, labels: {it: a}, kind: count, formula: b_x * 2}\n  - {id: b_x, labels: {it: b}, kind: count, formula: a_x / 2}\n")
	f.Add("company: X\nroles: [{name: front desk, duties: [follow_up, review]}]\npeople: [{handle: s, role: front desk}]\n")
	f.Fuzz(func(t *testing.T, data string) {
		p, err := profile.Parse("company.yaml", []byte(data))
		if err != nil {
			require.NotEmpty(t, err.Error()) // p may be what could be read, for checking the data too
			_ = p
			return
		}
		require.NotEmpty(t, p.Workspace)
		require.NotEmpty(t, p.Language)
	})
}

// whybot is the bot's own name in the audit trail (record.Bot): no person may take it.
func TestHandleWhybotIsReserved(t *testing.T) {
	t.Parallel()
	bad := strings.Replace(string(sample.Profile()), "handle: giulia", "handle: whybot", 1)
	_, err := profile.Parse("company.yaml", []byte(bad))
	require.ErrorContains(t, err, `.handle: "whybot" is whybot's own name in the audit trail`)
}

// The data locale is said per file, else by the profile's locale or its written language;
// a profile that says neither leaves it unstated.
func TestDataLocale(t *testing.T) {
	t.Parallel()
	base := "company: X\npeople: [{handle: a, role: owner, reviewer: true}]\n"
	p, err := profile.Parse("company.yaml", []byte(base+"language: it\ndata:\n  - {file: exports/ads.csv, locale: en, preset: google_ads}\n"))
	require.NoError(t, err)
	loc, where := p.DataLocale("/tmp/x/ads.csv")
	require.Equal(t, "en", loc)
	require.Equal(t, "company.yaml:5", where)
	loc, _ = p.DataLocale("other.csv")
	require.Equal(t, "it", loc, "the written language")
	p, err = profile.Parse("company.yaml", []byte(base))
	require.NoError(t, err)
	loc, _ = p.DataLocale("other.csv")
	require.Empty(t, loc, "the default language is not a stated locale")
	_, err = profile.Parse("company.yaml", []byte(base+"locale: fr\ndata:\n  - {locale: de}\n"))
	require.ErrorContains(t, err, `company.yaml:3: locale: "fr" is not a number style`)
	require.ErrorContains(t, err, "data[0].file: missing")
	require.ErrorContains(t, err, `data[0].locale: "de"`)
}
