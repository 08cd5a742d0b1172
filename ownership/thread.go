package ownership

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/intakehq/intake/channels"
)

// threadTarget is where an inbound message goes.
type threadTarget struct {
	id     string   // the ticket it joins; "" opens a new one
	links  []string // tickets a new one is linked to
	review string   // why a new one needs a person's look
	named  string   // the ticket a stranger named (noted there)
}

// thread decides which ticket an inbound message belongs to. Trusted
// pointers come first: the thread key (a recording's call) and a ticket
// named in a callback URL we signed. Then what the sender says: the ticket
// their subject names, then the messages they answer; those are joined
// only when the sender is the ticket's contact or of its org, so a
// stranger cannot write into another customer's ticket by quoting its id.
// A closed ticket is not reopened: the message opens a follow-up linked
// to it. Failing all that, SMS and the like join the sender's newest open
// ticket; email, which threads explicitly, opens a new one.
func (s *Service) thread(ctx context.Context, m channels.Message) (threadTarget, error) {
	if m.ThreadKey != "" {
		id, err := s.store.LookupDedup(ctx, m.ThreadKey)
		if err == nil {
			return threadTarget{id: id}, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return threadTarget{}, err
		}
	}
	// A callback URL we signed may name the ticket (?ticket=T-n): a
	// voicemail whose call was never stored still lands on its ticket.
	if id := m.Meta["ticket"]; id != "" {
		if _, err := s.store.Ticket(ctx, id); err == nil {
			return threadTarget{id: id}, nil
		}
	}
	th, found, err := s.threadByReference(ctx, m)
	if err != nil || found {
		return th, err
	}
	if m.Kind == channels.Email {
		return threadTarget{}, nil
	}
	c := Contact{Email: m.From.Email, Phone: m.From.Phone, SlackUser: m.From.SlackUser}
	for _, k := range c.Keys() {
		p, err := s.store.List(ctx, Filter{Contact: k, Statuses: []Status{StatusOpen, StatusPending}, Limit: 1})
		if err != nil {
			return threadTarget{}, err
		}
		if len(p.Tickets) > 0 {
			return threadTarget{id: p.Tickets[0].ID}, nil
		}
	}
	return threadTarget{}, nil
}

// threadByReference follows the sender's own pointers: the ticket they
// name, then the messages they answer. The first that leads to a ticket
// decides.
func (s *Service) threadByReference(ctx context.Context, m channels.Message) (threadTarget, bool, error) {
	type candidate struct{ id, why string }
	var cands []candidate
	if m.TicketHint != "" {
		cands = append(cands, candidate{m.TicketHint, "the subject names " + m.TicketHint})
	}
	for _, r := range m.References {
		id, err := s.referencedTicket(ctx, r)
		if err != nil {
			return threadTarget{}, false, err
		}
		if id != "" {
			cands = append(cands, candidate{id, "it answers a message on " + id})
		}
	}
	for _, c := range cands {
		t, err := s.store.Ticket(ctx, c.id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return threadTarget{}, false, err
		}
		if !s.mayJoin(t, m.From) {
			who := firstNonEmpty(m.From.Email, m.From.Phone, m.From.SlackUser, "unknown sender")
			return threadTarget{links: []string{t.ID}, named: t.ID,
				review: fmt.Sprintf("%s, but %s is neither that ticket's contact nor of its org", c.why, who)}, true, nil
		}
		if t.Status == StatusClosed {
			return threadTarget{links: []string{t.ID}}, true, nil
		}
		return threadTarget{id: t.ID}, true, nil
	}
	return threadTarget{}, false, nil
}

// referencedTicket maps a Message.References key to its ticket ("" when
// unknown).
func (s *Service) referencedTicket(ctx context.Context, key string) (string, error) {
	if id, ok := strings.CutPrefix(key, "outbox:"); ok {
		it, err := s.store.OutboxItem(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return "", nil
		}
		return it.TicketID, err
	}
	id, err := s.store.LookupDedup(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	return id, err
}

// mayJoin reports whether a message from c may be added to t: c is t's
// contact (by any identity the directory links) or of t's org.
func (s *Service) mayJoin(t Ticket, c channels.Contact) bool {
	from, org := s.dir.resolve(Contact{Email: c.Email, Phone: c.Phone, SlackUser: c.SlackUser})
	for _, k := range from.Keys() {
		for _, tk := range t.Contact.Keys() {
			if k == tk {
				return true
			}
		}
	}
	return org != "" && org == t.Org
}
