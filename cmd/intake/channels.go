package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/channels/twilio"
	"github.com/intakehq/intake/configs"
	"github.com/intakehq/intake/ownership"
)

// channelSet is what the configured channels add to the server: webhook
// handlers by path prefix, repliers for the outbox, and their state for
// /readyz.
type channelSet struct {
	handlers map[string]http.Handler // "/twilio/" -> handler
	repliers map[channels.Kind]channels.Replier
	state    map[string]string // twilio -> enabled / disabled
}

// buildChannels wires each configured channel explicitly, one block per
// channel; a channel left out of the config is disabled and logged.
func buildChannels(cfg *configs.Config, sink channels.Sink, logger *slog.Logger) (*channelSet, error) {
	cs := &channelSet{handlers: map[string]http.Handler{}, repliers: map[channels.Kind]channels.Replier{},
		state: map[string]string{"twilio": "disabled", "email": "disabled", "slack": "disabled"}}
	var errs []error
	if tc := cfg.Channels.Twilio; tc != nil {
		ch, err := twilio.New(twilio.Config{AccountSID: tc.AccountSID, AuthToken: tc.AuthToken.Value(), Number: tc.Number,
			APIURL: tc.APIURL, PublicURL: cfg.PublicURL, AckTemplate: tc.AckTemplate}, sink, logger.With("channel", "twilio"))
		if err != nil {
			errs = append(errs, fmt.Errorf("channels.twilio: %w", err))
		} else {
			cs.handlers["/twilio/"] = ch.Handler()
			cs.repliers[channels.SMS] = ch.Replier()
			cs.state["twilio"] = "enabled"
		}
	}
	for name, on := range map[string]bool{"email": cfg.Channels.Email != nil, "slack": cfg.Channels.Slack != nil} {
		if on {
			logger.Warn("channel configured but not available in this build", "channel", name)
		}
	}
	for name, st := range cs.state {
		if st == "disabled" {
			logger.Info("channel disabled", "channel", name)
		}
	}
	return cs, errors.Join(errs...)
}

// outboundKinds are the channels the outbox can send on.
func (cs *channelSet) outboundKinds() map[channels.Kind]bool {
	out := map[channels.Kind]bool{}
	for k := range cs.repliers {
		out[k] = true
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
