package twilio

import "github.com/intakehq/intake/channels"

// Health reports the channel's own state: degraded while reconcile sweeps
// (which take in what the webhooks missed) fail. Failed sends show in the
// outbox, which the caller adds.
func (c *Channel) Health() channels.Health {
	var h channels.Health
	if p := c.sweeps.Problem("reconcile sweeps (Twilio REST API)", 1); p != "" {
		h.Problems = append(h.Problems, p)
	}
	return h
}
