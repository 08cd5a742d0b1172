package ownership

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/intakehq/intake/routing"
)

// Assign makes rep `to` the owner at once. Only managers assign directly;
// between reps, use Transfer and Accept.
func (s *Service) Assign(ctx context.Context, a Actor, id, to, reason string, version *int64) (Ticket, error) {
	if !a.IsManager() {
		return Ticket{}, fmt.Errorf("%w: only managers can assign directly; offer a handoff with transfer instead", ErrForbidden)
	}
	if _, ok := s.router.Rep(to); !ok {
		return Ticket{}, fmt.Errorf("%w: %q is not a rep on the roster", ErrInvalid, to)
	}
	return s.changeAs(ctx, a, "assign", id, version, func(t *Ticket, now time.Time) ([]Event, error) {
		if t.Status == StatusClosed {
			return nil, fmt.Errorf("%w: %s is closed", ErrState, t.ID)
		}
		why := "assigned by " + a.ID
		if reason != "" {
			why += ": " + oneLine(reason)
		}
		evs := s.withdrawOffer(t, a.ID, now, "superseded by a direct assignment")
		if t.Owner == to {
			// A manager's explicit decision is recorded even when it
			// confirms the owner, so every accepted assign is on the
			// timeline; the owner's ack stands.
			return append(evs, Event{Type: EventAssigned, At: now, Actor: a.ID, From: to, To: to, Reason: why + " (already the owner)"}), nil
		}
		evs = append(evs, Event{Type: EventAssigned, At: now, Actor: a.ID, From: t.Owner, To: to, Reason: why})
		setOwner(t, to, now)
		return evs, nil
	})
}

// Transfer offers the ticket to rep `to`. The current owner keeps it until
// `to` accepts; the offer lapses after Policy.TransferOffer. The owner or a
// manager may offer.
func (s *Service) Transfer(ctx context.Context, a Actor, id, to, reason string, version *int64) (Ticket, error) {
	if _, ok := s.router.Rep(to); !ok {
		return Ticket{}, fmt.Errorf("%w: %q is not a rep on the roster", ErrInvalid, to)
	}
	avail, err := s.availability(ctx, to)
	if err != nil {
		return Ticket{}, err
	}
	if avail == routing.Off {
		return Ticket{}, fmt.Errorf("%w: %s is off and cannot take a handoff", ErrState, to)
	}
	return s.changeAs(ctx, a, "transfer", id, version, func(t *Ticket, now time.Time) ([]Event, error) {
		if t.Status == StatusClosed {
			return nil, fmt.Errorf("%w: %s is closed", ErrState, t.ID)
		}
		if t.Owner != a.ID && !a.IsManager() {
			return nil, fmt.Errorf("%w: only the owner (%s) or a manager can hand %s off", ErrForbidden, t.Owner, t.ID)
		}
		if t.Owner == to {
			return nil, fmt.Errorf("%w: %s already owns %s", ErrInvalid, to, t.ID)
		}
		if t.Offer != nil && t.Offer.To == to && now.Before(t.Offer.ExpiresAt) {
			return nil, errNoChange
		}
		evs := s.withdrawOffer(t, a.ID, now, "replaced by a new offer")
		t.Offer = &Offer{To: to, From: t.Owner, By: a.ID, At: now, ExpiresAt: now.Add(s.policy.TransferOffer), Reason: oneLine(reason)}
		evs = append(evs, Event{Type: EventTransferred, At: now, Actor: a.ID, From: t.Owner, To: to, Reason: oneLine(reason),
			Meta: map[string]string{"state": "offered", "expires_at": t.Offer.ExpiresAt.Format(time.RFC3339)}})
		return evs, nil
	})
}

// AcceptTransfer completes a handoff offered to the actor: they become the owner
// (and have acknowledged it). An offer past its time lapses instead.
func (s *Service) AcceptTransfer(ctx context.Context, a Actor, id string, version *int64) (Ticket, error) {
	lapsed := false
	t, err := s.changeAs(ctx, a, "accept", id, version, func(t *Ticket, now time.Time) ([]Event, error) {
		if t.Offer == nil || t.Offer.To != a.ID {
			if t.Owner == a.ID {
				return nil, errNoChange // accepted already
			}
			return nil, fmt.Errorf("%w: no handoff of %s is offered to %s", ErrState, t.ID, a.ID)
		}
		if !now.Before(t.Offer.ExpiresAt) {
			lapsed = true
			return lapseOffer(t, now), nil
		}
		from := t.Owner
		t.Offer = nil
		setOwner(t, a.ID, now)
		t.AckedAt = &now
		return []Event{{Type: EventTransferred, At: now, Actor: a.ID, From: from, To: a.ID, Meta: map[string]string{"state": "accepted"}}}, nil
	})
	if err == nil && lapsed {
		return t, fmt.Errorf("%w: the offer of %s lapsed; %s still owns it", ErrState, id, t.Owner)
	}
	return t, err
}

