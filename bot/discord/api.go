package discord

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
)

// DefaultAPIURL is the REST base every call goes to unless DISCORD_API_URL says otherwise.
var DefaultAPIURL = strings.TrimSuffix(discordgo.EndpointAPI, "/")

// NewSession is a discordgo session for the bot token (sent as "Bot TOKEN"). Every REST
// call it makes, including the gateway lookup, goes through an HTTP client whose transport
// sends it to cfg.APIURL when set. discordgo's own waiting on 429 is off: it sleeps without
// a deadline and retries without a bound, so whybot waits itself (call), bounded and
// cancellable.
func NewSession(cfg Config) (*discordgo.Session, error) {
	s, err := discordgo.New("Bot " + cfg.BotToken)
	if err != nil {
		return nil, fmt.Errorf("discord session: %w", err)
	}
	var next http.RoundTripper = http.DefaultTransport
	if cfg.APIURL != "" && strings.TrimSuffix(cfg.APIURL, "/") != DefaultAPIURL {
		base, err := url.Parse(strings.TrimSuffix(cfg.APIURL, "/"))
		if err != nil {
			return nil, fmt.Errorf("DISCORD_API_URL %q: %w", cfg.APIURL, err)
		}
		next = redirect{base: base, next: next}
	}
	timeout := cfg.CallTimeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	s.Client = &http.Client{Transport: next, Timeout: timeout}
	s.ShouldRetryOnRateLimit = false
	s.MaxRestRetries = 1
	s.ShouldReconnectOnError = true
	return s, nil
}

// redirect sends requests for Discord's REST API to another base URL.
type redirect struct {
	base *url.URL
	next http.RoundTripper
}

func (r redirect) RoundTrip(req *http.Request) (*http.Response, error) {
	rest, ok := strings.CutPrefix(req.URL.String(), discordgo.EndpointAPI)
	if !ok {
		return r.next.RoundTrip(req)
	}
	u, err := url.Parse(r.base.String() + "/" + rest)
	if err != nil {
		return nil, fmt.Errorf("redirect %s: %w", req.URL.Path, err)
	}
	req = req.Clone(req.Context())
	req.URL, req.Host = u, u.Host
	return r.next.RoundTrip(req)
}

// maxAttempts bounds the tries of one REST call that keeps getting 429.
const maxAttempts = 5

// call makes one REST call, waiting out rate limits as Discord says (retry_after, per
// route or global), at most maxAttempts times, and gives up when ctx ends. Any other error
// is returned at once: whybot never loops on an invalid request (Discord bans clients
// that make too many).
func call(ctx context.Context, log *slog.Logger, what string, fn func(opts ...discordgo.RequestOption) error) error {
	for i := 1; ; i++ {
		err := fn(discordgo.WithContext(ctx))
		var rl *discordgo.RateLimitError
		if err == nil || !errors.As(err, &rl) || i >= maxAttempts {
			return err
		}
		wait := rl.RetryAfter
		if wait <= 0 {
			wait = time.Second
		}
		if log != nil {
			log.WarnContext(ctx, "discord rate limit: waiting as told", "call", what, "retry_after", wait, "attempt", i)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// apiCode is Discord's JSON error code of a failed call, or 0.
func apiCode(err error) int {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Message != nil {
		return re.Message.Code
	}
	return 0
}

// escape makes untrusted text inert in Discord's markdown: no mentions, links, headings
// or formatting can be smuggled in through a question, a draft or a reason.
func escape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '*', '_', '~', '`', '|', '<', '>', '[', ']', '(', ')', '#', '-', ':':
			b.WriteByte('\\')
		case '@':
			b.WriteString("@\u200b") // @everyone and @here become text
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// maxContent is Discord's limit for a message's text, in characters.
const maxContent = 2000

// split cuts a text into messages Discord accepts, at paragraph, line or word breaks.
func split(text string, max int) []string {
	var out []string
	for r := []rune(text); len(r) > 0; {
		if len(r) <= max {
			out = append(out, strings.TrimSpace(string(r)))
			break
		}
		cut := max
		for _, sep := range []string{"\n\n", "\n", " "} {
			if i := strings.LastIndex(string(r[:max]), sep); i > 0 {
				cut = len([]rune(string(r[:max])[:i]))
				break
			}
		}
		out = append(out, strings.TrimSpace(string(r[:cut])))
		r = []rune(strings.TrimLeft(string(r[cut:]), " \n"))
	}
	return out
}

// noMentions lets a message ping nobody; mentions of the given users still ping them.
func noMentions(users ...string) *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}, Users: users}
}

// RouteLogs sends discordgo's own log lines (connection trouble, reconnects) to log; it
// sets discordgo's package-wide logger, so serve calls it once.
func RouteLogs(log *slog.Logger) {
	discordgo.Logger = func(level, caller int, format string, a ...any) {
		l := slog.LevelInfo
		switch level {
		case discordgo.LogError:
			l = slog.LevelError
		case discordgo.LogWarning:
			l = slog.LevelWarn
		case discordgo.LogDebug:
			l = slog.LevelDebug
		}
		log.Log(context.Background(), l, "discordgo: "+fmt.Sprintf(format, a...))
	}
}
