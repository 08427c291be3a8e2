package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"
	"golang.org/x/sync/errgroup"

	"github.com/whybot/whybot/bot/chat"
	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/bot/discord"
	"github.com/whybot/whybot/bot/inbox"
	"github.com/whybot/whybot/bot/ops"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/store/backend"
	"github.com/whybot/whybot/knowledge/workspace"
)

// discordSide is serve's Discord transport.
type discordSide struct {
	cfg    discord.Config
	api    *discordgo.Session
	id     discord.Identity
	self   *discord.Self // the bot's user id, once Discord told it
	worker *discord.Worker
	// unreachable is why Discord could not be asked who the bot is at start-up (network,
	// 5xx): the replica starts anyway and asks again in the background.
	unreachable error
}

// openDiscord checks the workspaces and the bot token (with Discord) before serving. A
// refused token or a wrong application id stops start-up; a Discord that does not answer
// does not: everything else starts, and Discord connects when it can.
func (e *env) openDiscord(ctx context.Context, s backend.DB, cfg discord.Config, timing inbox.Timing, reg *workspace.Registry) (*discordSide, error) {
	if err := checkDiscordWorkspaces(ctx, s, cfg); err != nil {
		return nil, err
	}
	discord.RouteLogs(e.log)
	api, err := discord.NewSession(cfg)
	if err != nil {
		return nil, err
	}
	d := &discordSide{cfg: cfg, api: api, self: &discord.Self{}}
	d.id, err = discord.Check(ctx, api, cfg.AppID)
	switch {
	case errors.Is(err, discord.ErrUnreachable):
		d.unreachable = err
		e.log.WarnContext(ctx, "Discord does not answer; starting without it and trying again in the background", "err", err)
	case err != nil:
		return nil, &conversation.UserError{Reason: "the Discord settings are not usable: " + err.Error(), Err: err}
	}
	d.worker = &discord.Worker{Worker: chat.Worker{Store: s, ReviewChannel: cfg.ReviewChannel, Log: e.log, Timing: timing, Workspaces: reg}, API: api}
	return d, nil
}

// start runs the HTTP endpoint (when set), and once Discord has said who the bot is, the
// worker and the gateway; it says what it started. /readyz's "discord" check says why
// Discord is not ready while it is not.
func (d *discordSide) start(ctx context.Context, g *errgroup.Group, e *env, s backend.DB, eng *conversation.Engine, health *ops.Health) (string, error) {
	d.worker.Engine = eng
	responder := &discord.Responder{Store: s, Wake: d.worker.Wake, Log: e.log}
	mode := ""
	if d.cfg.HTTPMode() {
		key, err := discord.ParseKey(d.cfg.PublicKey)
		if err != nil {
			return "", &conversation.UserError{Reason: "DISCORD_PUBLIC_KEY: " + err.Error()}
		}
		in := &discord.Ingress{Key: key, Responder: responder, Log: e.log}
		addr, err := serveHTTP(ctx, g, d.worker.Timing.Grace, d.cfg.Listen, "DISCORD_LISTEN", in.Handler())
		if err != nil {
			return "", err
		}
		// messages (mentions, answers in threads, direct messages) only come over the
		// gateway; with an endpoint set, Discord sends interactions to the endpoint alone.
		// Each replica's gateway gets the same messages: the inbox keeps one of each.
		mode = fmt.Sprintf("Discord interactions over HTTP on %s (/discord/interactions); messages over the gateway", addr)
	}
	gw := &discord.Gateway{Session: d.api, Responder: responder, Inbox: s, Wake: d.worker.Wake, Log: e.log}
	var known atomic.Bool
	var lastErr atomic.Pointer[error]
	lastErr.Store(&d.unreachable)
	health.Add("discord", func(ctx context.Context) error {
		if !known.Load() {
			return fmt.Errorf("Discord does not answer yet, retrying: %v", *lastErr.Load())
		}
		return gw.Ready(ctx)
	})
	run := func() error {
		if d.unreachable != nil && !d.identify(ctx, e, &lastErr) {
			return nil
		}
		d.self.Set(d.id.BotUser)
		d.worker.BotUser, gw.MessageContent = d.id.BotUser, d.id.MessageContent
		known.Store(true)
		if !d.id.MessageContent {
			fmt.Fprintln(e.stderr, "whybot: the Discord application does not have the Message Content intent: /why, mentions and direct messages work, "+
				"but answers in a thread must mention the bot. Turn it on in Developer Portal → Bot → Privileged Gateway Intents → Message Content Intent, then restart.")
		}
		g.Go(func() error { return d.worker.Run(ctx, time.Second) })
		return gw.Run(ctx)
	}
	g.Go(run)
	if d.unreachable != nil {
		return strings.TrimPrefix(mode+"; ", "; ") + "Discord not reachable yet: connecting in the background", nil
	}
	if mode != "" {
		return mode + " as " + d.id.BotName, nil
	}
	return "Discord over the gateway as " + d.id.BotName, nil
}

