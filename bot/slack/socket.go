package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack/socketmode"

	"github.com/whybot/whybot/knowledge/store"
)

// Socket receives deliveries over Socket Mode (no public URL needed): each events_api,
// interactive and slash_commands envelope is recorded in the inbox under the same key the
// HTTP endpoints use, then acknowledged; one the inbox could not record is left
// unacknowledged, so Slack sends it again. The worker handles them exactly as it handles
// HTTP deliveries.
type Socket struct {
	Client *socketmode.Client
	Inbox  Inbox
	Wake   func() // may be nil
	Log    *slog.Logger
	Now    func() time.Time

	connected atomic.Bool
	lastErr   atomic.Pointer[error] // why the connection last ended
}

// Ready is the readiness check: the Socket Mode connection is up.
func (s *Socket) Ready(context.Context) error {
	if !s.connected.Load() {
		if err := s.lastErr.Load(); err != nil {
			return fmt.Errorf("not connected to Slack Socket Mode, retrying: %w", *err)
		}
		return errors.New("not connected to Slack Socket Mode")
	}
	return nil
}

// NewSocket is a Socket Mode connection for the app token in cfg.
func NewSocket(cfg Config, inbox Inbox, wake func(), log *slog.Logger) *Socket {
	api := NewAPI(cfg, log)
	var opts []socketmode.Option
	if log != nil {
		opts = append(opts, socketmode.OptionLog(slog.NewLogLogger(log.Handler(), slog.LevelDebug)))
	}
	return &Socket{Client: socketmode.New(api, opts...), Inbox: inbox, Wake: wake, Log: log}
}

func (s *Socket) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// Run connects and receives until ctx ends. A connection that ends (Slack unreachable, a
// refused or revoked app token) is opened again with backoff (1 s doubling to a minute),
// never stopping the replica's other work; /readyz says why Slack is not connected, and a
// refused token is logged with how to fix it.
func (s *Socket) Run(ctx context.Context) error {
	wait := time.Second
	for {
		err := s.run(ctx)
		if ctx.Err() != nil {
			return nil
		}
		s.connected.Store(false)
		s.lastErr.Store(&err)
		s.log().WarnContext(ctx, "slack socket mode not connected; trying again", "in", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		wait = min(2*wait, time.Minute)
	}
}

// run is one Socket Mode session: it ends when the client gives up, or with ctx.
func (s *Socket) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Client.RunContext(ctx) }()
	for {
		select {
		case <-ctx.Done():
			<-done
			return ctx.Err()
		case err := <-done:
			if err == nil {
				err = errors.New("connection closed")
			}
			switch err.Error() {
			case "invalid_auth", "not_authed", "token_revoked", "account_inactive", "not_allowed_token_type":
				return fmt.Errorf("slack socket mode: %w: SLACK_APP_TOKEN must be an app-level token (xapp-…) with the connections:write scope, and Socket Mode must be enabled in the app's settings", err)
			}
			return fmt.Errorf("slack socket mode: %w", err)
		case evt := <-s.Client.Events:
			s.handle(ctx, evt)
		}
	}
}

func (s *Socket) handle(ctx context.Context, evt socketmode.Event) {
	kind := ""
	switch evt.Type {
	case socketmode.EventTypeEventsAPI:
		kind = "event"
	case socketmode.EventTypeInteractive:
		kind = "interaction"
	case socketmode.EventTypeSlashCommand:
		kind = "command"
	case socketmode.EventTypeConnected:
		s.connected.Store(true)
		s.log().InfoContext(ctx, "slack socket mode connected")
		return
	case socketmode.EventTypeConnecting, socketmode.EventTypeDisconnect:
		s.connected.Store(false)
		return
	case socketmode.EventTypeConnectionError:
		s.connected.Store(false)
		s.log().WarnContext(ctx, "slack socket mode", "event", string(evt.Type), "detail", fmt.Sprint(evt.Data))
		return
	case socketmode.EventTypeIncomingError, socketmode.EventTypeErrorBadMessage:
		s.log().WarnContext(ctx, "slack socket mode", "event", string(evt.Type), "detail", fmt.Sprint(evt.Data))
		return
	default:
		return
	}
	req := evt.Request
	if req == nil {
		return
	}
	key, err := deliveryKey(kind, req.Payload)
	if err == nil {
		err = decodable(kind, req.Payload)
	}
	if err != nil {
		s.log().WarnContext(ctx, "slack socket mode delivery refused", "envelope", req.EnvelopeID, "reason", err.Error())
		_ = s.Client.AckCtx(ctx, req.EnvelopeID, nil) // a malformed delivery will not get better: do not have it resent
		return
	}
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	first, err := s.Inbox.Receive(ctx, store.Inbound{Source: "slack", Key: key, Payload: req.Payload, ReceivedAt: now.UTC()})
	if err != nil {
		s.log().ErrorContext(ctx, "slack delivery not recorded; not acknowledged, Slack will resend it", "key", key, "err", err)
		return
	}
	if !first {
		s.log().InfoContext(ctx, "slack delivery already received", "key", key, "retry", req.RetryAttempt)
	}
	if err := s.Client.AckCtx(ctx, req.EnvelopeID, nil); err != nil {
		s.log().WarnContext(ctx, "slack socket mode ack", "key", key, "err", err)
	}
	if s.Wake != nil {
		s.Wake()
	}
}
