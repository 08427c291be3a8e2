// Package slack is whybot's Slack transport. Deliveries come in over the HTTP endpoints
// (Ingress: every request's signature checked before it is read) or over Socket Mode
// (Socket); either way each is recorded once in the durable inbox and acknowledged at once.
// The Worker handles them afterwards: questions and answers go through the conversation
// engine, drafts become review cards, and reviewers' buttons and modals decide. The
// Poster posts approved answers, and only those, in the question's thread.
package slack

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/whybot/whybot/bot/ops"
)

// Config holds the Slack settings (environment variables in brackets).
type Config struct {
	BotToken      string // SLACK_BOT_TOKEN: xoxb-…, for the Web API
	AppToken      string // SLACK_APP_TOKEN: xapp-…, for Socket Mode
	SigningSecret string // SLACK_SIGNING_SECRET: HTTP mode
	Listen        string // SLACK_LISTEN: HTTP mode address, e.g. :8080
	ReviewChannel string // SLACK_REVIEW_CHANNEL: channel id of the review cards when a profile names none
	APIURL        string // SLACK_API_URL: Web API base (tests, proxies); default Slack's
	// ClientID and ClientSecret (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET) make the app one
	// installed in many client teams: each team's bot token comes from its installation.
	ClientID, ClientSecret string
	// CallTimeout bounds one Web API call (default 30 s). serve keeps it well inside the
	// lease, so a replica gives up on a slow post before another may take the work over.
	CallTimeout time.Duration
}

// FromEnv reads the settings.
func FromEnv(getenv func(string) string) Config {
	return Config{
		BotToken: getenv("SLACK_BOT_TOKEN"), AppToken: getenv("SLACK_APP_TOKEN"),
		SigningSecret: getenv("SLACK_SIGNING_SECRET"), Listen: getenv("SLACK_LISTEN"),
		ReviewChannel: getenv("SLACK_REVIEW_CHANNEL"), APIURL: getenv("SLACK_API_URL"),
		ClientID: getenv("SLACK_CLIENT_ID"), ClientSecret: getenv("SLACK_CLIENT_SECRET"),
	}
}

// Enabled reports whether a Slack credential is given. SLACK_LISTEN alone does not turn
// Slack on: deployments set the address whether or not the company uses Slack.
func (c Config) Enabled() bool {
	return c.BotToken != "" || c.AppToken != "" || c.SigningSecret != "" || c.ClientID != ""
}

// MultiTeam reports whether the app is installed in many teams (its OAuth credentials
// are set): GET /slack/install in the web console adds one.
func (c Config) MultiTeam() bool { return c.ClientID != "" }

// HTTPMode reports whether the HTTP endpoints serve (a signing secret and an address are
// set); otherwise Socket Mode is used.
func (c Config) HTTPMode() bool { return c.SigningSecret != "" && c.Listen != "" }

// Validate checks the settings and says which one is wrong and how to fix it.
func (c Config) Validate() error {
	var errs []error
	switch {
	case c.MultiTeam() && c.ClientSecret == "":
		errs = append(errs, errors.New("SLACK_CLIENT_ID is set but SLACK_CLIENT_SECRET is empty: copy both from your Slack app's Basic Information → App Credentials"))
	case c.MultiTeam() && !clientIDRe.MatchString(c.ClientID):
		errs = append(errs, fmt.Errorf("SLACK_CLIENT_ID %q is not a Client ID (digits.digits): copy it from Basic Information → App Credentials", prefix(c.ClientID)))
	}
	switch {
	case c.BotToken == "" && c.MultiTeam():
		// each team's token comes from its installation
	case c.BotToken == "":
		errs = append(errs, errors.New("SLACK_BOT_TOKEN is empty: copy the Bot User OAuth Token (xoxb-…) from your Slack app's OAuth & Permissions page"))
	case !strings.HasPrefix(c.BotToken, "xoxb-"):
		errs = append(errs, fmt.Errorf("SLACK_BOT_TOKEN starts with %q, not xoxb-: use the Bot User OAuth Token from OAuth & Permissions, not a user or app token", prefix(c.BotToken)))
	}
	if c.HTTPMode() {
		if len(c.SigningSecret) < 16 {
			errs = append(errs, errors.New("SLACK_SIGNING_SECRET looks truncated: copy the Signing Secret from your Slack app's Basic Information page"))
		}
	} else {
		switch {
		case c.SigningSecret != "" && c.Listen == "":
			errs = append(errs, errors.New("SLACK_SIGNING_SECRET is set but SLACK_LISTEN is empty: set the address the HTTP endpoints listen on (e.g. :8080), or unset the secret to use Socket Mode"))
		case c.SigningSecret == "" && c.Listen != "":
			errs = append(errs, errors.New("SLACK_LISTEN is set but SLACK_SIGNING_SECRET is empty: HTTP mode needs the Signing Secret from your Slack app's Basic Information page"))
		case c.AppToken == "":
			errs = append(errs, errors.New("SLACK_APP_TOKEN is empty: Socket Mode needs an app-level token (xapp-…) with connections:write, from Basic Information → App-Level Tokens; or use HTTP mode with SLACK_SIGNING_SECRET and SLACK_LISTEN"))
		case !strings.HasPrefix(c.AppToken, "xapp-"):
			errs = append(errs, fmt.Errorf("SLACK_APP_TOKEN starts with %q, not xapp-: generate an app-level token under Basic Information → App-Level Tokens", prefix(c.AppToken)))
		}
	}
	if c.ReviewChannel != "" && !channelID.MatchString(c.ReviewChannel) {
		errs = append(errs, fmt.Errorf("SLACK_REVIEW_CHANNEL %q is not a channel id: use the id (C…, shown at the bottom of the channel's details), not its name", c.ReviewChannel))
	}
	return errors.Join(append(errs, ops.CheckBaseURL("SLACK_API_URL", c.APIURL))...)
}

var channelID = regexp.MustCompile(`^[CG][A-Z0-9]{2,}$`)

var clientIDRe = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)

// prefix shows the start of a secret without revealing it.
func prefix(s string) string {
	if i := strings.IndexByte(s, '-'); i >= 0 && i < 6 {
		return s[:i+1]
	}
	if len(s) > 4 {
		return s[:4] + "…"
	}
	return s
}
