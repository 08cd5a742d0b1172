package ownership

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/intakehq/intake/channels"
)

func optOutFlag(phone string) string { return "optout:sms:" + phone }

// refFlag maps a provider's message id to "<outbox id> <ticket id>", so a
// delivery status callback finds its ticket.
func refFlag(providerRef string) string { return "ref:" + providerRef }

// queueAfterIngest queues the customer's auto-acknowledgement (new SMS
// tickets) and the owner's notification. Ids derive from the delivery, so
// running it again (a provider retry) queues nothing twice.
func (s *Service) queueAfterIngest(ctx context.Context, m channels.Message, key string, ref channels.TicketRef) error {
	if m.Meta[channels.MetaAutomated] != "" {
		return nil // recorded quietly, never answered
	}
	var items []OutboxItem
	now := s.now().UTC()
	body := strings.NewReplacer("{{ticket}}", ref.ID, "{{owner}}", firstName(ref.OwnerName, ref.Owner)).Replace(s.ack)
	switch {
	case !ref.Created || m.Meta[channels.MetaReview] != "" || m.Unanswerable != "" || m.Meta[channels.MetaIDReused] != "":
		// Nothing goes to an address that is not one, nor to a message
		// waiting for a person's look (a reused provider id among them).
	case m.Kind == channels.SMS && s.out[channels.SMS] && !ref.OptedOut && m.From.Phone != "":
		items = append(items, OutboxItem{ID: "ack:" + key, TicketID: ref.ID, Channel: string(channels.SMS), To: m.From.Phone,
			Body: body, Purpose: "auto_ack", NextAt: now, CreatedAt: now, UpdatedAt: now})
	case m.Kind == channels.Slack && s.out[channels.Slack] && m.Meta[channels.MetaSlackChannel] != "":
		it := OutboxItem{ID: "ack:" + key, TicketID: ref.ID, Channel: string(channels.Slack), To: m.Meta[channels.MetaSlackChannel],
			Body: body, Purpose: "auto_ack", NextAt: now, CreatedAt: now, UpdatedAt: now}
		if ts := m.Meta[channels.MetaSlackThread]; ts != "" {
			it.Headers = map[string]string{"thread_ts": ts}
		}
		items = append(items, it)
	case m.Kind == channels.Email && s.out[channels.Email] && m.From.Email != "" && m.Meta[channels.MetaNoAutoReply] == "":
		it := OutboxItem{ID: "ack:" + key, TicketID: ref.ID, Channel: string(channels.Email), To: m.From.Email,
			Subject: "Re: " + m.Subject, Body: body, Purpose: "auto_ack", NextAt: now, CreatedAt: now, UpdatedAt: now,
			Headers: emailThreadHeaders(withEmailThread(nil, m))}
		ok, err := s.mayAutoAck(ctx, it, now)
		if err != nil {
			return err
		}
		if ok {
			items = append(items, it)
		}
	}
	if n, ok := s.notification(ref, m, key); ok {
		items = append(items, n)
	}
	if len(items) == 0 {
		return nil
	}
	if err := s.store.Enqueue(ctx, items...); err != nil {
		return fmt.Errorf("queue messages for %s: %w", ref.ID, err)
	}
	return nil
}

// notification tells the owner about new work, over the first channel that
// can reach them (a Slack DM, a text, an email).
func (s *Service) notification(ref channels.TicketRef, m channels.Message, key string) (OutboxItem, bool) {
	now := s.now().UTC()
	from := firstNonEmpty(m.From.Name, m.From.Phone, m.From.Email, m.From.SlackUser)
	var what string
	switch {
	case m.Event == channels.EventVoicemail:
		what = fmt.Sprintf("Voicemail on %s from %s", ref.ID, from)
	case m.Event == channels.EventCall:
		if !ref.Created {
			return OutboxItem{}, false // the phone rings the owner; no text per call step
		}
		what = fmt.Sprintf("New ticket %s: call from %s", ref.ID, from)
	case ref.Created:
		what = fmt.Sprintf("New ticket %s (%s from %s)", ref.ID, m.Kind, from)
	default:
		what = fmt.Sprintf("New message on %s from %s", ref.ID, from)
	}
	if t := firstLine(m.Text, 120); t != "" {
		what += ": " + t
	}
	return s.repMessage(ref.Owner, ref.ID, "notify:"+key, what, now)
}

// emailThreadHeaders are the In-Reply-To and References of a message
// answering the thread kept in ticket handles h.
func emailThreadHeaders(h map[string]string) map[string]string {
	if h["message_id"] == "" {
		return nil
	}
	return map[string]string{"In-Reply-To": h["message_id"], "References": h["references"]}
}

// Auto-acknowledgements per sender address: at most autoAckLimit in
// autoAckWindow, so a sender (or a forwarding loop the filter missed)
// opening ticket after ticket is not answered each time.
const (
	autoAckLimit  = 3
	autoAckWindow = time.Hour
)

// mayAutoAck reports whether it may be queued under the per-sender limit,
// and counts it when so. An item queued before (a retried delivery) is
// always allowed: enqueueing it again is a no-op.
func (s *Service) mayAutoAck(ctx context.Context, it OutboxItem, now time.Time) (bool, error) {
	if _, err := s.store.OutboxItem(ctx, it.ID); err == nil {
		return true, nil
	} else if !errors.Is(err, ErrNotFound) {
		return false, err
	}
	key := "autoack:" + it.Channel + ":" + strings.ToLower(it.To)
	v, err := s.store.Flag(ctx, key)
	if err != nil {
		return false, err
	}
	var recent []string
	for _, f := range strings.Fields(v) {
		if sec, err := strconv.ParseInt(f, 10, 64); err == nil && now.Sub(time.Unix(sec, 0)) < autoAckWindow {
			recent = append(recent, f)
		}
	}
	if len(recent) >= autoAckLimit {
		s.logger.Info("auto-acknowledgement skipped: sender over the limit", "ticket", it.TicketID, "limit", autoAckLimit, "window", autoAckWindow)
		return false, nil
	}
	recent = append(recent, strconv.FormatInt(now.Unix(), 10))
	return true, s.store.SetFlag(ctx, key, strings.Join(recent, " "))
}

func firstName(name, id string) string {
	if f := strings.Fields(name); len(f) > 0 {
		return f[0]
	}
	return id
}

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

// appendOnce appends ev to ticket id unless key was recorded before.
func (s *Service) appendOnce(ctx context.Context, id, key string, ev Event) error {
	unlock := s.lockTicket(id)
	defer unlock()
	for attempt := 0; attempt < 20; attempt++ {
		t, err := s.store.Ticket(ctx, id)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		ev.At = now
		next := t
		next.UpdatedAt = now
		bumpVersion(t, &next)
		_, err = s.store.UpdateTicket(ctx, UpdateRequest{Ticket: next, Events: []Event{ev}, OpID: "once:" + key, DedupKey: key})
		switch {
		case err == nil, errors.Is(err, ErrDuplicate):
			return nil
		case errors.Is(err, ErrConflict):
			continue
		default:
			return err
		}
	}
	return fmt.Errorf("append to %s: %w", id, ErrConflict)
}
