package chat

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/workspace"
	"github.com/whybot/whybot/prompts"
)

// Engine is the conversation engine as a chat platform uses it.
type Engine interface {
	Ask(ctx context.Context, ws *workspace.Workspace, req conversation.Request) (conversation.Reply, error)
	Decide(ctx context.Context, workspaceID, draftID string, by record.Actor, a conversation.Action) (conversation.Outcome, error)
}

// Markup is how a platform writes for people: its mentions and its escaping.
type Markup interface {
	// Mention is how the platform addresses a person of the profile.
	Mention(p *profile.Profile, handle string) string
	// MentionUser is how the platform addresses one of its users by id.
	MentionUser(id string) string
	// Escape makes untrusted text inert in the platform's markup.
	Escape(text string) string
}

// Platform is one chat platform's side of a conversation's thread.
type Platform interface {
	Markup
	// Say posts text in the thread once per key (delivery.Once), notifying the people
	// whose handles are in notify and nobody else.
	Say(ctx context.Context, p *profile.Profile, key, text string, notify []string) error
	// Card posts the review card of a draft in the workspace's review channel, once per key.
	Card(ctx context.Context, set *prompts.Set, p *profile.Profile, draftID, key string) error
}

// Who names an actor on a platform: a person by the platform's mention, a member of the
// reviewer role by their user mention, a web console account by name.
func Who(m Markup, p *profile.Profile, a record.Actor) string {
	switch a.Kind() {
	case record.ActorPerson:
		return m.Mention(p, a.Name())
	case record.ActorRoleMember:
		return m.MentionUser(a.Name())
	case record.ActorNone:
		return ""
	}
	return m.Escape(a.String())
}

// Mentioned renders text that names people as @handle for a platform: each @handle of to
// becomes the platform's mention, everything else is escaped.
func Mentioned(m Markup, p *profile.Profile, text string, to []string) string {
	hs := slices.Clone(to)
	slices.SortFunc(hs, func(a, b string) int { return len(b) - len(a) }) // @anna before @ann
	var b, plain strings.Builder
	for i := 0; i < len(text); {
		h := ""
		if text[i] == '@' {
			for _, x := range hs {
				if x != "" && strings.HasPrefix(text[i+1:], x) {
					h = x
					break
				}
			}
		}
		if h == "" {
			plain.WriteByte(text[i])
			i++
			continue
		}
		b.WriteString(m.Escape(plain.String()))
		plain.Reset()
		b.WriteString(m.Mention(p, h))
		i += 1 + len(h)
	}
	b.WriteString(m.Escape(plain.String()))
	return b.String()
}

// AtMarkup is the markup of a platform that mentions its users as <@ID>, as Slack and
// Discord do: a person by their id on the platform (ID reads it from the profile), else
// as @handle; untrusted text through Escaper.
type AtMarkup struct {
	ID      func(profile.Person) string
	Escaper func(string) string
}

// Mention addresses a person of the profile.
func (m AtMarkup) Mention(p *profile.Profile, handle string) string {
	if x, ok := p.Person(handle); ok && m.ID(x) != "" {
		return m.MentionUser(m.ID(x))
	}
	return "@" + handle
}

// MentionUser addresses a platform user by id.
func (AtMarkup) MentionUser(id string) string { return "<@" + id + ">" }

// Escape makes untrusted text inert.
func (m AtMarkup) Escape(text string) string { return m.Escaper(text) }

// SetAside is what a person who speaks to a workspace set aside is told, in the company's
// language when its profile still reads: the bot cannot answer until the team fixes the
// data or profile (the detail is for the operators: logs, /readyz, config check). ok is
// false when err is not a set-aside workspace.
func SetAside(err error) (text string, p *profile.Profile, ok bool) {
	var sa *workspace.SetAsideError
	if !errors.As(err, &sa) {
		return "", nil, false
	}
	p = sa.Profile
	if p == nil {
		p = &profile.Profile{Workspace: sa.ID, Company: sa.ID, Language: "en"}
	}
	set, serr := prompts.For(p.Language)
	if serr != nil {
		set, _ = prompts.For("en")
	}
	return set.Text("error.set_aside", map[string]string{"Company": p.Company}), p, true
}
