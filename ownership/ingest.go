package ownership

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/intakehq/intake/channels"
)

// DefaultAckTemplate is the customer auto-acknowledgement.
const DefaultAckTemplate = "Thanks, we got your message. Ticket {{ticket}} is with {{owner}}; reply here to add to it."

var _ channels.Sink = (*Service)(nil)

// Accept implements channels.Sink: it stores one inbound delivery and
// returns only once it is durable. A delivery seen before (same provider
// id) changes nothing. A message from a contact with an open or pending
// ticket joins it (pending becomes open again); otherwise a new ticket is
// opened through routing. The customer's auto-acknowledgement and the
// owner's notification are queued in the outbox with ids derived from the
// delivery, so a provider retry after a crash queues what is missing and
// never queues twice.
func (s *Service) Accept(ctx context.Context, m channels.Message) (channels.TicketRef, error) {
	if m.ExternalID == "" {
		return channels.TicketRef{}, fmt.Errorf("%w: message without a provider id", ErrInvalid)
	}
	key := m.DedupKey()
	switch m.Event {
	case channels.EventOptOut, channels.EventOptIn:
		return s.acceptOptOut(ctx, m, key)
	case channels.EventStatus:
		return s.acceptStatus(ctx, m, key)
	}
	if id, err := s.store.LookupDedup(ctx, key); err == nil {
		ref, err := s.ref(ctx, id)
		if err != nil {
			return ref, err
		}
		ref.Duplicate = true
		// The first delivery may have crashed after storing and before
		// queueing: queue again (ids make it a no-op when it did not).
		again := ref
		again.Created, err = s.openedBy(ctx, id, m)
		if err != nil {
			return ref, err
		}
		return ref, s.queueAfterIngest(ctx, m, key, again)
	} else if !errors.Is(err, ErrNotFound) {
		return channels.TicketRef{}, err
	}
	// One sender's deliveries are taken one at a time, so two texts
	// arriving together from a new number open one ticket, not two.
	unlock := s.lockContact(m.From)
	defer unlock()
	if id, err := s.store.LookupDedup(ctx, key); err == nil {
		ref, err := s.ref(ctx, id)
		ref.Duplicate = true
		return ref, err
	}
	target, err := s.joinTarget(ctx, m)
	if err != nil {
		return channels.TicketRef{}, err
	}
	var ref channels.TicketRef
	switch {
	case target != "":
		ref, err = s.join(ctx, target, m, key)
	case m.Meta[channels.MetaKeyword] != "":
		// HELP and the like are answered by the channel itself; they
		// do not open a ticket (or earn an auto-acknowledgement).
		return channels.TicketRef{}, nil
	default:
		ref, err = s.open(ctx, m, key)
	}
	if err != nil {
		return ref, err
	}
	return ref, s.queueAfterIngest(ctx, m, key, ref)
}

// joinTarget returns the ticket an inbound message belongs to: the one
// its thread key points at, else the sender's newest open or pending
// ticket; "" means a new ticket.
func (s *Service) joinTarget(ctx context.Context, m channels.Message) (string, error) {
	if m.ThreadKey != "" {
		id, err := s.store.LookupDedup(ctx, m.ThreadKey)
		if err == nil {
			return id, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return "", err
		}
	}
	// A callback URL we signed may name the ticket (?ticket=T-n): a
	// voicemail whose call was never stored still lands on its ticket.
	if id := m.Meta["ticket"]; id != "" {
		if _, err := s.store.Ticket(ctx, id); err == nil {
			return id, nil
		}
	}
	c := Contact{Email: m.From.Email, Phone: m.From.Phone, SlackUser: m.From.SlackUser}
	for _, k := range c.Keys() {
		p, err := s.store.List(ctx, Filter{Contact: k, Statuses: []Status{StatusOpen, StatusPending}, Limit: 1})
		if err != nil {
			return "", err
		}
		if len(p.Tickets) > 0 {
			return p.Tickets[0].ID, nil
		}
	}
	return "", nil
}

func eventType(m channels.Message) EventType {
	switch m.Event {
	case channels.EventCall:
		return EventCall
	case channels.EventVoicemail:
		return EventVoicemail
	}
	return EventMessageIn
}

