package profile_test

import (
	"errors"
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
