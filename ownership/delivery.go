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