func (s *Service) open(ctx context.Context, m channels.Message, key string) (channels.TicketRef, error) {
	subject := m.Subject
	if subject == "" {
		subject = firstLine(m.Text, 80)
	}
	if subject == "" {
		subject = strings.ToUpper(string(m.Kind)[:1]) + string(m.Kind)[1:] + " from " + firstNonEmpty(m.From.Phone, m.From.Email, m.From.SlackUser)
	}
	t, created, err := s.CreateTicket(ctx, NewTicket{
		Subject: subject, Body: m.Text, Channel: string(m.Kind), DedupKey: key, ProviderID: m.ExternalID,
		Contact:     Contact{Name: m.From.Name, Email: m.From.Email, Phone: m.From.Phone, SlackUser: m.From.SlackUser},
		Attachments: m.Attachments, Event: eventType(m), Meta: m.Meta,
		Handles: handles(m),
	})
	if err != nil {
		return channels.TicketRef{}, err
	}
	ref, err := s.ref(ctx, t.ID)
	ref.Created, ref.Duplicate = created, !created
	return ref, err
}

func handles(m channels.Message) map[string]string {
	h := map[string]string{}
	if m.From.Phone != "" {
		h["phone"] = m.From.Phone
	}
	if m.To != "" {
		h["to"] = m.To
	}
	return h
}

// join appends the message to ticket id, reopening it if it was pending.
func (s *Service) join(ctx context.Context, id string, m channels.Message, key string) (channels.TicketRef, error) {
	unlock := s.lockTicket(id)
	defer unlock()
	for attempt := 0; attempt < 20; attempt++ {
		t, err := s.store.Ticket(ctx, id)
		if err != nil {
			return channels.TicketRef{}, err
		}
		now := s.now().UTC()
		ev := Event{Type: eventType(m), At: now, Actor: firstNonEmpty(m.From.Phone, m.From.Email, m.From.SlackUser, "customer"),
			Channel: string(m.Kind), Body: m.Text, ProviderID: m.ExternalID, Attachments: m.Attachments, Meta: m.Meta}
		evs := []Event{ev}
		next := t
		next.UpdatedAt = now
		if t.Status == StatusPending && eventType(m) == EventMessageIn {
			next.Status = StatusOpen
			evs = append(evs, Event{Type: EventStatus, At: now, Actor: "system", From: string(StatusPending), To: string(StatusOpen), Reason: "customer replied"})
		}
		_, err = s.store.UpdateTicket(ctx, UpdateRequest{Ticket: next, Events: evs, OpID: "in:" + key, DedupKey: key})
		switch {
		case err == nil, errors.Is(err, ErrDuplicate):
			dup := err != nil
			ref, err := s.ref(ctx, id)
			ref.Duplicate = dup
			return ref, err
		case errors.Is(err, ErrConflict):
			continue
		default:
			return channels.TicketRef{}, err
		}
	}
	return channels.TicketRef{}, fmt.Errorf("join %s: %w", id, ErrConflict)
}

// ref describes ticket id for the adapter.
func (s *Service) ref(ctx context.Context, id string) (channels.TicketRef, error) {
	t, err := s.store.Ticket(ctx, id)
	if err != nil {
		return channels.TicketRef{}, err
	}
	rc := s.reps[t.Owner]
	name := rc.Name
	if rep, ok := s.router.Rep(t.Owner); ok && name == "" {
		name = rep.Name
	}
	ref := channels.TicketRef{ID: t.ID, Owner: t.Owner, OwnerName: name, OwnerPhone: rc.Phone, OwnerOnShift: s.router.OnShift(t.Owner, s.now())}
	if avail, err := s.availability(ctx, t.Owner); err == nil && avail != "available" {
		ref.OwnerOnShift = false
	}
	if t.Contact.Phone != "" {
		v, err := s.store.Flag(ctx, optOutFlag(t.Contact.Phone))
		if err != nil {
			return ref, err
		}
		ref.OptedOut = v != ""
	}
	return ref, nil
}

// openedBy reports whether ticket id was opened by message m (its first
// event carries m's provider id).
func (s *Service) openedBy(ctx context.Context, id string, m channels.Message) (bool, error) {
	evs, err := s.store.Events(ctx, id)
	if err != nil || len(evs) == 0 {
		return false, err
	}
	return evs[0].ProviderID == m.ExternalID, nil
}

// lockContact serialises deliveries from one sender in this process.
func (s *Service) lockContact(c channels.Contact) func() {
	key := firstNonEmpty(c.Phone, strings.ToLower(c.Email), c.SlackUser)
	var h uint32 = 2166136261
	for i := 0; i < len(key); i++ {
		h = (h ^ uint32(key[i])) * 16777619
	}
	mu := &s.contactMu[h%uint32(len(s.contactMu))]
	mu.Lock()
	return mu.Unlock
}