// identify asks Discord who the bot is until it answers (backoff 1 s doubling to a
// minute); it reports false when ctx ended first, or stops on a refused token.
func (d *discordSide) identify(ctx context.Context, e *env, lastErr *atomic.Pointer[error]) bool {
	wait := time.Second
	for {
		if !discord.Sleep(ctx, wait) {
			return false
		}
		id, err := discord.Check(ctx, d.api, d.cfg.AppID)
		if err == nil {
			d.id = id
			e.log.InfoContext(ctx, "Discord answered; connecting", "bot", id.BotName)
			return true
		}
		lastErr.Store(&err)
		e.log.WarnContext(ctx, "Discord still does not answer; trying again", "in", wait, "err", err)
		wait = min(2*wait, time.Minute)
	}
}

// serveHTTP serves handler on addr until ctx ends, then shuts down gracefully: it stops
// accepting and lets requests in flight finish, for up to grace.
func serveHTTP(ctx context.Context, g *errgroup.Group, grace time.Duration, addr, setting string, handler http.Handler) (net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, &conversation.UserError{Reason: fmt.Sprintf("%s %s: %v: choose a free address, e.g. :8080", setting, addr, err)}
	}
	srv := &http.Server{Handler: ops.RequestID(handler), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("%s %s: %w", setting, addr, err)
		}
		return nil
	})
	g.Go(func() error {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
		defer cancel()
		return srv.Shutdown(sctx)
	})
	return ln.Addr(), nil
}

// checkDiscordWorkspaces makes sure some workspace names a Discord server and each such
// workspace has a review channel.
func checkDiscordWorkspaces(ctx context.Context, s backend.DB, cfg discord.Config) error {
	return checkWorkspaces(ctx, s, platformCheck{place: "Discord server", fallback: cfg.ReviewChannel,
		settings: func(p *profile.Profile) (string, string) { return p.Discord.Guild, p.Discord.ReviewChannel },
		how:      "discord.review_channel in its company.yaml, or DISCORD_REVIEW_CHANNEL",
		none:     "Discord is configured but no workspace names a Discord server: add `discord: {guild: \"…\", review_channel: \"…\"}` to company.yaml and start with --workspace DIR"})
}

// discordCmd is `whybot discord register`: it installs /why globally (which can take up
// to an hour to show) and in each server named by --guild or by the workspaces' profiles
// (at once).
func (e *env) discordCmd(args []string) error {
	fs := newFlags("discord", e)
	var guilds, dirs strList
	fs.Var(&guilds, "guild", "a server id to register /why in at once (repeatable)")
	fs.Var(&dirs, "workspace", "a workspace folder whose discord.guild to register in (repeatable; also WHYBOT_WORKSPACES)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] != "register" {
		return usagef("discord needs register: whybot discord register [--guild ID…] [--workspace DIR…]")
	}
	for _, d := range workspaceDirs(dirs) {
		ws, err := loadDir(d)
		if err != nil {
			return err
		}
		if g := ws.Profile.Discord.Guild; g != "" && !slices.Contains(guilds, g) {
			guilds = append(guilds, g)
		}
	}
	cfg := discord.FromEnv(os.Getenv)
	cfg.PublicKey, cfg.Listen = "", "" // not needed to register
	if err := cfg.Validate(); err != nil {
		return &conversation.UserError{Reason: "the Discord settings are not usable:\n" + err.Error()}
	}
	api, err := discord.NewSession(cfg)
	if err != nil {
		return err
	}
	if err := discord.Register(e.ctx, api, cfg.AppID, guilds); err != nil {
		return &conversation.UserError{Reason: err.Error(), Err: err}
	}
	fmt.Fprintf(e.stdout, "registered /why globally (it may take up to an hour to appear)")
	if len(guilds) > 0 {
		fmt.Fprintf(e.stdout, " and in %d server(s): %s", len(guilds), strings.Join(guilds, ", "))
	}
	fmt.Fprintln(e.stdout)
	return nil
}
