package cli

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/whybot/whybot/bot/inbox"
)

// setting is one documented configuration setting. The README's configuration table is
// printed from this list (`whybot config table`), a test keeps the two equal, and another
// finds every environment variable the code reads and requires it to be listed here.
type setting struct {
	Name    string   // as shown: the flag and the variable
	Env     []string // the environment variables it covers
	Default string
	Meaning string
}

var settings = []setting{
	{Name: "`--db PATH` / `WHYBOT_DB`", Env: []string{"WHYBOT_DB", "XDG_DATA_HOME"}, Default: "`$XDG_DATA_HOME/whybot/whybot.db` (else `~/.local/share/whybot/whybot.db`)", Meaning: "the embedded SQLite file (WAL); created and migrated on first use"},
	{Name: "`DATABASE_URL`", Env: []string{"DATABASE_URL"}, Default: "empty", Meaning: "empty: the embedded SQLite file; `postgres://USER:PASS@HOST:5432/DB` (or `postgresql://`): PostgreSQL with pgvector through a pgx pool (`pool_max_conns=…` etc. in the URL); any other scheme is refused with the valid ones. PostgreSQL is never migrated implicitly: run `whybot migrate up` once per release"},
	{Name: "`WHYBOT_EMBEDDER`", Env: []string{"WHYBOT_EMBEDDER"}, Default: "`local`", Meaning: "`local` (built in, below), `openai` (any OpenAI-compatible API: OpenAI, llama.cpp, vLLM, LM Studio) or `ollama`"},
	{Name: "`WHYBOT_EMBED_MODEL`", Env: []string{"WHYBOT_EMBED_MODEL"}, Default: "none", Meaning: "the provider's embedding model, e.g. `text-embedding-3-small`, `nomic-embed-text`; required for `openai` and `ollama`"},
	{Name: "`WHYBOT_EMBED_DIM`", Env: []string{"WHYBOT_EMBED_DIM"}, Default: "`1536` (openai), `768` (ollama)", Meaning: "vector size; one of 256, 384, 512, 768, 1024, 1536 (the sizes both backends index)"},
	{Name: "`OPENAI_BASE_URL` / `OPENAI_API_KEY`", Env: []string{"OPENAI_BASE_URL", "OPENAI_API_KEY"}, Default: "OpenAI's / none", Meaning: "for `WHYBOT_EMBEDDER=openai` and `WHYBOT_LLM=openai`; the key is never printed or logged"},
	{Name: "`OLLAMA_HOST`", Env: []string{"OLLAMA_HOST"}, Default: "`http://127.0.0.1:11434`", Meaning: "for `WHYBOT_EMBEDDER=ollama`"},
	{Name: "`TEST_DATABASE_URL`", Env: []string{"TEST_DATABASE_URL"}, Default: "set by `deploy/postgres.sh`", Meaning: "the PostgreSQL the tests use (a schema per test)"},
	{Name: "`WHYBOT_WORKSPACES`", Env: []string{"WHYBOT_WORKSPACES"}, Default: "none", Meaning: "more workspace folders for `serve`, separated by `:` (as `--workspace`)"},
	{Name: "`SLACK_BOT_TOKEN`", Env: []string{"SLACK_BOT_TOKEN"}, Default: "none", Meaning: "Slack: the Bot User OAuth Token (`xoxb-…`); setting a Slack token or the signing secret turns Slack on (`SLACK_LISTEN` alone does not); validated by shape at start"},
	{Name: "`SLACK_APP_TOKEN`", Env: []string{"SLACK_APP_TOKEN"}, Default: "none", Meaning: "Slack Socket Mode (the default): an app-level token (`xapp-…`, scope `connections:write`)"},
	{Name: "`SLACK_SIGNING_SECRET`, `SLACK_LISTEN`", Env: []string{"SLACK_SIGNING_SECRET", "SLACK_LISTEN"}, Default: "none", Meaning: "Slack HTTP mode (both set): the app's Signing Secret and the address the endpoints listen on, e.g. `:8080`"},
	{Name: "`SLACK_CLIENT_ID`, `SLACK_CLIENT_SECRET`", Env: []string{"SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"}, Default: "none", Meaning: "Slack for many client workspaces: the app's Client ID and Secret; each client installs it from the web console (`/slack/install`, redirect URL `WHYBOT_PUBLIC_URL/slack/oauth/callback`) and its bot token is kept sealed with `WHYBOT_SECRET_KEY`; `SLACK_BOT_TOKEN` is then optional"},
	{Name: "`SLACK_REVIEW_CHANNEL`", Env: []string{"SLACK_REVIEW_CHANNEL"}, Default: "none", Meaning: "Slack: channel id (`C…`) for review cards of workspaces whose `company.yaml` names no `slack.review_channel`; start-up names any workspace left without one"},
	{Name: "`SLACK_API_URL`", Env: []string{"SLACK_API_URL"}, Default: "`https://slack.com/api/`", Meaning: "Slack Web API base URL (tests, corporate proxies); every Web API call the bot makes, Socket Mode's `apps.connections.open` included, goes there"},
	{Name: "`DISCORD_BOT_TOKEN`", Env: []string{"DISCORD_BOT_TOKEN"}, Default: "none", Meaning: "Discord: the bot's token (Developer Portal → Bot → Reset Token), without `Bot ` (whybot adds it); setting the token, application id or public key turns Discord on (`DISCORD_LISTEN` alone does not); checked with Discord at start"},
	{Name: "`DISCORD_APP_ID`", Env: []string{"DISCORD_APP_ID"}, Default: "none", Meaning: "Discord: the Application ID (General Information); start-up checks it is the token's application"},
	{Name: "`DISCORD_PUBLIC_KEY`, `DISCORD_LISTEN`", Env: []string{"DISCORD_PUBLIC_KEY", "DISCORD_LISTEN"}, Default: "none", Meaning: "Discord HTTP interactions mode (both set): the Public Key (64 hex characters) and the address of `POST /discord/interactions`, e.g. `:8081`; otherwise interactions come over the gateway"},
	{Name: "`DISCORD_REVIEW_CHANNEL`", Env: []string{"DISCORD_REVIEW_CHANNEL"}, Default: "none", Meaning: "Discord: channel id for review cards of workspaces whose `company.yaml` names no `discord.review_channel`"},
	{Name: "`DISCORD_API_URL`", Env: []string{"DISCORD_API_URL"}, Default: "`https://discord.com/api/v9`", Meaning: "Discord REST base (tests, proxies); the HTTP client's transport sends every REST call there, the gateway lookup included"},
	{Name: "`--web ADDR` / `WHYBOT_WEB_LISTEN`", Env: []string{"WHYBOT_WEB_LISTEN"}, Default: "none", Meaning: "`serve`: where the web console listens, e.g. `127.0.0.1:8080` (put TLS in front: its cookies are `Secure`); empty: no console"},
	{Name: "`--ops ADDR` / `WHYBOT_OPS_LISTEN`", Env: []string{"WHYBOT_OPS_LISTEN"}, Default: "none", Meaning: "`serve`: where `/healthz` (the process answers), `/readyz` (JSON: the database answers and its schema is current, the Slack and Discord connections are up; 503 while shutting down) and `/metrics` (Prometheus) listen, e.g. `:9090`; the web console's address serves both too"},
	{Name: "`WHYBOT_AXE`", Env: []string{"WHYBOT_AXE"}, Default: "`deploy/.cache/axe/…/axe.min.js` (test command)", Meaning: "axe-core's script for the browser tests' accessibility checks (`deploy/axe.sh` installs it from npm)"},
	{Name: "`WHYBOT_ARTIFACTS`", Env: []string{"WHYBOT_ARTIFACTS"}, Default: "`artifacts/` (test command)", Meaning: "where the browser test writes its screenshots"},
	{Name: "`WHYBOT_LLM`", Env: []string{"WHYBOT_LLM"}, Default: "`none`", Meaning: "the optional language model that reads messages and phrases drafts: `none`, `openai` (OpenAI or any OpenAI-compatible server: llama.cpp, vLLM, LM Studio; `OPENAI_BASE_URL`, `OPENAI_API_KEY`), `ollama` (`OLLAMA_HOST`) or `anthropic` (`ANTHROPIC_API_KEY`, `ANTHROPIC_BASE_URL`); validated at start of every command"},
	{Name: "`ANTHROPIC_API_KEY` / `ANTHROPIC_BASE_URL`", Env: []string{"ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"}, Default: "none / Anthropic's", Meaning: "for `WHYBOT_LLM=anthropic`; the key is never printed or logged"},
	{Name: "`WHYBOT_LLM_MODEL`", Env: []string{"WHYBOT_LLM_MODEL"}, Default: "none", Meaning: "the model, required when `WHYBOT_LLM` is set (no library default is used)"},
	{Name: "`WHYBOT_LLM_TIMEOUT`", Env: []string{"WHYBOT_LLM_TIMEOUT"}, Default: "`20s`", Meaning: "per call; a slower answer falls back to the parser's reading or the rules' draft"},
	{Name: "`WHYBOT_LLM_MAX_TOKENS`", Env: []string{"WHYBOT_LLM_MAX_TOKENS", "WHYBOT_LLM_LEGACY_MAX_TOKENS"}, Default: "`800`", Meaning: "output limit (50–8000); `WHYBOT_LLM_LEGACY_MAX_TOKENS=1` sends `max_tokens` for older OpenAI-compatible servers"},
	{Name: "`WHYBOT_SECRET_KEY`", Env: []string{"WHYBOT_SECRET_KEY"}, Default: "none (SQLite: the key file `DB.key` beside the database, made when first needed)", Meaning: "the key that seals the sources' credentials (XChaCha20-Poly1305, bound to workspace and source): 32 random bytes in base64, optionally named (`2026-12:BASE64`); `whybot secret new` makes one. Every replica needs the same key; never logged"},
	{Name: "`WHYBOT_SECRET_KEYS_OLD`", Env: []string{"WHYBOT_SECRET_KEYS_OLD"}, Default: "none", Meaning: "older keys, comma-separated, that only open: to rotate, make a new key current, keep the old one here, run `whybot secret rotate`, then drop it"},
	{Name: "`WHYBOT_SECRET_KEY_FILE`", Env: []string{"WHYBOT_SECRET_KEY_FILE"}, Default: "none", Meaning: "a file instead of `WHYBOT_SECRET_KEY`: its first line is the current key, the next lines old ones"},
	{Name: "`WHYBOT_GOOGLE_CLIENT_ID` / `WHYBOT_GOOGLE_CLIENT_SECRET`", Env: []string{"WHYBOT_GOOGLE_CLIENT_ID", "WHYBOT_GOOGLE_CLIENT_SECRET"}, Default: "none", Meaning: "the Google OAuth app whose refresh tokens GA4, Search Console, Sheets and Google Ads sources hold (a service account key needs none); publish the app: one left in Testing loses its refresh tokens after 7 days"},
	{Name: "`WHYBOT_HUBSPOT_CLIENT_ID` / `WHYBOT_HUBSPOT_CLIENT_SECRET`", Env: []string{"WHYBOT_HUBSPOT_CLIENT_ID", "WHYBOT_HUBSPOT_CLIENT_SECRET"}, Default: "none", Meaning: "the HubSpot OAuth app, for HubSpot sources connected by OAuth (a private app's token needs none)"},
	{Name: "`WHYBOT_GOOGLE_ADS_DEVELOPER_TOKEN`", Env: []string{"WHYBOT_GOOGLE_ADS_DEVELOPER_TOKEN"}, Default: "none", Meaning: "the agency's Google Ads developer token (API Center), sent with every Google Ads call"},
	{Name: "`WHYBOT_PUBLIC_URL`", Env: []string{"WHYBOT_PUBLIC_URL"}, Default: "the request's host over https", Meaning: "where the web console is reached, e.g. `https://whybot.agency.it`: the OAuth apps' redirect URL is this plus `/oauth/callback` (register it with Google and HubSpot)"},
	{Name: "`WHYBOT_SOURCE_ENDPOINTS`", Env: []string{"WHYBOT_SOURCE_ENDPOINTS"}, Default: "the platforms' own", Meaning: "other addresses for the platforms (tests, proxies): `ga4=URL,search_console=URL,sheets=URL,google_ads=URL,meta_ads=URL,hubspot=URL,google_token=URL,hubspot_token=URL`"},
	{Name: "`WHYBOT_LOG_LEVEL`", Env: []string{"WHYBOT_LOG_LEVEL"}, Default: "`warn`", Meaning: "`debug`, `info`, `warn`, `error`; logs go to stderr with `log/slog`"},
	{Name: "`WHYBOT_LOG_FORMAT`", Env: []string{"WHYBOT_LOG_FORMAT"}, Default: "`text`", Meaning: "`text` (one `key=value` line per record) or `json` (one object per line, for log collectors; the container image sets it). HTTP requests carry a `request_id` (the `X-Request-Id` header, else generated), conversations their `workspace` and `thread`; secrets, message text and names are never logged"},
	{Name: "`WHYBOT_SHUTDOWN_DRAIN`", Env: []string{"WHYBOT_SHUTDOWN_DRAIN"}, Default: "`0s`", Meaning: "`serve`: after SIGTERM, how long `/readyz` answers 503 while the replica keeps working, so the load balancer stops sending it requests before its listeners close (Kubernetes: `5s`)"},
	{Name: "`WHYBOT_SHUTDOWN_GRACE`", Env: []string{"WHYBOT_SHUTDOWN_GRACE"}, Default: "`25s`", Meaning: "`serve`: then how long in-flight HTTP requests, deliveries and jobs may take to finish; keep drain + grace below the orchestrator's kill deadline (Kubernetes `terminationGracePeriodSeconds`)"},
	{Name: "`WHYBOT_LEASE`", Env: []string{"WHYBOT_LEASE"}, Default: "`2m`", Meaning: "`serve`: how long a replica holds a claimed delivery or approved answer; when a replica dies, another takes its work over after this. Keep it above the slowest delivery (two language-model timeouts)"},
	{Name: "`WHYBOT_SWEEP_EVERY`", Env: []string{"WHYBOT_SWEEP_EVERY"}, Default: "`1m`", Meaning: "`serve`: how often approved answers whose post failed, or whose replica died, are looked for and posted"},
	{Name: "`WHYBOT_KNOWLEDGE_MEMORY`", Env: []string{"WHYBOT_KNOWLEDGE_MEMORY"}, Default: "`256` (MB)", Meaning: "`serve` and `web`: memory for the knowledge search graphs kept in the process (a workspace's first search builds its graph in the background, about 30 s per 100,000 chunks on one core; until then, and for a workspace whose graph does not fit, the database's index answers; the least recently searched graphs make room). About 1.2 KB per chunk at 256 dimensions, 6.3 KB at 1536. `0`: off"},
	{Name: "`WHYBOT_INBOX_RETENTION`", Env: []string{"WHYBOT_INBOX_RETENTION"}, Default: "`168h` (7 days)", Meaning: "`serve`: how long handled and failed platform deliveries are kept (a platform's retry inside it is still recognised); older ones are deleted every hour. At least `1h`: Slack and Discord retry within minutes"},
}

