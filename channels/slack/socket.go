package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// Start learns the app's own identity (auth.test), so its own messages
// are never taken for a person's. It retries until ctx ends: without it
// the adapter still ignores every message that carries a bot_id.
func (a *App) Start(ctx context.Context) error {
	res, err := a.api.AuthTestContext(ctx)
	if ctx.Err() == nil {
		a.health.record("auth.test", err, a.cfg.Now())
	}
	if err != nil {
		return fmt.Errorf("slack auth.test: %w", err)
	}
	a.botUser.Store(&res.UserID)
	a.logger.Info("slack connected", "team", res.TeamID, "bot_user", res.UserID)
	return nil
}

// SocketMode reports whether an app token is set, so events come over a
// websocket instead of HTTP.
func (a *App) SocketMode() bool { return a.cfg.AppToken != "" }

// RunSocketMode receives events, interactions and slash commands over
// Socket Mode until ctx ends, through the same handlers as HTTP. Each
// envelope is acknowledged after its work is stored, so one lost in a
// crash is redelivered by Slack.
func (a *App) RunSocketMode(ctx context.Context) error {
	client := socketmode.New(a.api)
	a.health.socket(false, "connecting", a.cfg.Now())
	defer func() { a.health.socket(false, "socket mode stopped", a.cfg.Now()) }()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case evt, ok := <-client.Events:
				if !ok {
					return
				}
				a.socketEvent(ctx, client, evt)
			}
		}
	}()
	return client.RunContext(ctx)
}

func (a *App) socketEvent(ctx context.Context, client *socketmode.Client, evt socketmode.Event) {
	if evt.Request == nil {
		switch evt.Type {
		case socketmode.EventTypeConnected:
			a.logger.Info("slack socket mode connected")
			a.health.socket(true, "", a.cfg.Now())
		case socketmode.EventTypeConnecting:
			a.health.socket(false, "reconnecting", a.cfg.Now())
		case socketmode.EventTypeConnectionError, socketmode.EventTypeInvalidAuth, socketmode.EventTypeDisconnect:
			a.logger.Warn("slack socket mode connection problem", "type", evt.Type)
			a.health.socket(false, string(evt.Type), a.cfg.Now())
		}
		return
	}
	req := *evt.Request
	switch evt.Type {
	case socketmode.EventTypeEventsAPI:
		if _, status := a.handleEventsPayload(ctx, req.Payload); status != http.StatusOK {
			return // not acknowledged: Slack delivers it again
		}
		a.ack(client, req, nil)
	case socketmode.EventTypeInteractive:
		var cb slackapi.InteractionCallback
		if err := json.Unmarshal(req.Payload, &cb); err != nil {
			a.ack(client, req, nil)
			return
		}
		out, err := a.handleInteraction(ctx, cb)
		if err != nil {
			a.logger.Error("slack interaction failed", "type", cb.Type, "err", err)
			return
		}
		a.ack(client, req, out)
	case socketmode.EventTypeSlashCommand:
		var sc slackapi.SlashCommand
		if err := json.Unmarshal(req.Payload, &sc); err != nil {
			a.ack(client, req, nil)
			return
		}
		a.ack(client, req, a.handleCommand(ctx, sc))
	default:
		a.ack(client, req, nil)
	}
}

func (a *App) ack(client *socketmode.Client, req socketmode.Request, payload any) {
	var err error
	if payload != nil {
		err = client.Ack(req, payload)
	} else {
		err = client.Ack(req)
	}
	if err != nil {
		a.logger.Warn("slack socket mode ack failed", "envelope", req.EnvelopeID, "err", err)
	}
}
