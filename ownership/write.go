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

// outboxMutation is a mutation that also queues outbound messages.
type outboxMutation func(next *Ticket, now time.Time) ([]Event, []OutboxItem, error)

// writeOpts are how one write is checked and identified.
type writeOpts struct {
	// expect, when set, is the version the client saw: the change is made
	// only from it, and a stale one returns a *ConflictError with the
	// current ticket instead of being retried.
	expect *int64
	// opID identifies the change to the store (UpdateRequest.OpID); ""
	// draws a fresh one per attempt. Ingest writes derive it from the
	// delivery, so a retried delivery is the same change.
	opID string
	// dedupKey, when set, is an inbound delivery's key: a write whose key
	// is already recorded writes nothing and returns ErrDuplicate.
	dedupKey string
}

// writeAttempts bounds how often one write re-reads and re-applies its
// mutation after losing a race to another replica (this process's own
// writers queue on the ticket lock instead).
const writeAttempts = 50

// change applies fn to ticket id as one compare-and-set write (on the
// store's Rev). With expect set, the change is made only from that version
// (a stale one returns a *ConflictError with the current ticket); the
// version moves on only when the change Conflicts. Without it, concurrent changes
// apply one after another: a conflict re-reads and re-applies fn.
func (s *Service) change(ctx context.Context, action, id string, expect *int64, fn mutation) (t Ticket, err error) {
	return s.changeWithOutbox(ctx, action, id, writeOpts{expect: expect}, func(t *Ticket, now time.Time) ([]Event, []OutboxItem, error) {
		evs, err := fn(t, now)
		return evs, nil, err
	})
}

// changeWithOutbox is the one write path of the ledger: every change to a
// ticket (actions, escalations, handovers, a message joining it, an event
// appended once) is fn applied to a fresh copy of the ticket and written
// as one compare-and-set on its Rev, with the outbound messages fn queues
// (and the techs' board update, when the change shows there) in the same
// atomic write. Writes to one ticket in this process take turns on its
// lock; a conflict with another replica re-reads and re-applies fn, up to
// writeAttempts times, so fn may run more than once and must compute
// from next alone. See writeOpts for the checks. Changes named by action
// are counted in intake_ticket_changes_total; ingest writes pass "".
func (s *Service) changeWithOutbox(ctx context.Context, action, id string, o writeOpts, fn outboxMutation) (t Ticket, err error) {
	if action != "" {
		defer func() { s.observeChange(action, err) }()
	}
	unlock := s.lockTicket(id)
	defer unlock()
	for i := 0; i < writeAttempts; i++ {
		cur, err := s.store.Ticket(ctx, id)
		if err != nil {
			return Ticket{}, err
		}
		if o.expect != nil && cur.Version != *o.expect {
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
		if s.boardOn() && cardChanged(cur, next) {
			items = append(items, boardUpdate(cur.ID, cur.Rev+1, now))
		}
		opID := o.opID
		if opID == "" {
			opID = newOpID()
		}
		t, err := s.store.UpdateTicket(ctx, UpdateRequest{Ticket: next, Events: evs, OpID: opID, DedupKey: o.dedupKey, Outbox: items})
		if errors.Is(err, ErrConflict) {
			if o.expect != nil {
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
	return Ticket{}, fmt.Errorf("%s: gave up after %d conflicting changes: %w", id, writeAttempts, ErrConflict)
}

// appendOnce appends ev to ticket id unless key was recorded before (a
// redelivery, a retried send): then it writes nothing and succeeds.
func (s *Service) appendOnce(ctx context.Context, id, key string, ev Event) error {
	_, err := s.changeWithOutbox(ctx, "", id, writeOpts{opID: "once:" + key, dedupKey: key},
		func(_ *Ticket, now time.Time) ([]Event, []OutboxItem, error) {
			e := ev
			e.At = now
			return []Event{e}, nil, nil
		})
	if errors.Is(err, ErrDuplicate) {
		return nil
	}
	return err
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
