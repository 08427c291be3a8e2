package conversation

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/whybot/whybot/knowledge/profile"
	"github.com/whybot/whybot/knowledge/record"
	"github.com/whybot/whybot/knowledge/store"
	"github.com/whybot/whybot/knowledge/workspace"
)

// Action is what a reviewer does with a draft.
type Action struct {
	Approve    bool
	EditedText string // with Approve: the text to post instead of the draft's
	Reason     string // to reject
	// Role is a platform role the transport verified the actor holds (Discord sends a
	// member's roles with the signed interaction). It makes a record.RoleMember actor a
	// reviewer when the profile names it as the reviewer role.
	Role string
}

// Accounts is where the engine checks a web console account's grants.
type Accounts interface {
	Account(ctx context.Context, name string) (store.Account, error)
}

// WithAccounts lets web console accounts review the workspaces they are granted.
func WithAccounts(a Accounts) Option { return func(e *Engine) { e.accounts = a } }

// Outcome is the result of a decision.
type Outcome struct {
	Draft          store.Draft `json:"draft"`
	AlreadyDecided bool        `json:"already_decided"` // a repeated approval: nothing changed
	Posted         bool        `json:"posted"`          // this call posted the answer
	PostError      string      `json:"post_error,omitempty"`
}

// Decide applies a reviewer's action to a draft. Only people marked reviewer in the
// workspace's profile may act. Approving an approved draft again changes nothing and
// posts nothing new; it only finishes a post that an earlier attempt left pending.
func (e *Engine) Decide(ctx context.Context, workspaceID, draftID string, by record.Actor, a Action) (Outcome, error) {
	p, err := workspace.ProfileByID(ctx, e.store, workspaceID)
	if err != nil {
		return Outcome{}, err
	}
	decider, err := e.reviewer(ctx, p, by, a.Role)
	if err != nil {
		return Outcome{}, err
	}
	if !a.Approve && strings.TrimSpace(a.Reason) == "" {
		return Outcome{}, &UserError{Reason: "a rejection needs a reason: say why, so the team can learn from it", Key: "reject_needs_reason"}
	}
	if a.Approve && a.EditedText != "" && strings.TrimSpace(a.EditedText) == "" {
		return Outcome{}, &UserError{Reason: "the edited text is empty: reject the draft instead, with a reason", Key: "edit_empty"}
	}
	d, err := e.store.Draft(ctx, workspaceID, draftID)
	if errors.Is(err, store.ErrNotFound) {
		return Outcome{}, &UserError{Reason: fmt.Sprintf("draft %s does not exist in workspace %s", draftID, workspaceID), Err: err,
			Key: "no_draft", Args: map[string]any{"Draft": draftID}}
	}
	if err != nil {
		return Outcome{}, err
	}
	if a.Approve && a.EditedText == "" && (d.State == store.DraftApproved || d.State == store.DraftPosted) {
		out := Outcome{Draft: d, AlreadyDecided: true}
		if d.State == store.DraftApproved {
			out.Posted, err = e.Deliver(ctx, workspaceID, draftID)
			if err != nil {
				out.PostError = err.Error()
			}
			out.Draft, _ = e.store.Draft(ctx, workspaceID, draftID)
		}
		return out, nil
	}
	d, err = e.store.Decide(ctx, store.Decision{Workspace: workspaceID, DraftID: draftID, By: decider, At: e.now().UTC(),
		Approve: a.Approve, EditedText: strings.TrimSpace(a.EditedText), Reason: strings.TrimSpace(a.Reason)})
	if errors.Is(err, store.ErrInvalidTransition) || errors.Is(err, store.ErrConflict) {
		cur, _ := e.store.Draft(ctx, workspaceID, draftID)
		if a.Approve && a.EditedText == "" && (cur.State == store.DraftApproved || cur.State == store.DraftPosted) {
			return Outcome{Draft: cur, AlreadyDecided: true}, nil // a concurrent approval won
		}
		reason := fmt.Sprintf("draft %s is %s", draftID, cur.State)
		if cur.DecidedBy != "" {
			reason += " by " + cur.DecidedBy.String()
		}
		return Outcome{Draft: cur}, &UserError{Reason: reason + ": it can no longer be changed", Err: err,
			Key: "draft_decided", Args: map[string]any{"Draft": draftID, "State": string(cur.State)}}
	}
	if err != nil {
		return Outcome{}, err
	}
	out := Outcome{Draft: d}
	if d.DecidedAt != nil {
		e.obs.Decided(string(d.State), d.Edited, d.DecidedAt.Sub(d.CreatedAt))
	}
	e.log.InfoContext(ctx, "decision", "workspace", workspaceID, "draft", draftID, "by", decider, "state", d.State, "edited", d.Edited)
	if a.Approve && e.knowledge != nil {
		e.learn(ctx, d)
	}
	if a.Approve && e.queued {
		if e.wake != nil {
			e.wake()
		}
		return out, nil
	}
	if a.Approve {
		out.Posted, err = e.Deliver(ctx, workspaceID, draftID)
		if err != nil {
			out.PostError = err.Error() // approval stands; the outbox retries
		}
		out.Draft, _ = e.store.Draft(ctx, workspaceID, draftID)
	}
	return out, nil
}

