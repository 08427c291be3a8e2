package slack

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/whybot/whybot/knowledge/secret"
	"github.com/whybot/whybot/knowledge/store"
)

// The install flow's paths, served by the web console (sign-in required).
const (
	InstallPath  = "/slack/install"
	CallbackPath = "/slack/oauth/callback"
)

// installCookie holds the flow's state, sealed, between the redirect to Slack and back.
const installCookie = "whybot_slack_install"

// installTTL is how long an install flow may take.
const installTTL = 10 * time.Minute

// InstallWriter stores installations.
type InstallWriter interface {
	PutSlackInstall(ctx context.Context, in store.SlackInstall) error
	SlackInstall(ctx context.Context, team string) (store.SlackInstall, error)
}

// Installer runs Slack's OAuth v2 installation of one app in many Slack teams: the bot
// token each team grants is sealed with the keyring, bound to the team, and stored with the
// whybot workspace the install was started for (if any).
type Installer struct {
	ClientID, ClientSecret string
	PublicURL              string // where Slack sends the installer back: PublicURL + CallbackPath
	AuthorizeURL           string // default https://slack.com/oauth/v2/authorize
	APIURL                 string // oauth.v2.access's base (SLACK_API_URL); default Slack's
	Keys                   *secret.Keyring
	Store                  InstallWriter
	HTTP                   *http.Client
	Now                    func() time.Time
}

// installState is what the sealed cookie carries.
type installState struct {
	State     string    `json:"state"`
	Account   string    `json:"account"`
	Workspace string    `json:"ws,omitempty"`
	Expires   time.Time `json:"exp"`
}

// InstallProblem is why an install was refused; Reason is a key the console words in the
// viewer's language.
type InstallProblem struct {
	Reason string // expired, forged, other_account, denied, exchange, no_token, no_key
	Detail string // the provider's error code, for the log
}

func (p *InstallProblem) Error() string {
	if p.Detail != "" {
		return "slack install: " + p.Reason + ": " + p.Detail
	}
	return "slack install: " + p.Reason
}

func (i *Installer) now() time.Time {
	if i.Now != nil {
		return i.Now()
	}
	return time.Now()
}

// Ready reports whether installs can run: the app's OAuth credentials, a public address
// and a secret key to seal tokens with.
func (i *Installer) Ready() bool {
	return i != nil && i.ClientID != "" && i.ClientSecret != "" && i.Keys.Has()
}

// Start sends the browser to Slack's consent page for the app's bot scopes, with a fresh
// state kept sealed in a cookie (any replica can take the callback).
func (i *Installer) Start(w http.ResponseWriter, r *http.Request, account, workspace string) error {
	if !i.Ready() {
		return &InstallProblem{Reason: "no_key"}
	}
	nonce := make([]byte, 24)
	_, _ = rand.Read(nonce)
	st := installState{State: base64.RawURLEncoding.EncodeToString(nonce), Account: account, Workspace: workspace, Expires: i.now().Add(installTTL)}
	b, _ := json.Marshal(st)
	sealed, _, err := i.Keys.Seal(b, "slack", "install-state")
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: installCookie, Value: sealed, Path: CallbackPath, MaxAge: int(installTTL.Seconds()), HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
	q := url.Values{"client_id": {i.ClientID}, "scope": {strings.Join(Scopes(), ",")}, "state": {st.State}, "redirect_uri": {i.redirect(r)}}
	http.Redirect(w, r, firstNonEmpty(i.AuthorizeURL, "https://slack.com/oauth/v2/authorize")+"?"+q.Encode(), http.StatusSeeOther)
	return nil
}

// Scopes are the bot scopes the app asks for, sorted.
func Scopes() []string {
	var out []string
	for s := range BotScopes {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

func (i *Installer) redirect(r *http.Request) string {
	base := strings.TrimRight(i.PublicURL, "/")
	if base == "" {
		base = "https://" + r.Host
	}
	return base + CallbackPath
}

// Finish takes Slack's answer: the state must be the one sealed in this browser's cookie,
// started by the same account less than ten minutes ago; the code is exchanged once at
// oauth.v2.access and the team's bot token stored sealed. Nothing is stored otherwise.
func (i *Installer) Finish(w http.ResponseWriter, r *http.Request, account string) (store.SlackInstall, error) {
	ctx := r.Context()
	var none store.SlackInstall
	if !i.Ready() {
		return none, &InstallProblem{Reason: "no_key"}
	}
	c, err := r.Cookie(installCookie)
	http.SetCookie(w, &http.Cookie{Name: installCookie, Path: CallbackPath, MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
	if err != nil || c.Value == "" {
		return none, &InstallProblem{Reason: "expired"}
	}
	plain, err := i.Keys.Open(c.Value, "slack", "install-state")
	var st installState
	if err != nil || json.Unmarshal(plain, &st) != nil {
		return none, &InstallProblem{Reason: "forged"}
	}
	q := r.URL.Query()
	switch {
	case subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(st.State)) != 1:
		return none, &InstallProblem{Reason: "forged"}
	case i.now().After(st.Expires):
		return none, &InstallProblem{Reason: "expired"}
	case st.Account != account:
		return none, &InstallProblem{Reason: "other_account"}
	case q.Get("error") != "":
		return none, &InstallProblem{Reason: "denied", Detail: clip(q.Get("error"))}
	}
	opts := []goslack.OAuthOption{}
	if i.APIURL != "" {
		opts = append(opts, goslack.OAuthOptionAPIURL(strings.TrimRight(i.APIURL, "/")+"/"))
	}
	hc := i.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := goslack.GetOAuthV2ResponseContext(ctx, hc, i.ClientID, i.ClientSecret, q.Get("code"), i.redirect(r), opts...)
	if err != nil {
		var se goslack.SlackErrorResponse
		detail := "request failed"
		if errors.As(err, &se) {
			detail = se.Err
		}
		return none, &InstallProblem{Reason: "exchange", Detail: clip(detail)}
	}
	if resp.AccessToken == "" || !strings.HasPrefix(resp.AccessToken, "xoxb-") || resp.Team.ID == "" {
		return none, &InstallProblem{Reason: "no_token"}
	}
	sealed, keyID, err := Seal(i.Keys, resp.Team.ID, resp.AccessToken)
	if err != nil {
		return none, err
	}
	now := i.now()
	in := store.SlackInstall{Team: resp.Team.ID, TeamName: resp.Team.Name, Workspace: st.Workspace, BotUser: resp.BotUserID, AppID: resp.AppID,
		Scopes: resp.Scope, InstalledBy: firstNonEmpty(resp.AuthedUser.ID, "web:"+account), State: store.InstallActive, KeyID: keyID, Sealed: sealed,
		InstalledAt: now, UpdatedAt: now}
	if err := i.Store.PutSlackInstall(ctx, in); err != nil {
		return none, fmt.Errorf("store Slack installation of %s: %w", in.Team, err)
	}
	return i.Store.SlackInstall(ctx, in.Team) // with the link a reinstall kept
}

// clip keeps a provider's error code short and plain for logs and pages.
func clip(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return s
}
