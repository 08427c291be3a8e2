package source

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"

	"github.com/whybot/whybot/knowledge/metric"
	"github.com/whybot/whybot/knowledge/profile"
)

// Credential is what a connection signs in with; it is stored encrypted per workspace
// (knowledge/secret) and never logged, printed or sent to a language model.
type Credential struct {
	// OAuth is a user's grant (the refresh token), for Google and HubSpot apps.
	OAuth *oauth2.Token `json:"oauth,omitempty"`
	// ServiceAccount is a Google service account's JSON key.
	ServiceAccount json.RawMessage `json:"service_account,omitempty"`
	// Token is a long-lived access token: a Meta system user's, a HubSpot private app's.
	Token string `json:"token,omitempty"`
	// DeveloperToken is Google Ads' developer token, sent with every call.
	DeveloperToken string `json:"developer_token,omitempty"`
	// DSN is the SQL source's connection string (a read-only user).
	DSN string `json:"dsn,omitempty"`
}

// Empty reports whether the credential holds nothing.
func (c Credential) Empty() bool {
	return c.OAuth == nil && len(c.ServiceAccount) == 0 && c.Token == "" && c.DSN == ""
}

// String never shows a secret.
func (c Credential) String() string { return "[credential]" }

// GoString never shows a secret.
func (c Credential) GoString() string { return "[credential]" }

// Env is what every connector shares: the HTTP client, the token buckets, the OAuth apps
// and, in tests, the fake platforms' addresses.
type Env struct {
	HTTP     *http.Client
	Limiters *Limiters
	// Endpoints replace a kind's base URL (https://analyticsdata.googleapis.com/, …): the
	// fakes in tests, a proxy in production.
	Endpoints map[string]string
	// OAuth are the OAuth apps by provider (google, hubspot) used to refresh tokens.
	OAuth   map[string]*oauth2.Config
	Retries int           // retries of a 429 or 5xx (default 3)
	MaxWait time.Duration // the longest Retry-After waited inside a pull (default 30 s); longer is a quota stop
	Sleep   func(ctx context.Context, d time.Duration) error
	Now     func() time.Time
	// Resolver reads field names as metric ids through the glossary.
	Resolver *metric.Resolver
	// Brand are the brand terms Search Console's branded queries are told by.
	Brand []string
	// Currency is the company's currency, recorded with money.
	Currency string
	// AdsDeveloperToken is the agency's Google Ads developer token, used by every Google
	// Ads source whose credential carries none.
	AdsDeveloperToken string
	// SQLTimeout is the statement timeout of a SQL source's query (default 30 s).
	SQLTimeout time.Duration
}

func (env *Env) defaults() {
	if env.HTTP == nil {
		env.HTTP = &http.Client{Timeout: 60 * time.Second}
	}
	if env.Limiters == nil {
		env.Limiters = &Limiters{}
	}
	if env.Retries == 0 {
		env.Retries = 3
	}
	if env.MaxWait == 0 {
		env.MaxWait = 30 * time.Second
	}
	if env.Sleep == nil {
		env.Sleep = sleepCtx
	}
	if env.SQLTimeout == 0 {
		env.SQLTimeout = SQLTimeout
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	if env.Resolver == nil {
		env.Resolver = metric.NewResolver(nil)
	}
}

// endpoint is the kind's base URL: the override, else def.
func (env *Env) endpoint(kind, def string) string {
	if u, ok := env.Endpoints[kind]; ok && u != "" {
		return strings.TrimRight(u, "/") + "/"
	}
	return def
}

// client is an HTTP client through the shared transport for one provider's connection;
// calls counts the requests made.
func (env *Env) client(kind, connection string, calls *int) *http.Client {
	base := env.HTTP.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c := *env.HTTP
	c.Transport = &transport{base: base, bucket: env.Limiters.For(kind, connection), retries: env.Retries, maxWait: env.MaxWait, sleep: env.Sleep, calls: calls}
	return &c
}

// googleClient is an authorized client for a Google API: a service account's key, or a
// user's OAuth grant refreshed through the google OAuth app.
func (env *Env) googleClient(ctx context.Context, s profile.Source, cred Credential, calls *int, scopes ...string) (*http.Client, error) {
	base := env.client(s.Kind, s.Name, calls)
	ctx = context.WithValue(ctx, oauth2.HTTPClient, base)
	switch {
	case len(cred.ServiceAccount) > 0:
		creds, err := google.CredentialsFromJSON(ctx, cred.ServiceAccount, scopes...)
		if err != nil {
			return nil, &Error{Source: s.Name, Kind: s.Kind, Reason: ReasonConfig, Detail: "the service account key is not a Google JSON key"}
		}
		return oauth2.NewClient(ctx, creds.TokenSource), nil
	case cred.OAuth != nil:
		app := env.OAuth["google"]
		if app == nil {
			return nil, &Error{Source: s.Name, Kind: s.Kind, Reason: ReasonConfig, Detail: "no Google OAuth app is configured (WHYBOT_GOOGLE_CLIENT_ID, WHYBOT_GOOGLE_CLIENT_SECRET)"}
		}
		return app.Client(ctx, cred.OAuth), nil
	}
	return nil, &Error{Source: s.Name, Kind: s.Kind, Reason: ReasonAuth, Detail: "not connected"}
}

// oauthErr reads a failed token refresh: an expired or revoked grant.
func oauthErr(e *Error, err error) (*Error, bool) {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return e, false
	}
	e.Reason = ReasonAuth
	e.Status = re.Response.StatusCode
	e.Detail = "the sign-in was refused: " + re.ErrorCode
	if re.ErrorCode == "invalid_grant" {
		e.Detail = "the refresh token expired or was revoked (a Google OAuth app left in Testing loses them after 7 days: publish it)"
	}
	e.Err = fmt.Errorf("token refresh: %s", re.ErrorCode) // never the body: it may echo a secret
	return e, true
}

// New builds the connector of one declared source.
func New(s profile.Source, cred Credential, env Env) (Source, error) {
	env.defaults()
	switch s.Kind {
	case "https":
		return &httpsFile{decl: s, env: env}, nil
	case "sheets":
		return &sheets{decl: s, env: env, cred: cred}, nil
	case "ga4":
		return &ga4{decl: s, env: env, cred: cred}, nil
	case "search_console":
		return &searchConsole{decl: s, env: env, cred: cred}, nil
	case "google_ads":
		return &googleAds{decl: s, env: env, cred: cred}, nil
	case "meta_ads":
		return &metaAds{decl: s, env: env, cred: cred}, nil
	case "hubspot":
		return &hubspot{decl: s, env: env, cred: cred}, nil
	case "sql":
		return &sqlSource{decl: s, env: env, cred: cred}, nil
	}
	return nil, &Error{Source: s.Name, Kind: s.Kind, Reason: ReasonConfig, Detail: "unknown kind"}
}
