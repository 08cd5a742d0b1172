package ownership

import (
	"context"
	"errors"
	"fmt"

	"github.com/intakehq/intake/channels"
)

// acceptOptOut records STOP / START for the sender's number, and notes it
// on their open ticket when there is one.
func (s *Service) acceptOptOut(ctx context.Context, m channels.Message, key string) (channels.TicketRef, error) {
	if m.From.Phone == "" {
		return channels.TicketRef{}, fmt.Errorf("%w: opt-out without a phone number", ErrInvalid)
	}
	out := m.Event == channels.EventOptOut
	value := ""
	if out {
		value = "1"
	}
	if err := s.store.SetFlag(ctx, optOutFlag(m.From.Phone), value); err != nil {
		return channels.TicketRef{}, err
	}
	s.logger.Info("sms opt-out recorded", "opted_out", out, "provider_id", m.ExternalID)
	th, err := s.thread(ctx, channels.Message{Kind: m.Kind, From: m.From})
	id := th.id
	if err != nil || id == "" {
		return channels.TicketRef{OptedOut: out}, err
	}
	err = s.appendOnce(ctx, id, key, Event{Type: EventOptOut, Actor: m.From.Phone, Channel: string(m.Kind), Body: m.Text,
		ProviderID: m.ExternalID, Meta: map[string]string{"opted_out": fmt.Sprint(out)}})
	ref, rerr := s.ref(ctx, id)
	return ref, errors.Join(err, rerr)
}

// OptedOut reports whether phone has texted STOP (and not START since):
// nothing but rep notices is texted to it. Replies, acks and the outbox
// worker ask it.
func (s *Service) OptedOut(ctx context.Context, phone string) (bool, error) {
	v, err := s.store.Flag(ctx, optOutFlag(phone))
	if err != nil {
		return false, fmt.Errorf("read opt-out flag: %w", err)
	}
	return v != "", nil
}