// Deliver posts an approved draft through its transport, exactly once: the outbox row is
// claimed before posting and marked sent after. It reports whether this call posted.
func (e *Engine) Deliver(ctx context.Context, workspaceID, draftID string) (bool, error) {
	o, ok, err := e.store.ClaimOutbox(ctx, workspaceID, draftID, e.now().UTC(), e.lease)
	if err != nil || !ok {
		return false, err
	}
	poster, found := e.posters[o.Transport]
	if !found {
		msg := fmt.Sprintf("no %s transport is running to post the answer; it stays approved and will be posted when one is", o.Transport)
		if rerr := e.store.ReleaseOutbox(ctx, workspaceID, draftID, e.now().UTC(), msg); rerr != nil {
			return false, errors.Join(errors.New(msg), rerr)
		}
		return false, errors.New(msg)
	}
	ref, err := poster.Post(ctx, Post{Workspace: o.Workspace, ThreadID: o.ThreadID, Channel: o.Channel, Text: o.Text, ApprovedBy: o.ApprovedBy, IdempotencyKey: o.IdempotencyKey,
		Retry: o.Attempts > 1, Since: o.CreatedAt, Picture: e.picture(ctx, workspaceID, draftID)})
	if err != nil {
		e.obs.PostFailed(string(o.Transport))
		e.log.WarnContext(ctx, "post failed", "workspace", workspaceID, "draft", draftID, "err", err)
		if rerr := e.store.ReleaseOutbox(ctx, workspaceID, draftID, e.now().UTC(), err.Error()); rerr != nil {
			return false, errors.Join(err, rerr)
		}
		return false, fmt.Errorf("post answer of %s: %w", draftID, err)
	}
	if err := e.store.MarkPosted(ctx, workspaceID, draftID, e.now().UTC(), ref); err != nil {
		return true, fmt.Errorf("record post of %s: %w", draftID, err)
	}
	e.obs.Posted(string(o.Transport), e.now().Sub(o.CreatedAt), o.Attempts > 1)
	return true, nil
}

// picture is an answer's picture; one that cannot be drawn is left out (the answer goes).
func (e *Engine) picture(ctx context.Context, workspaceID, draftID string) *Picture {
	if e.pictures == nil {
		return nil
	}
	p, err := e.pictures.Picture(ctx, workspaceID, draftID)
	if err != nil {
		e.log.WarnContext(ctx, "the answer's chart could not be drawn; posted without it", "workspace", workspaceID, "draft", draftID, "err", err)
		return nil
	}
	return p
}

// DeliverPending posts every approved answer still waiting (after a crash or a failed post).
func (e *Engine) DeliverPending(ctx context.Context) (int, error) {
	rows, err := e.store.PendingOutbox(ctx, e.now().UTC(), e.lease, 100)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, o := range rows {
		if _, ok := e.posters[o.Transport]; !ok {
			continue
		}
		posted, err := e.Deliver(ctx, o.Workspace, o.DraftID)
		if err != nil {
			errs = append(errs, err)
		}
		if posted {
			n++
		}
	}
	return n, errors.Join(errs...)
}

// learn adds an approved answer to the company knowledge; a failure is logged, the
// approval stands.
func (e *Engine) learn(ctx context.Context, d store.Draft) {
	evs, err := e.store.Events(ctx, d.Workspace, d.ThreadID)
	if err == nil {
		err = e.knowledge.AddAnswer(ctx, d.Workspace, d.Language, d.ID, QuestionOf(evs), d.FinalText, d.DecidedBy.String())
	}
	if err != nil {
		e.log.WarnContext(ctx, "approved answer not added to the knowledge", "workspace", d.Workspace, "draft", d.ID, "err", err)
	}
}

// reviewer is who may decide on a workspace's drafts, as the decision records them: a
// person of the profile marked reviewer, a Discord member of the profile's reviewer role
// (the role verified by the transport), or a web console account granted the workspace.
func (e *Engine) reviewer(ctx context.Context, p *profile.Profile, by record.Actor, role string) (record.Actor, error) {
	switch by.Kind() {
	case record.ActorAccount:
		if e.accounts != nil {
			acc, err := e.accounts.Account(ctx, by.Name())
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return "", err
			}
			if err == nil && acc.Sees(p.Workspace) {
				return record.Account(acc.Name), nil
			}
		}
		return "", &UserError{Reason: fmt.Sprintf("the account %s may not review %s", by.Name(), p.Company), Err: ErrNotReviewer,
			Key: "account_not_reviewer", Args: map[string]any{"Account": by.Name(), "Company": p.Company}}
	case record.ActorRoleMember:
		if role != "" && role == p.Discord.ReviewerRole && by.Name() != "" {
			return by, nil
		}
	case record.ActorPerson:
		if x, ok := p.Person(by.Name()); ok && x.Reviewer {
			return record.Person(x.Handle), nil
		}
	}
	var reviewers []string
	for _, x := range p.People {
		if x.Reviewer {
			reviewers = append(reviewers, x.Handle)
		}
	}
	who := fmt.Sprintf("%q is not a person of %s", by.Name(), p.Company)
	if x, ok := p.Person(by.Name()); ok && by.Kind() == record.ActorPerson {
		who = fmt.Sprintf("%s is not a reviewer of %s", x.Handle, p.Company)
	}
	return "", &UserError{Reason: fmt.Sprintf("%s: only %s can approve, edit or reject drafts (reviewer: true in company.yaml)", who, strings.Join(reviewers, ", ")), Err: ErrNotReviewer,
		Key: "not_reviewer", Args: map[string]any{"Company": p.Company, "Reviewers": strings.Join(reviewers, ", ")}}
}
