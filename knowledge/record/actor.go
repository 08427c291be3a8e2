package record

import "strings"

// Actor is who did something in a conversation: a person of the company's profile (by
// handle), a web console account, or a Discord member acting through the profile's
// reviewer role. It is stored as the handle, "web:NAME" or "discord:USERID"; code reads it
// through Kind and Name, never by its prefix.
type Actor string

// ActorKind is what kind of actor acted.
type ActorKind string

// The kinds of actors.
const (
	ActorNone       ActorKind = ""
	ActorPerson     ActorKind = "person"      // a person of the profile, by handle
	ActorAccount    ActorKind = "account"     // a web console account
	ActorRoleMember ActorKind = "role_member" // a Discord member of the profile's reviewer role
	ActorBot        ActorKind = "bot"         // whybot itself: the data it read, its rules, drafts and posts
)

// Bot is whybot itself, as the audit trail names it.
const Bot Actor = "whybot"

const (
	accountPrefix    = "web:"
	roleMemberPrefix = "discord:"
)

// Person is a person of the profile, by handle (lower case).
func Person(handle string) Actor { return Actor(strings.ToLower(strings.TrimSpace(handle))) }

// Account is a web console account, by name.
func Account(name string) Actor {
	return Actor(accountPrefix + strings.ToLower(strings.TrimSpace(name)))
}

// RoleMember is a Discord member acting through the reviewer role, by user id.
func RoleMember(discordUser string) Actor { return Actor(roleMemberPrefix + discordUser) }

// Kind is what kind of actor a is.
func (a Actor) Kind() ActorKind {
	switch {
	case a == "":
		return ActorNone
	case a == Bot:
		return ActorBot
	case strings.HasPrefix(string(a), accountPrefix):
		return ActorAccount
	case strings.HasPrefix(string(a), roleMemberPrefix):
		return ActorRoleMember
	}
	return ActorPerson
}

// Name is the actor without its kind: the handle, the account's name or the Discord user id.
func (a Actor) Name() string {
	switch a.Kind() {
	case ActorAccount:
		return string(a)[len(accountPrefix):]
	case ActorRoleMember:
		return string(a)[len(roleMemberPrefix):]
	}
	return string(a)
}

// String is the stored form.
func (a Actor) String() string { return string(a) }
