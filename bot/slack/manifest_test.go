package slack_test

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/whybot/whybot/bot/slack"
)

// TestManifest keeps deploy/slack/manifest.yaml in step with what the code uses.
func TestManifest(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../deploy/slack/manifest.yaml")
	require.NoError(t, err)
	var m struct {
		Features struct {
			AppHome struct {
				MessagesTab         bool `yaml:"messages_tab_enabled"`
				MessagesTabReadOnly bool `yaml:"messages_tab_read_only_enabled"`
			} `yaml:"app_home"`
			SlashCommands []struct {
				Command string `yaml:"command"`
			} `yaml:"slash_commands"`
		} `yaml:"features"`
		OAuth struct {
			Redirects []string `yaml:"redirect_urls"`
			Scopes    struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
		Settings struct {
			Events struct {
				Bot []string `yaml:"bot_events"`
			} `yaml:"event_subscriptions"`
			Interactivity struct {
				Enabled bool `yaml:"is_enabled"`
			} `yaml:"interactivity"`
			SocketMode bool `yaml:"socket_mode_enabled"`
		} `yaml:"settings"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(false)
	require.NoError(t, dec.Decode(&m))
	var want []string
	for s := range slack.BotScopes {
		want = append(want, s)
	}
	slices.Sort(want)
	got := slices.Clone(m.OAuth.Scopes.Bot)
	slices.Sort(got)
	require.Equal(t, want, got, "exactly the scopes the code uses")
	require.Equal(t, slack.BotEvents, m.Settings.Events.Bot)
	require.Len(t, m.OAuth.Redirects, 1)
	require.True(t, strings.HasSuffix(m.OAuth.Redirects[0], slack.CallbackPath), "the install flow's callback")
	require.Len(t, m.Features.SlashCommands, 1)
	require.Equal(t, "/why", m.Features.SlashCommands[0].Command)
	require.True(t, m.Settings.Interactivity.Enabled, "buttons and modals need interactivity")
	require.True(t, m.Settings.SocketMode, "Socket Mode is the default set-up")
	require.True(t, m.Features.AppHome.MessagesTab && !m.Features.AppHome.MessagesTabReadOnly, "direct messages need a writable messages tab")
}
