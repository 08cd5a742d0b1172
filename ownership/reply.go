package ownership

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/intakehq/intake/channels"
)

// Reply queues a message to the ticket's customer over the channel they
// used, records it on the timeline and, the first time, as the first
// response. key makes a retried request queue nothing twice ("" makes one
// up). Any rep may reply.
func (s *Service) Reply(ctx context.Context, a Actor, id, body, key string) (Ticket, error) {
	body = strings.TrimSpace(body)
	if body == "" {
		return Ticket{}, fmt.Errorf("%w: a reply needs a body", ErrInvalid)
	}
	if len(body) > MaxBody {
		return Ticket{}, fmt.Errorf("%w: reply is %d bytes, the limit is %d", ErrInvalid, len(body), MaxBody)
	}
	if key == "" {
		key = newOpID()
	}
	itemID := "reply:" + id + ":" + key
	// The reply is queued in the same write that puts it on the timeline:
	// no reply is shown as sent that the outbox does not hold.
	return s.changeWithOutboxAs(ctx, a, "reply", id, nil, func(t *Ticket, now time.Time) ([]Event, []OutboxItem, error) {
		if t.Status == StatusClosed {
			return nil, nil, fmt.Errorf("%w: %s is closed", ErrState, t.ID)
		}
		if it, err := s.store.OutboxItem(ctx, itemID); err == nil && it.TicketID == t.ID {
			return nil, nil, errNoChange // this request was applied before
		}
		kind, to, err := s.replyRoute(ctx, *t)
		if err != nil {
			return nil, nil, err
		}
		if kind == channels.SMS && len(body) > 1600 {
			return nil, nil, fmt.Errorf("%w: reply is %d bytes; SMS replies are limited to 1600", ErrInvalid, len(body))
		}
		item := OutboxItem{ID: itemID, TicketID: t.ID, Channel: string(kind), To: to, Body: body, Purpose: PurposeReply,
			NextAt: now, CreatedAt: now, UpdatedAt: now}
		switch kind {
		case channels.Email:
			item.Subject, item.Headers = t.Subject, emailThreadHeaders(t.Handles)
		case channels.Slack:
			if ts := t.Handles["slack_thread_ts"]; ts != "" {
				item.Headers = map[string]string{"thread_ts": ts}
			}
		}
		if t.FirstResponseAt == nil {
			t.FirstResponseAt = &now
		}
		ev := Event{Type: EventMessageOut, At: now, Actor: a.ID, Channel: string(kind), Body: body,
			Meta: map[string]string{"outbox": itemID, "delivery": "queued", "to": to}}
		return []Event{ev}, []OutboxItem{item}, nil
	})
}

// replyRoute picks the channel and address a reply to t's customer goes
// to: the channel they used; for the web form and the API, email when the
// contact has an address, else a text.
func (s *Service) replyRoute(ctx context.Context, t Ticket) (channels.Kind, string, error) {
	if why := t.Handles[handleUnanswerable]; why != "" {
		return "", "", fmt.Errorf("%w: the customer of %s cannot be answered over %s: %s", ErrState, t.ID, t.Channel, why)
	}
	kind := channels.Kind(t.Channel)
	if kind == channels.Slack && t.Handles["slack_channel"] == "" {
		kind = "" // a Slack ticket we cannot answer in Slack: try the contact's other identities
	}
	if kind != channels.SMS && kind != channels.Voice && kind != channels.Email && kind != channels.Slack {
		switch {
		case t.Contact.Email != "" && s.out[channels.Email]:
			kind = channels.Email
		case t.Contact.Phone != "":
			kind = channels.SMS
		}
	}
	switch kind {
	case channels.Slack:
		if !s.out[channels.Slack] {
			return "", "", fmt.Errorf("%w: answering in Slack needs channels.slack, which is not configured", ErrState)
		}
		return channels.Slack, t.Handles["slack_channel"], nil
	case channels.Email:
		if t.Contact.Email == "" {
			return "", "", fmt.Errorf("%w: %s has no email address to answer", ErrState, t.ID)
		}
		if !s.out[channels.Email] {
			return "", "", fmt.Errorf("%w: email needs channels.email, which is not configured", ErrState)
		}
		return channels.Email, t.Contact.Email, nil
	case channels.SMS, channels.Voice:
		if t.Contact.Phone == "" {
			return "", "", fmt.Errorf("%w: %s has no phone number to text", ErrState, t.ID)
		}
		if !s.out[channels.SMS] {
			return "", "", fmt.Errorf("%w: texting needs channels.twilio, which is not configured", ErrState)
		}
		out, err := s.OptedOut(ctx, t.Contact.Phone)
		if err != nil {
			return "", "", err
		}
		if out {
			return "", "", fmt.Errorf("%w: the customer of %s opted out of texts (STOP); they must text START first", ErrState, t.ID)
		}
		return channels.SMS, t.Contact.Phone, nil
	}
	return "", "", fmt.Errorf("%w: no configured channel can reach the customer of %s (channel %s)", ErrState, t.ID, t.Channel)
}

// RetryOutbox sends a dead-lettered message again: it becomes pending, due
// now. Managers only; an item that is not dead is ErrState.
func (s *Service) RetryOutbox(ctx context.Context, a Actor, id string) (OutboxItem, error) {
	if !a.IsManager() {
		return OutboxItem{}, fmt.Errorf("%w: only managers retry failed messages", ErrForbidden)
	}
	it, err := s.store.OutboxItem(ctx, id)
	if err != nil {
		return OutboxItem{}, err
	}
	if it.State != OutboxDead {
		return it, fmt.Errorf("%w: message %s is %s, not dead", ErrState, id, it.State)
	}
	now := s.now().UTC()
	err = s.store.FinishOutbox(ctx, id, 0, OutboxResult{State: OutboxPending, NextAt: now, At: now,
		Error: "retried by " + a.ID + " after: " + it.LastError})
	if errors.Is(err, ErrConflict) {
		return it, fmt.Errorf("%w: message %s changed meanwhile; reload", ErrState, id)
	}
	if err != nil {
		return it, err
	}
	s.logger.Info("dead letter retried", "outbox", id, "ticket", it.TicketID, "actor", a.ID)
	return s.store.OutboxItem(ctx, id)
}
