package ownership

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// errNoChange tells change that the action is already in effect (an ack of
// an acked ticket): it answers with the ticket and writes nothing.
var errNoChange = errors.New("no change")

// mutation computes a change on next (a copy of the current ticket) and
// returns the events that record it, or errNoChange.
type mutation func(next *Ticket, now time.Time) ([]Event, error)

// change applies fn to ticket id as one compare-and-set write (on the
// store's Rev). With expect set, the change is made only from that version
// (a stale one returns a *ConflictError with the current ticket); the
// version moves on only when the change Conflicts. Without it, concurrent changes
// apply one after another: a conflict re-reads and re-applies fn.
func (s *Service) change(ctx context.Context, action, id string, expect *int64, fn mutation) (t Ticket, err error) {
	return s.changeWithOutbox(ctx, action, id, expect, func(t *Ticket, now time.Time) ([]Event, []OutboxItem, error) {
		evs, err := fn(t, now)
		return evs, nil, err
	})
}

// changeWithOutbox is change for mutations that also queue outbound
// messages: they are enqueued in the same atomic write as the events.
func (s *Service) changeWithOutbox(ctx context.Context, action, id string, expect *int64,
	fn func(*Ticket, time.Time) ([]Event, []OutboxItem, error)) (t Ticket, err error) {
	defer func() { s.observeChange(action, err) }()
	unlock := s.lockTicket(id)
	defer unlock()
	const attempts = 50
	for i := 0; i < attempts; i++ {
		cur, err := s.store.Ticket(ctx, id)
		if err != nil {
			return Ticket{}, err
		}
		if expect != nil && cur.Version != *expect {
			return cur, &ConflictError{Current: cur}
		}
		next := cur
		next.Offer = cloneOffer(cur.Offer)
		now := s.now().UTC()
		evs, items, err := fn(&next, now)
		if errors.Is(err, errNoChange) {
			return cur, nil
		}
		if err != nil {
			return cur, err
		}
		next.UpdatedAt = now
		bumpVersion(cur, &next)
		if s.slackOn() && cardChanged(cur, next) {
			items = append(items, slackUpdate(cur.ID, cur.Rev+1, now))
		}
		t, err := s.store.UpdateTicket(ctx, UpdateRequest{Ticket: next, Events: evs, OpID: newOpID(), Outbox: items})
		if errors.Is(err, ErrConflict) {
			if expect != nil {
				cur, gerr := s.store.Ticket(ctx, id)
				if gerr != nil {
					return Ticket{}, gerr
				}
				return cur, &ConflictError{Current: cur}
			}
			// Another replica changed it between our read and write.
			time.Sleep(time.Duration(i+1) * time.Millisecond)
			continue
		}
		if err != nil {
			return cur, err
		}
		return t, nil
	}
	return Ticket{}, fmt.Errorf("%s: gave up after %d conflicting changes: %w", id, attempts, ErrConflict)
}

func (s *Service) observeChange(action string, err error) {
	if s.m == nil {
		return
	}
	result := "ok"
	switch {
	case err == nil:
	case errors.Is(err, ErrConflict):
		result = "conflict"
	case errors.Is(err, ErrForbidden):
		result = "forbidden"
	case errors.Is(err, ErrInvalid), errors.Is(err, ErrState), errors.Is(err, ErrNotFound):
		result = "rejected"
	default:
		result = "error"
	}
	s.m.change(action, result)
}

func cloneOffer(o *Offer) *Offer {
	if o == nil {
		return nil
	}
	c := *o
	return &c
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
