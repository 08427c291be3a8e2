package chat

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/prompts"
)

// People are the people commands of Slack and Discord: an owner or a reviewer adds or
// changes someone («@whybot aggiungi @giulia come marketing», "add @giulia as sales and
// reviewer"), and anyone lists the team («@whybot persone», "/why people"). What is added
// is stored with who added it (store.PeopleStore) and joins the workspace's people on
// every replica's next message; company.yaml's people win where both exist.
type People struct {
	Store    store.PeopleStore
	Platform string // slack | discord: which id the mention is
	// NameOf is the platform's name of a user id (users.info, the mention's username).
	NameOf func(ctx context.Context, id string) (string, error)
	Now    func() time.Time
}

var (
	joinRe     = regexp.MustCompile(`(?i)^\s*(?:aggiungi|add|cambia|change|imposta|set)\s+<@!?([A-Za-z0-9]+)(?:\|[^>]*)?>\s+(?:come|as|to|a)\s+(.+?)\s*[.!]*\s*$`)
	reviewerRe = regexp.MustCompile(`(?i)\s+(?:e|and|,)\s*(?:anche\s+)?(?:revisore|revisora|reviewer|revisori)\s*$`)
	listWords  = []string{"people", "persone", "team", "chi c'è", "chi ce", "squadra"}
)

// Handle answers text when it is a people command; ok is false when it is not one.
func (c People) Handle(ctx context.Context, p *profile.Profile, by profile.Person, text string) (reply string, ok bool, err error) {
	set, err := prompts.For(p.Language)
	if err != nil {
		return "", false, err
	}
	clean := strings.ToLower(strings.Trim(strings.TrimSpace(text), ".?!"))
	if slices.Contains(listWords, clean) {
		list, err := c.list(ctx, p, set)
		return list, true, err
	}
	m := joinRe.FindStringSubmatch(text)
	if m == nil {
		if strings.HasPrefix(clean, "aggiungi ") || strings.HasPrefix(clean, "add ") {
			return set.Text("people.usage", nil), true, nil
		}
		return "", false, nil
	}
	user, roleText := m[1], m[2]
	reviewer := reviewerRe.MatchString(roleText)
	roleText = reviewerRe.ReplaceAllString(roleText, "")
	if !by.Reviewer && by.Role != "owner" {
		return set.Text("people.not_allowed", map[string]any{"Company": p.Company}), true, nil
	}
	role, known := p.RoleFromWord(roleText)
	if !known {
		return set.Text("people.unknown_role", map[string]any{"Word": roleText, "Roles": c.roleList(p, set)}), true, nil
	}
	return c.join(ctx, p, set, by, user, role, reviewer)
}

func (c People) join(ctx context.Context, p *profile.Profile, set *prompts.Set, by profile.Person, user, role string, reviewer bool) (string, bool, error) {
	if x, found := c.byPlatform(p, user); found && !c.fromChat(ctx, p, x.Handle) {
		return set.Text("people.in_profile", map[string]any{"Name": x.DisplayName(), "Handle": x.Handle, "Role": roleName(p, set, x.Role)}), true, nil
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	x, changing := c.byPlatform(p, user)
	cp := store.ChatPerson{Workspace: p.Workspace, Role: role, Reviewer: reviewer, AddedBy: by.Handle, AddedAt: now().UTC(), ChangedBy: by.Handle, ChangedAt: now().UTC()}
	if changing {
		cp.Handle, cp.Name = x.Handle, x.Name
	} else {
		name := ""
		if c.NameOf != nil {
			n, err := c.NameOf(ctx, user)
			if err != nil {
				return "", true, fmt.Errorf("name of %s user %s: %w", c.Platform, user, err)
			}
			name = n
		}
		cp.Name, cp.Handle = name, p.NewHandle(name)
	}
	if c.Platform == "discord" {
		cp.Discord = user
	} else {
		cp.Slack = user
	}
	if err := c.Store.PutChatPerson(ctx, cp); err != nil {
		return "", true, err
	}
	key := "people.added"
	if changing {
		key = "people.changed"
	}
	return set.Text(key, map[string]any{"Name": profile.Person{Handle: cp.Handle, Name: cp.Name}.DisplayName(), "Handle": cp.Handle,
		"Role": roleName(p, set, role), "Reviewer": reviewer, "Company": p.Company}), true, nil
}

func (c People) byPlatform(p *profile.Profile, user string) (profile.Person, bool) {
	if c.Platform == "discord" {
		return p.ByDiscord(user)
	}
	return p.BySlack(user)
}

// fromChat reports whether a handle was added from chat (else company.yaml has it).
func (c People) fromChat(ctx context.Context, p *profile.Profile, handle string) bool {
	people, err := c.Store.ChatPeople(ctx, p.Workspace)
	if err != nil {
		return false
	}
	return slices.ContainsFunc(people, func(x store.ChatPerson) bool { return x.Handle == handle })
}

func (c People) list(ctx context.Context, p *profile.Profile, set *prompts.Set) (string, error) {
	added, err := c.Store.ChatPeople(ctx, p.Workspace)
	if err != nil {
		return "", err
	}
	by := map[string]string{}
	for _, x := range added {
		by[x.Handle] = x.AddedBy
	}
	type row struct {
		Name, Handle, Role, By string
		Reviewer, Chat         bool
	}
	var rows []row
	for _, x := range p.People {
		r := row{Name: x.DisplayName(), Handle: x.Handle, Role: roleName(p, set, x.Role), Reviewer: x.Reviewer}
		if a, ok := by[x.Handle]; ok {
			r.Chat, r.By = true, a
		}
		rows = append(rows, r)
	}
	return set.Text("people.list", map[string]any{"Company": p.Company, "People": rows}), nil
}

func (c People) roleList(p *profile.Profile, set *prompts.Set) string {
	names := []string{}
	for _, r := range []string{"owner", "marketing", "sales", "agency", "other"} {
		names = append(names, set.Text("ui.role."+r, nil))
	}
	for _, r := range p.Roles {
		names = append(names, firstNonEmpty(r.Labels[p.Language], r.Name))
	}
	return strings.Join(names, ", ")
}

// roleName is how a role is said in the set's language.
func roleName(p *profile.Profile, set *prompts.Set, role string) string {
	if l := p.RoleLabel(role, set.Lang); l != "" {
		return l
	}
	if set.Has("ui.role." + role) {
		return set.Text("ui.role."+role, nil)
	}
	return role
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
