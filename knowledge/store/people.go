package store

import (
	"context"
	"time"
)

// ChatPerson is someone an owner or reviewer added (or changed) from Slack or Discord.
type ChatPerson struct {
	Workspace string    `json:"workspace"`
	Handle    string    `json:"handle"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Reviewer  bool      `json:"reviewer"`
	Slack     string    `json:"slack,omitempty"`
	Discord   string    `json:"discord,omitempty"`
	AddedBy   string    `json:"added_by"` // the handle of the person who added them
	AddedAt   time.Time `json:"added_at"`
	ChangedBy string    `json:"changed_by"`
	ChangedAt time.Time `json:"changed_at"`
}

// PeopleStore keeps the people added from chat.
type PeopleStore interface {
	// PutChatPerson adds a person or changes one (by handle), keeping who first added them,
	// and counts the change on the workspace (WorkspaceStamp.People).
	PutChatPerson(ctx context.Context, p ChatPerson) error
	// ChatPeople lists a workspace's people added from chat, by handle.
	ChatPeople(ctx context.Context, workspace string) ([]ChatPerson, error)
	// ChatPeopleLog lists every addition and change of a workspace's people from chat,
	// oldest first.
	ChatPeopleLog(ctx context.Context, workspace string) ([]PersonChange, error)
}

// PersonChange is one addition or change of a person from chat, as the audit keeps it.
type PersonChange struct {
	Handle   string    `json:"handle"`
	Action   string    `json:"action"` // added | changed
	Role     string    `json:"role"`
	Reviewer bool      `json:"reviewer"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
}
