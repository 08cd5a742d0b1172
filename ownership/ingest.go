package ownership

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/intakehq/intake/channels"
)

var _ channels.Sink = (*Service)(nil)

// Accept implements channels.Sink: it stores one inbound delivery and
// returns only once it is durable. A delivery seen before (same provider
// id; for email also the same content or mailbox position, see seen)
// changes nothing; a different message reusing a provider id is taken in
// as its own, noted, and never answered automatically. A sender that
// cannot be answered (Message.Unanswerable) opens a ticket flagged for
// review, and nothing is queued to them. A message from a contact with an open or pending
// ticket joins it (pending becomes open again); otherwise a new ticket is
// opened through routing. The customer's auto-acknowledgement and the
// owner's notification are queued in the outbox with ids derived from the
// delivery, so a provider retry after a crash queues what is missing and
// never queues twice.
func (s *Service) Accept(ctx context.Context, m channels.Message) (channels.TicketRef, error) {
	if m.ExternalID == "" {
		return channels.TicketRef{}, fmt.Errorf("%w: message without a provider id", ErrInvalid)
	}
	switch m.Event {
	case channels.EventOptOut, channels.EventOptIn:
		return s.acceptOptOut(ctx, m, m.DedupKey())
	case channels.EventStatus:
		return s.acceptStatus(ctx, m, m.DedupKey())
	}
	m, key, id, err := s.seen(ctx, m)
	if err != nil {
		return channels.TicketRef{}, err
	}
	if id != "" {
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
	th, err := s.thread(ctx, m)
	if err != nil {
		return channels.TicketRef{}, err
	}
	var ref channels.TicketRef
	switch {
	case m.Meta[channels.MetaAutomated] != "":
		// Machines never open tickets (no loops with auto-responders);
		// one that answers a ticket is kept on it, quietly.
		if th.id == "" {
			s.logger.Info("automated message ignored", "channel", m.Kind, "why", m.Meta[channels.MetaAutomated], "provider_id", m.ExternalID)
			return channels.TicketRef{}, nil
		}
		return s.joinQuietly(ctx, th.id, m, key)
	case th.id != "":
		ref, err = s.join(ctx, th.id, m, key)
	case m.Meta[channels.MetaKeyword] != "":
		// HELP and the like are answered by the channel itself; they
		// do not open a ticket (or earn an auto-acknowledgement).
		return channels.TicketRef{}, nil
	default:
		ref, err = s.open(ctx, m, key, th)
	}
	if err != nil {
		return ref, err
	}
	return ref, s.queueAfterIngest(ctx, m, key, ref)
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

func (s *Service) open(ctx context.Context, m channels.Message, key string, th threadTarget) (channels.TicketRef, error) {
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
		Handles: handles(m), Links: th.links, Review: reviewReason(th, m),
	})
	if err != nil {
		return channels.TicketRef{}, err
	}
	if created && len(th.links) > 0 {
		// The linked ticket's people learn of the new one, without its
		// text (it may be a stranger's).
		note := "Follow-up opened as " + t.ID + "."
		if th.named != "" {
			note = fmt.Sprintf("A message from %s named this ticket; it was opened separately as %s for review.",
				firstNonEmpty(m.From.Email, m.From.Phone, m.From.SlackUser, "an unknown sender"), t.ID)
		}
		if err := s.appendOnce(ctx, th.links[0], "link:"+key, Event{Type: EventNote, Actor: "system", Body: note,
			Meta: map[string]string{"linked": t.ID}}); err != nil {
			return channels.TicketRef{}, err
		}
	}
	ref, err := s.ref(ctx, t.ID)
	ref.Created, ref.Duplicate = created, !created
	return ref, err
}

// reviewReason says why a new ticket needs a person's look: every reason
// that applies, "" when none does.
func reviewReason(th threadTarget, m channels.Message) string {
	var why []string
	for _, r := range []string{th.review, m.Meta[channels.MetaReview], m.Unanswerable, m.Meta[channels.MetaIDReused]} {
		if r != "" && !slices.Contains(why, r) {
			why = append(why, r)
		}
	}
	return strings.Join(why, "; ")
}

