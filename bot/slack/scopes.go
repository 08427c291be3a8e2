package slack

// BotScopes are the OAuth scopes whybot's bot token needs, and why; deploy/slack/manifest.yaml
// asks for exactly these.
var BotScopes = map[string]string{
	"app_mentions:read": "receive @whybot mentions (app_mention)",
	"channels:history":  "receive replies in the threads of public channels (message.channels)",
	"groups:history":    "receive replies in the threads of private channels (message.groups)",
	"im:history":        "receive direct messages (message.im)",
	"chat:write":        "post questions, holding notes, review cards, approved answers and refusals (chat.postMessage, chat.update, chat.postEphemeral)",
	"commands":          "the /why slash command",
	"users:read":        "check that whoever clicks Approve is a person, not a bot (users.info)",
}

// BotEvents are the events whybot subscribes to.
var BotEvents = []string{"app_mention", "message.channels", "message.groups", "message.im", "app_uninstalled", "tokens_revoked"}
