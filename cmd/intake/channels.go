package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/channels/email"
	"github.com/intakehq/intake/channels/slack"
	"github.com/intakehq/intake/channels/twilio"
	"github.com/intakehq/intake/configs"
	"github.com/intakehq/intake/ownership"
)

// channelSet is what the configured channels add to the server: webhook
// handlers by path prefix, repliers for the outbox, and the adapters
// that report their state for /readyz.
type channelSet struct {
	handlers map[string]http.Handler // "/twilio/" -> handler
	repliers map[channels.Kind]channels.Replier
	health   map[string]healthReporter // enabled channels by name
	// reconcilers read each provider's recent history and feed what the
	// webhooks missed through the same (deduplicating) sink.
	reconcilers map[string]channels.Reconciler
	// runners are long-lived workers (the mailbox reader), run until
	// shutdown.
	runners []func(ctx context.Context)
}

var _ slack.Desk = (*ownership.Service)(nil)

// buildChannels wires each configured channel explicitly, one block per
// channel, each delivering to svc; a channel left out of the config is
// disabled and logged. store keeps the mailbox lease.
func buildChannels(cfg *configs.Config, svc *ownership.Service, store ownership.Store, replica string, logger *slog.Logger) (*channelSet, error) {
	cs := &channelSet{handlers: map[string]http.Handler{}, repliers: map[channels.Kind]channels.Replier{},
		health: map[string]healthReporter{}, reconcilers: map[string]channels.Reconciler{}}
	var errs []error
	// Each constructor runs its adapter's Validate, which the config
	// loader has already run (and reported with lines): the configs
	// package builds the adapters' settings, here and for check-config.
	if cfg.Channels.Twilio != nil {
		ch, err := twilio.New(cfg.TwilioConfig(), svc, logger.With("channel", "twilio"))
		if err != nil {
			errs = append(errs, fmt.Errorf("channels.twilio: %w", err))
		} else {
			cs.handlers["/twilio/"] = ch.Handler()
			cs.repliers[channels.SMS] = ch.Replier()
			cs.reconcilers["twilio"] = ch.Reconcile
			cs.health["twilio"] = ch
		}
	}
	if cfg.Channels.Email != nil {
		if err := buildEmail(cs, cfg, svc, store, replica, logger.With("channel", "email")); err != nil {
			errs = append(errs, fmt.Errorf("channels.email: %w", err))
		}
	}
	if cfg.Channels.Slack != nil {
		if err := buildSlack(cs, cfg, svc, store, logger.With("channel", "slack")); err != nil {
			errs = append(errs, fmt.Errorf("channels.slack: %w", err))
		}
	}
	for _, name := range channelNames {
		if _, ok := cs.health[name]; !ok {
			logger.Info("channel disabled", "channel", name)
		}
	}
	return cs, errors.Join(errs...)
}

// mailboxLease is how long a replica keeps the mailbox without renewing
// it (it renews every third of that); a replica that dies hands the
// mailbox on after at most this long.
const mailboxLease = 30 * time.Second

// buildEmail wires the mailbox reader (IMAP in) and the SMTP sender.
func buildEmail(cs *channelSet, cfg *configs.Config, sink channels.Sink, store ownership.Store, replica string, logger *slog.Logger) error {
	sender, err := email.NewSMTPSender(cfg.SMTPConfig(), logger)
	if err != nil {
		return err
	}
	rc := cfg.ReaderConfig()
	rc.RenewInterval = mailboxLease / 3
	lease := ownership.NewLeaseKeeper(store, "email:"+strings.ToLower(rc.Username)+":"+rc.Mailbox, replica, mailboxLease, nil)
	reader, err := email.NewReader(rc, sink, lease, logger)
	if err != nil {
		return err
	}
	cs.repliers[channels.Email] = sender
	cs.runners = append(cs.runners, reader.Run)
	cs.health["email"] = reader
	return nil
}

// buildSlack wires the Slack app: webhooks (or Socket Mode with an app
// token) and the sender of posts, DMs and answers.
func buildSlack(cs *channelSet, cfg *configs.Config, desk slack.Desk, store ownership.Store, logger *slog.Logger) error {
	sc := cfg.SlackConfig()
	sc.Flags = store // the triage-post index
	app, err := slack.New(sc, desk, logger)
	if err != nil {
		return err
	}
	cs.handlers["/slack/"] = app.Handler()
	cs.repliers[channels.Slack] = app
	cs.runners = append(cs.runners, func(ctx context.Context) {
		for ctx.Err() == nil {
			if err := app.Start(ctx); err == nil {
				break
			} else {
				logger.Warn("slack not reachable yet; retrying", "err", err)
			}
			channels.Sleep(ctx, 10*time.Second)
		}
		if app.SocketMode() && ctx.Err() == nil {
			if err := app.RunSocketMode(ctx); err != nil && ctx.Err() == nil {
				logger.Error("slack socket mode stopped", "err", err)
			}
		}
	})
	cs.health["slack"] = app
	return nil
}

// outboundKinds are the channels the outbox can send on: those the
// config enables (each builds a Replier, or serve stops).
func outboundKinds(cfg *configs.Config) map[channels.Kind]bool {
	out := map[channels.Kind]bool{}
	if cfg.Channels.Twilio != nil {
		out[channels.SMS] = true
	}
	if cfg.Channels.Email != nil {
		out[channels.Email] = true
	}
	if cfg.Channels.Slack != nil {
		out[channels.Slack] = true
	}
	return out
}

// repContacts is how the ledger reaches reps (notifications, ringing).
func repContacts(cfg *configs.Config) map[string]ownership.RepContact {
	out := map[string]ownership.RepContact{}
	for _, r := range cfg.Reps {
		out[r.ID] = ownership.RepContact{Name: r.Name, Phone: r.Phone, Email: r.Email, SlackUser: r.SlackUser}
	}
	return out
}