// handleUnanswerable is the ticket handle that says why its customer
// cannot be answered (channels.Message.Unanswerable): replies are refused.
const handleUnanswerable = "unanswerable"

func handles(m channels.Message) map[string]string {
	h := map[string]string{}
	if m.Unanswerable != "" {
		h[handleUnanswerable] = m.Unanswerable
	}
	if m.From.Phone != "" {
		h["phone"] = m.From.Phone
	}
	if m.To != "" {
		h["to"] = m.To
	}
	if c := m.Meta[channels.MetaSlackChannel]; c != "" {
		h["slack_channel"] = c
		if ts := m.Meta[channels.MetaSlackThread]; ts != "" {
			h["slack_thread_ts"] = ts
		}
	}
	return withEmailThread(h, m)
}

// withEmailThread returns h (copied) with m's email thread, so a reply
// answers the customer's latest message: handle "message_id" is its
// Message-ID and "references" the thread before it plus that id, the
// newest 20.
func withEmailThread(h map[string]string, m channels.Message) map[string]string {
	mid := m.Meta[channels.MetaMessageID]
	if mid == "" {
		return h
	}
	out := make(map[string]string, len(h)+2)
	for k, v := range h {
		out[k] = v
	}
	refs := strings.Fields(m.Meta[channels.MetaReferences])
	if len(refs) == 0 {
		refs = strings.Fields(h["references"])
	}
	refs = append(refs, mid)
	if len(refs) > 20 {
		refs = refs[len(refs)-20:]
	}
	out["message_id"] = mid
	out["references"] = strings.Join(refs, " ")
	return out
}

// join appends the message to ticket id, reopening it if it was pending
// or resolved. The write is keyed by the delivery, so a redelivery that
// lost a race with the first one is a duplicate, not a second message.
func (s *Service) join(ctx context.Context, id string, m channels.Message, key string) (channels.TicketRef, error) {
	_, err := s.changeWithOutbox(ctx, "", id, writeOpts{opID: "in:" + key, dedupKey: key},
		func(next *Ticket, now time.Time) ([]Event, []OutboxItem, error) {
			ev := Event{Type: eventType(m), At: now, Actor: firstNonEmpty(m.From.Phone, m.From.Email, m.From.SlackUser, "customer"),
				Channel: string(m.Kind), Body: m.Text, ProviderID: m.ExternalID, Attachments: m.Attachments, Meta: m.Meta}
			evs := []Event{ev}
			if why := m.Meta[channels.MetaIDReused]; why != "" {
				evs = append(evs, Event{Type: EventNote, At: now, Actor: "system", Body: "Message id reused: " + why})
			}
			was := next.Status
			next.Handles = withEmailThread(next.Handles, m)
			if (was == StatusPending || was == StatusResolved) && eventType(m) == EventMessageIn {
				next.Status = StatusOpen
				next.ResolvedAt = nil
				evs = append(evs, Event{Type: EventStatus, At: now, Actor: "system", From: string(was), To: string(StatusOpen), Reason: "customer replied"})
			}
			var items []OutboxItem
			if it, ok := s.mirrorIngest(ticketRefLite{id: id}, m, key, now); ok {
				items = append(items, it)
			}
			return evs, items, nil
		})
	dup := errors.Is(err, ErrDuplicate)
	if err != nil && !dup {
		return channels.TicketRef{}, err
	}
	ref, err := s.ref(ctx, id)
	ref.Duplicate = dup
	return ref, err
}

// joinQuietly records an automated message on ticket id without changing
// its status or telling anyone.
func (s *Service) joinQuietly(ctx context.Context, id string, m channels.Message, key string) (channels.TicketRef, error) {
	ev := Event{Type: eventType(m), Actor: firstNonEmpty(m.From.Email, m.From.Phone, m.From.SlackUser, "customer"),
		Channel: string(m.Kind), Body: m.Text, ProviderID: m.ExternalID, Attachments: m.Attachments, Meta: m.Meta}
	if err := s.appendOnce(ctx, id, key, ev); err != nil {
		return channels.TicketRef{}, err
	}
	return s.ref(ctx, id)
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
		out, err := s.OptedOut(ctx, t.Contact.Phone)
		if err != nil {
			return ref, err
		}
		ref.OptedOut = out
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