// settingsTable is the configuration table in Markdown, as the README shows it.
func settingsTable() string {
	var b strings.Builder
	b.WriteString("| setting | default | meaning |\n|---|---|---|\n")
	for _, s := range settings {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", s.Name, s.Default, s.Meaning)
	}
	return b.String()
}

// durationEnv reads a duration setting: empty is def; anything else must be a positive
// (or, with zero, non-negative) Go duration.
func durationEnv(getenv func(string) string, name string, def time.Duration, zeroOK bool) (time.Duration, error) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 || (d == 0 && !zeroOK) {
		return 0, fmt.Errorf("%s=%q is not a duration: use a positive number with a unit, e.g. 30s, 2m", name, v)
	}
	return d, nil
}

// serveTiming is serve's shutdown, lease and sweep settings.
type serveTiming struct {
	Drain, Grace, Lease, Sweep time.Duration
	Retention                  time.Duration // of handled inbox deliveries
}

// inbox is the lease and grace of the platforms' delivery loops.
func (t serveTiming) inbox() inbox.Timing { return inbox.Timing{Lease: t.Lease, Grace: t.Grace} }

// callTimeout bounds one chat platform API call: a quarter of the lease (at most 30 s, at
// least 1 s), so a replica gives up on a slow post well before another may take its work
// over, and the retry looks for the post instead of posting it again.
func (t serveTiming) callTimeout() time.Duration {
	return min(max(t.Lease/4, time.Second), 30*time.Second)
}

func serveTimingFromEnv(getenv func(string) string) (serveTiming, error) {
	var t serveTiming
	var errs [5]error
	t.Drain, errs[0] = durationEnv(getenv, "WHYBOT_SHUTDOWN_DRAIN", 0, true)
	t.Grace, errs[1] = durationEnv(getenv, "WHYBOT_SHUTDOWN_GRACE", 25*time.Second, false)
	t.Lease, errs[2] = durationEnv(getenv, "WHYBOT_LEASE", 2*time.Minute, false)
	t.Sweep, errs[3] = durationEnv(getenv, "WHYBOT_SWEEP_EVERY", time.Minute, false)
	t.Retention, errs[4] = durationEnv(getenv, "WHYBOT_INBOX_RETENTION", 7*24*time.Hour, false)
	if errs[4] == nil && t.Retention < time.Hour {
		errs[4] = fmt.Errorf("WHYBOT_INBOX_RETENTION=%s is shorter than a platform's retries: use at least 1h (the default is 168h)", t.Retention)
	}
	return t, errors.Join(errs[:]...)
}