// DeclineTransfer refuses a handoff offered to the actor; the owner keeps the ticket.
func (s *Service) DeclineTransfer(ctx context.Context, a Actor, id, reason string) (Ticket, error) {
	return s.changeAs(ctx, a, "decline", id, nil, func(t *Ticket, now time.Time) ([]Event, error) {
		if t.Offer == nil || t.Offer.To != a.ID {
			return nil, fmt.Errorf("%w: no handoff of %s is offered to %s", ErrState, t.ID, a.ID)
		}
		t.Offer = nil
		return []Event{{Type: EventTransferred, At: now, Actor: a.ID, From: t.Owner, To: a.ID, Reason: oneLine(reason),
			Meta: map[string]string{"state": "declined"}}}, nil
	})
}

// Take makes the acting rep the owner without a handoff. A manager may
// always take; a tech only when the owner cannot work the ticket now (away,
// off, off shift, or the team fallback holding it) or its ack is overdue.
func (s *Service) Take(ctx context.Context, a Actor, id string, version *int64) (Ticket, error) {
	if _, ok := s.router.Rep(a.ID); !ok {
		return Ticket{}, fmt.Errorf("%w: %q is not a rep on the roster", ErrForbidden, a.ID)
	}
	return s.changeAs(ctx, a, "take", id, version, func(t *Ticket, now time.Time) ([]Event, error) {
		if t.Status == StatusClosed {
			return nil, fmt.Errorf("%w: %s is closed", ErrState, t.ID)
		}
		if t.Owner == a.ID {
			return nil, errNoChange
		}
		why, ok := s.takeable(ctx, *t, now)
		if !ok && !a.IsManager() {
			return nil, fmt.Errorf("%w: %s owns %s and is on shift; ask them to transfer it", ErrForbidden, t.Owner, t.ID)
		}
		if why == "" {
			why = "manager took it"
		}
		evs := s.withdrawOffer(t, a.ID, now, "ticket taken")
		evs = append(evs, Event{Type: EventAssigned, At: now, Actor: a.ID, From: t.Owner, To: a.ID, Reason: "taken by " + a.ID + ": " + why})
		setOwner(t, a.ID, now)
		t.AckedAt = &now
		return evs, nil
	})
}

// takeable says whether a tech may take t from its owner, and why.
func (s *Service) takeable(ctx context.Context, t Ticket, now time.Time) (string, bool) {
	if t.Owner == "" {
		return "it had no owner", true
	}
	if _, ok := s.router.Rep(t.Owner); !ok {
		return t.Owner + " is not on the roster", true
	}
	if team, ok := s.router.Team(t.Team); ok && team.Fallback == t.Owner {
		return "it was with the team fallback " + t.Owner, true
	}
	if avail, err := s.availability(ctx, t.Owner); err == nil && avail != routing.Available {
		return t.Owner + " is " + string(avail), true
	}
	if !s.router.OnShift(t.Owner, now) {
		return t.Owner + " is off shift", true
	}
	if t.AckedAt == nil && s.ackOverdue(t, now) {
		return "ack overdue", true
	}
	return "", false
}

// Ack records that the owner has seen the ticket and is on it.
func (s *Service) Ack(ctx context.Context, a Actor, id string, version *int64) (Ticket, error) {
	return s.changeAs(ctx, a, "ack", id, version, func(t *Ticket, now time.Time) ([]Event, error) {
		if t.Owner != a.ID {
			return nil, fmt.Errorf("%w: only the owner (%s) can acknowledge %s", ErrForbidden, t.Owner, t.ID)
		}
		if t.AckedAt != nil {
			return nil, errNoChange
		}
		t.AckedAt = &now
		return []Event{{Type: EventAcked, At: now, Actor: a.ID}}, nil
	})
}

