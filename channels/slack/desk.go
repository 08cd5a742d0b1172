package slack

import (
	"context"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/routing"
)

// Desk is what techs do from Slack, as the ledger offers it; the
// ledger's Service satisfies it. The adapter uses the ledger's
// vocabulary (tickets, actors, errors) but reaches its behaviour only
// through these methods, so it can be tested against a fake. A refusal
// (conflict, forbidden, invalid, wrong state, not found, owner full) is
// the rep's to read; any other error is retried by Slack.
type Desk interface {
	// Accept takes a customer's message from a DM or a shared channel.
	channels.Sink

	// Ticket and Events render a card from the ticket as it is when the
	// post is sent.
	Ticket(ctx context.Context, id string) (ownership.Ticket, error)
	Events(ctx context.Context, id string) ([]ownership.Event, error)
	// TicketFor is the stale-button check, within the rep's scope.
	TicketFor(ctx context.Context, a ownership.Actor, id string) (ownership.Ticket, error)
	// ListFor answers /ticket mine.
	ListFor(ctx context.Context, a ownership.Actor, f ownership.Filter) (ownership.Page, error)

	// What buttons, /ticket and thread messages do.
	Ack(ctx context.Context, a ownership.Actor, id string, version *int64) (ownership.Ticket, error)
	Take(ctx context.Context, a ownership.Actor, id string, version *int64) (ownership.Ticket, error)
	AcceptTransfer(ctx context.Context, a ownership.Actor, id string, version *int64) (ownership.Ticket, error)
	Assign(ctx context.Context, a ownership.Actor, id, to, reason string, version *int64) (ownership.Ticket, error)
	Transfer(ctx context.Context, a ownership.Actor, id, to, reason string, version *int64) (ownership.Ticket, error)
	SetStatus(ctx context.Context, a ownership.Actor, id string, st ownership.Status, reason string, version *int64) (ownership.Ticket, error)
	LogTime(ctx context.Context, a ownership.Actor, id string, minutes int, note string) (ownership.Ticket, error)
	// Note with a key is once per Slack message (a redelivered event adds
	// nothing), and notes whoever wrote in the ticket's thread.
	Note(ctx context.Context, a ownership.Actor, id, body, key string, meta map[string]string) (ownership.Ticket, error)
	Reply(ctx context.Context, a ownership.Actor, id, body, key string) (ownership.Ticket, error)
	SetAvailability(ctx context.Context, a ownership.Actor, rep string, av routing.Availability) (ownership.RepView, error)

	// Queue puts a Slack call (a reaction, a thread line) on the outbox,
	// once per key.
	Queue(ctx context.Context, ticket, key string, o channels.Outbound) error
}
