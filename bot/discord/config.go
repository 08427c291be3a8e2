// Package discord is whybot's Discord transport, at parity with Slack: interactions arrive
// over the gateway or an HTTP endpoint (each request's Ed25519 signature and timestamp
// checked before it is read); either way they are answered within Discord's 3 s and
// recorded once in the durable inbox, and a worker handles them afterwards through the
// same conversation engine, approval record and outbox.
package discord

import (
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/whybot/whybot/bot/ops"
)

// Config holds the Discord settings (environment variables in brackets).
type Config struct {
	BotToken      string // DISCORD_BOT_TOKEN: the bot's token, without "Bot "
	AppID         string // DISCORD_APP_ID: the application id
	PublicKey     string // DISCORD_PUBLIC_KEY: HTTP interactions mode, hex Ed25519 key
	Listen        string // DISCORD_LISTEN: HTTP interactions mode address, e.g. :8081
	ReviewChannel string // DISCORD_REVIEW_CHANNEL: review channel when a profile names none
	APIURL        string // DISCORD_API_URL: REST base (tests, proxies); default Discord's
	// CallTimeout bounds one REST call (default 20 s). serve keeps it well inside the lease.
	CallTimeout time.Duration
}

// FromEnv reads the settings.
func FromEnv(getenv func(string) string) Config {
	return Config{
		BotToken: getenv("DISCORD_BOT_TOKEN"), AppID: getenv("DISCORD_APP_ID"), PublicKey: getenv("DISCORD_PUBLIC_KEY"),
		Listen: getenv("DISCORD_LISTEN"), ReviewChannel: getenv("DISCORD_REVIEW_CHANNEL"), APIURL: getenv("DISCORD_API_URL"),
	}
}

// Enabled reports whether a Discord credential is given. DISCORD_LISTEN alone does not
// turn Discord on: deployments set the address whether or not the company uses Discord.
func (c Config) Enabled() bool {
	return c.BotToken != "" || c.AppID != "" || c.PublicKey != ""
}

// HTTPMode reports whether interactions come over HTTP (a public key and an address are
// set); otherwise the gateway is used.
func (c Config) HTTPMode() bool { return c.PublicKey != "" && c.Listen != "" }

var (
	snowflake = regexp.MustCompile(`^[0-9]{17,20}$`)
	tokenRe   = regexp.MustCompile(`^[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}$`)
)

// Validate checks the settings and says which one is wrong and how to fix it; secrets are
// never echoed.
func (c Config) Validate() error {
	var errs []error
	switch {
	case c.BotToken == "":
		errs = append(errs, errors.New("DISCORD_BOT_TOKEN is empty: Developer Portal → your application → Bot → Reset Token, and copy it"))
	case strings.HasPrefix(c.BotToken, "Bot "):
		errs = append(errs, errors.New("DISCORD_BOT_TOKEN starts with \"Bot \": give the token alone, whybot adds the prefix"))
	case !tokenRe.MatchString(c.BotToken):
		errs = append(errs, errors.New("DISCORD_BOT_TOKEN does not look like a bot token (three parts separated by dots): copy it again from Developer Portal → Bot; an OAuth2 client secret or a user token will not work"))
	}
	switch {
	case c.AppID == "":
		errs = append(errs, errors.New("DISCORD_APP_ID is empty: copy the Application ID from Developer Portal → General Information"))
	case !snowflake.MatchString(c.AppID):
		errs = append(errs, fmt.Errorf("DISCORD_APP_ID %q is not an application id (17–20 digits): copy it from Developer Portal → General Information", c.AppID))
	}
	switch {
	case c.PublicKey != "" && c.Listen == "":
		errs = append(errs, errors.New("DISCORD_PUBLIC_KEY is set but DISCORD_LISTEN is empty: set the address the interactions endpoint listens on (e.g. :8081), or unset the key to use the gateway"))
	case c.PublicKey == "" && c.Listen != "":
		errs = append(errs, errors.New("DISCORD_LISTEN is set but DISCORD_PUBLIC_KEY is empty: HTTP interactions need the Public Key from Developer Portal → General Information"))
	case c.PublicKey != "":
		if b, err := hex.DecodeString(c.PublicKey); err != nil || len(b) != 32 {
			errs = append(errs, errors.New("DISCORD_PUBLIC_KEY is not a public key (64 hex characters): copy the Public Key from Developer Portal → General Information"))
		}
	}
	if c.ReviewChannel != "" && !snowflake.MatchString(c.ReviewChannel) {
		errs = append(errs, fmt.Errorf("DISCORD_REVIEW_CHANNEL %q is not a channel id: turn on Developer Mode (User Settings → Advanced), right-click the channel → Copy Channel ID", c.ReviewChannel))
	}
	return errors.Join(append(errs, ops.CheckBaseURL("DISCORD_API_URL", c.APIURL))...)
}