// SetStatus moves the ticket to status st. The owner or a manager may; a
// closed ticket stays closed (a new message opens a new ticket).
func (s *Service) SetStatus(ctx context.Context, a Actor, id string, st Status, reason string, version *int64) (Ticket, error) {
	if !st.Valid() {
		return Ticket{}, fmt.Errorf("%w: status %q is not one of open, pending, resolved, closed", ErrInvalid, st)
	}
	return s.changeAs(ctx, a, "status", id, version, func(t *Ticket, now time.Time) ([]Event, error) {
		if t.Owner != a.ID && !a.IsManager() {
			return nil, fmt.Errorf("%w: only the owner (%s) or a manager can change the status of %s", ErrForbidden, t.Owner, t.ID)
		}
		if t.Status == st {
			return nil, errNoChange
		}
		if t.Status == StatusClosed {
			return nil, fmt.Errorf("%w: %s is closed; closed tickets are not reopened, a new message opens a new ticket", ErrState, t.ID)
		}
		from := t.Status
		t.Status = st
		switch st {
		case StatusResolved, StatusClosed:
			if t.ResolvedAt == nil {
				t.ResolvedAt = &now
			}
		default:
			t.ResolvedAt = nil
		}
		evs := []Event{{Type: EventStatus, At: now, Actor: a.ID, From: string(from), To: string(st), Reason: oneLine(reason)}}
		if !st.Active() {
			evs = append(s.withdrawOffer(t, a.ID, now, "ticket "+string(st)), evs...)
		}
		if st.Active() && s.unowned(*t) {
			// Reopening a ticket whose owner has left: route it anew
			// rather than wake it up with nobody on it.
			moved, err := s.rehome(ctx, t, now)
			if err != nil {
				return nil, err
			}
			evs = append(evs, moved...)
		}
		return evs, nil
	})
}

// Note adds an internal note; it never reaches the customer. With a key
// it is a note taken from a channel message, recorded once per key with
// meta (see noteOnce); the API and dashboard pass none.
func (s *Service) Note(ctx context.Context, a Actor, id, body, key string, meta map[string]string) (Ticket, error) {
	body = strings.TrimSpace(body)
	if key != "" {
		return s.noteOnce(ctx, a, id, body, key, meta)
	}
	if body == "" {
		return Ticket{}, fmt.Errorf("%w: a note needs a body", ErrInvalid)
	}
	if len(body) > MaxBody {
		return Ticket{}, fmt.Errorf("%w: note is %d bytes, the limit is %d", ErrInvalid, len(body), MaxBody)
	}
	return s.changeAs(ctx, a, "note", id, nil, func(t *Ticket, now time.Time) ([]Event, error) {
		return []Event{{Type: EventNote, At: now, Actor: a.ID, Body: body}}, nil
	})
}

// LogTime records work time on the ticket.
func (s *Service) LogTime(ctx context.Context, a Actor, id string, minutes int, note string) (Ticket, error) {
	if minutes <= 0 || minutes > 24*60 {
		return Ticket{}, fmt.Errorf("%w: minutes must be between 1 and 1440, got %d", ErrInvalid, minutes)
	}
	return s.changeAs(ctx, a, "time", id, nil, func(t *Ticket, now time.Time) ([]Event, error) {
		return []Event{{Type: EventTimeLogged, At: now, Actor: a.ID, Minutes: minutes, Body: oneLine(note)}}, nil
	})
}

// LapseOffers ends every handoff offer past its time, recording a lapsed
// event; the owner keeps the ticket. It returns how many lapsed.
func (s *Service) LapseOffers(ctx context.Context) (int, error) {
	lapsed := func(t Ticket, now time.Time) bool { return t.Offer != nil && !now.Before(t.Offer.ExpiresAt) }
	return s.sweepTickets(ctx, "lapse", lapsed, func(t *Ticket, now time.Time) ([]Event, error) {
		return lapseOffer(t, now), nil
	}, nil)
}

func lapseOffer(t *Ticket, now time.Time) []Event {
	o := t.Offer
	t.Offer = nil
	return []Event{{Type: EventTransferred, At: now, Actor: "system", From: t.Owner, To: o.To,
		Reason: fmt.Sprintf("offer to %s not accepted by %s", o.To, o.ExpiresAt.Format(time.RFC3339)),
		Meta:   map[string]string{"state": "lapsed"}}}
}

// withdrawOffer clears a pending offer on t, returning the event that
// records it (none when there was no offer).
func (s *Service) withdrawOffer(t *Ticket, actor string, now time.Time, why string) []Event {
	if t.Offer == nil {
		return nil
	}
	o := t.Offer
	t.Offer = nil
	return []Event{{Type: EventTransferred, At: now, Actor: actor, From: t.Owner, To: o.To, Reason: why,
		Meta: map[string]string{"state": "withdrawn"}}}
}

func setOwner(t *Ticket, owner string, now time.Time) {
	t.Owner = owner
	t.AssignedAt = now
	t.AckedAt = nil
}

func (s *Service) availability(ctx context.Context, rep string) (routing.Availability, error) {
	st, err := s.repStates(ctx)
	if err != nil {
		return "", err
	}
	return routing.Availability(st[rep].Availability), nil
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 500 {
		s = strings.ToValidUTF8(s[:500], "")
	}
	return s
}
