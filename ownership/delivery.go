package ownership

import (
	"context"
	"errors"
	"strings"

	"github.com/intakehq/intake/channels"
)

// acceptStatus records a delivery status of one of our outbound messages
// on its ticket. Statuses for messages we do not know are ignored.
func (s *Service) acceptStatus(ctx context.Context, m channels.Message, key string) (channels.TicketRef, error) {
	sid := m.Meta["message_sid"]
	var itemID, ticketID string
	if id := m.Meta[channels.MetaOutbox]; id != "" {
		// The channel knows the message (a bounce quoting our Message-ID).
		it, err := s.store.OutboxItem(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return channels.TicketRef{}, nil
		}
		if err != nil {
			return channels.TicketRef{}, err
		}
		itemID, ticketID, sid = it.ID, it.TicketID, m.ExternalID
	} else {
		v, err := s.store.Flag(ctx, refFlag(sid))
		if err != nil || v == "" {
			return channels.TicketRef{}, err
		}
		itemID, ticketID, _ = strings.Cut(v, " ")
	}
	status := m.Meta["status"]
	ev := Event{Type: EventDelivery, Actor: "system", Channel: string(m.Kind), ProviderID: sid, Body: m.Text,
		Meta: map[string]string{"status": status, "outbox": itemID}}
	if code := m.Meta["error_code"]; code != "" {
		ev.Meta["error_code"] = code
	}
	err := s.appendOnce(ctx, ticketID, key, ev)
	if status == "failed" || status == "undelivered" {
		s.logger.Warn("outbound message not delivered", "ticket", ticketID, "outbox", itemID, "status", status, "error_code", m.Meta["error_code"])
		if s.m != nil {
			s.m.delivery(string(m.Kind), status)
		}
		// The provider took it but could not deliver it: dead-letter it,
		// so managers see it with the other messages that finally failed.
		reason := "provider reported " + status
		if code := m.Meta["error_code"]; code != "" {
			reason += " (error " + code + ")"
		}
		ferr := s.store.FinishOutbox(ctx, itemID, 0, OutboxResult{State: OutboxDead, Error: reason, At: s.now().UTC()})
		if ferr != nil && !errors.Is(ferr, ErrConflict) {
			err = errors.Join(err, ferr)
		}
	}
	if err != nil {
		return channels.TicketRef{}, err
	}
	return s.ref(ctx, ticketID)
}

// The ledger's side of the outbox worker (ownership/outbox): what it
// records around each send. The worker owns the claim and FinishOutbox;
// these calls keep the flags and the timeline.

// RecordRef remembers that the provider's id ref names outbox item it, so
// a delivery status arriving right after the send finds its ticket. The
// worker calls it before marking the item sent.
func (s *Service) RecordRef(ctx context.Context, it OutboxItem, ref string) error {
	if ref == "" {
		return nil
	}
	return s.store.SetFlag(ctx, refFlag(ref), it.ID+" "+it.TicketID)
}

// RecordSent puts a sent item on its ticket's timeline, once per item: a
// reply (on the timeline since it was queued) gets the delivery record
// that it left, anything else but a rep's notice the message itself.
func (s *Service) RecordSent(ctx context.Context, it OutboxItem, ref string) error {
	switch it.Purpose {
	case PurposeNotify:
		return nil
	case PurposeReply:
		ev := Event{Type: EventDelivery, Actor: "system", Channel: it.Channel, ProviderID: ref,
			Meta: map[string]string{"status": "sent", "outbox": it.ID, "to": it.To}}
		return s.appendOnce(ctx, it.TicketID, "out:"+it.ID, ev)
	}
	ev := Event{Type: EventMessageOut, Actor: "system", Channel: it.Channel, Body: it.Body, ProviderID: ref,
		Meta: map[string]string{"outbox": it.ID, "purpose": string(it.Purpose), "to": it.To}}
	return s.appendOnce(ctx, it.TicketID, "out:"+it.ID, ev)
}

// RecordDead tells the ticket that an item was dead-lettered: the techs'
// board hears of it (reportDeadToSlack) and the timeline records it, once
// per item. Items without a ticket leave nothing to record.
func (s *Service) RecordDead(ctx context.Context, it OutboxItem, reason string) error {
	if it.TicketID == "" {
		return nil
	}
	if err := s.reportDeadToSlack(ctx, it, reason); err != nil {
		return err
	}
	ev := Event{Type: EventDelivery, Actor: "system", Channel: it.Channel, Body: reason,
		Meta: map[string]string{"status": "dead", "outbox": it.ID, "purpose": string(it.Purpose), "to": it.To}}
	return s.appendOnce(ctx, it.TicketID, "dead:"+it.ID, ev)
}

// CountSend counts one send attempt by channel and result (sent, retry,
// dead) in intake_outbox_sends_total.
func (s *Service) CountSend(channel, result string) {
	if s.m != nil {
		s.m.outbound(channel, result)
	}
}
