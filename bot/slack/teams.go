package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/whybot/whybot/knowledge/secret"
	"github.com/whybot/whybot/knowledge/store"
)

// InstallStore is where the installations of a multi-workspace app are kept.
type InstallStore interface {
	SlackInstall(ctx context.Context, team string) (store.SlackInstall, error)
	SlackInstallFor(ctx context.Context, workspace string) (store.SlackInstall, error)
	Workspace(ctx context.Context, id string) (store.Workspace, error)
	EndSlackInstall(ctx context.Context, team string, state store.InstallState, at time.Time) error
}

// sealedFor binds a team's sealed bot token to the team (secret.Keyring.Seal).
const sealedFor = "slack-team"

// ErrNotInstalled is the error for a team the app is not installed in (or that removed it)
// when there is no single SLACK_BOT_TOKEN to fall back on.
var ErrNotInstalled = errors.New("the Slack app is not installed in this team")

// Teams gives the Web API client of each Slack team: the team's own bot token from its
// installation (GET /slack/install), else the single SLACK_BOT_TOKEN of a one-company
// set-up. A token is opened once per installation and its client kept; a reinstall (a new
// sealed token) or a removal is seen on the next call, which reads one indexed row.
type Teams struct {
	Store  InstallStore
	Keys   *secret.Keyring
	Config Config          // the API URL, the call timeout, the app token
	Single *goslack.Client // the SLACK_BOT_TOKEN client; nil when every team installs
	Log    *slog.Logger

	mu    sync.Mutex
	cache map[string]teamClient
}

type teamClient struct {
	sealed string
	api    *goslack.Client
}

// Client is the Web API client of a team.
func (t *Teams) Client(ctx context.Context, team string) (*goslack.Client, error) {
	if t == nil {
		return nil, ErrNotInstalled
	}
	if t.Store == nil || team == "" {
		return t.single(team)
	}
	in, err := t.Store.SlackInstall(ctx, team)
	if errors.Is(err, store.ErrNotFound) {
		return t.single(team)
	}
	if err != nil {
		return nil, err
	}
	if in.State != store.InstallActive { // a team that removed the app gets nothing, not another team's token
		return nil, fmt.Errorf("team %s: %w (%s)", team, ErrNotInstalled, in.State)
	}
	return t.open(in)
}

func (t *Teams) single(team string) (*goslack.Client, error) {
	if t.Single != nil {
		return t.Single, nil
	}
	return nil, fmt.Errorf("team %s: %w", team, ErrNotInstalled)
}

func (t *Teams) open(in store.SlackInstall) (*goslack.Client, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if c, ok := t.cache[in.Team]; ok && c.sealed == in.Sealed {
		return c.api, nil
	}
	if !t.Keys.Has() {
		return nil, fmt.Errorf("team %s: its bot token is sealed but no secret key is set (WHYBOT_SECRET_KEY)", in.Team)
	}
	tok, err := t.Keys.Open(in.Sealed, sealedFor, in.Team)
	if err != nil {
		return nil, fmt.Errorf("team %s: open its bot token: %w", in.Team, err)
	}
	cfg := t.Config
	cfg.BotToken = string(tok)
	api := NewAPI(cfg, t.Log)
	if t.cache == nil {
		t.cache = map[string]teamClient{}
	}
	t.cache[in.Team] = teamClient{sealed: in.Sealed, api: api}
	return api, nil
}

// ForWorkspace is the client of the team a workspace is in: the profile's slack.team, else
// the team linked to it from the console, else the single token.
func (t *Teams) ForWorkspace(ctx context.Context, workspace string) (*goslack.Client, error) {
	if t == nil {
		return nil, ErrNotInstalled
	}
	if t.Store == nil {
		return t.single("")
	}
	if ws, err := t.Store.Workspace(ctx, workspace); err == nil {
		if team, _ := ws.PlatformKeys(); team != "" {
			return t.Client(ctx, team)
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	in, err := t.Store.SlackInstallFor(ctx, workspace)
	if errors.Is(err, store.ErrNotFound) {
		return t.single("workspace " + workspace)
	}
	if err != nil {
		return nil, err
	}
	return t.Client(ctx, in.Team)
}

// Forget drops a team's kept client (its token was revoked).
func (t *Teams) Forget(team string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.cache, team)
}

// Seal seals a team's bot token for its installation row.
func Seal(keys *secret.Keyring, team, token string) (sealed, keyID string, err error) {
	return keys.Seal([]byte(token), sealedFor, team)
}

type apiKey struct{}

// withAPI carries the client of the team a delivery came from.
func withAPI(ctx context.Context, api *goslack.Client) context.Context {
	return context.WithValue(ctx, apiKey{}, api)
}

// Reseal seals an installation's token again with the keyring's current key (secret
// rotate); changed is false when it already was, or the team holds no token.
func Reseal(keys *secret.Keyring, in store.SlackInstall) (out store.SlackInstall, changed bool, err error) {
	if in.State != store.InstallActive || in.KeyID == keys.Current() {
		return in, false, nil
	}
	tok, err := keys.Open(in.Sealed, sealedFor, in.Team)
	if err != nil {
		return in, false, fmt.Errorf("Slack team %s: %w", in.Team, err)
	}
	in.Sealed, in.KeyID, err = keys.Seal(tok, sealedFor, in.Team)
	return in, err == nil, err
}
