package chart

import (
	"context"
	"fmt"

	"github.com/whybot/whybot/bot/conversation"
	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/workspace"
)

// Drafts is where a draft's evidence is read.
type Drafts interface {
	Draft(ctx context.Context, workspace, id string) (store.Draft, error)
}

// Pictures draws the chart of each approved answer about a trend, from the workspace's
// data (conversation.Pictures).
type Pictures struct {
	Drafts     Drafts
	Workspaces *workspace.Registry
}

var _ conversation.Pictures = Pictures{}

// Picture is a draft's chart; nil when its answer is not about a trend.
func (p Pictures) Picture(ctx context.Context, wsID, draftID string) (*conversation.Picture, error) {
	c, ok, err := p.Chart(ctx, wsID, draftID)
	if err != nil || !ok {
		return nil, err
	}
	b, err := c.PNG()
	if err != nil {
		return nil, err
	}
	return &conversation.Picture{Name: c.Metric + ".png", Alt: c.Alt, PNG: b}, nil
}

// Chart is a draft's chart, in the draft's language.
func (p Pictures) Chart(ctx context.Context, wsID, draftID string) (Chart, bool, error) {
	d, err := p.Drafts.Draft(ctx, wsID, draftID)
	if err != nil {
		return Chart{}, false, err
	}
	ev, err := record.Decode[record.Evidence](d.Evidence)
	if err != nil {
		return Chart{}, false, fmt.Errorf("evidence of %s: %w", draftID, err)
	}
	ws, err := p.Workspaces.Find(ctx, store.WorkspaceKey{ID: wsID})
	if err != nil || ws == nil {
		return Chart{}, false, err
	}
	c, ok := ForDraft(ws, ev, firstLang(d.Language))
	return c, ok, nil
}

func firstLang(l string) string {
	if l == "" {
		return "it"
	}
	return l
}
