package ownership

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// realertEvery is how often managers hear again about a condition that
// lasts (a ticket stuck with the fallback unacknowledged, a breached SLA).
const realertEvery = 30 * time.Minute

// Escalate moves every ticket whose owner has not acknowledged it within
// the ack timeout of its priority: to the next eligible rep by the team's
// rules (never one it already escalated away from), and from the last of
// them to the team's fallback. Each step is an "escalated" event with the
// reason; the new owner is notified and every manager alerted once per
// step. A ticket already with its fallback stays there and managers are
// reminded every realertEvery while it is unacknowledged. It returns how
// many tickets moved. Each move is a compare-and-set: an ack that lands
// first wins and stops the escalation.
func (s *Service) Escalate(ctx context.Context) (int, error) {
	now := s.now().UTC()
	var due, breached []Ticket
	if err := s.eachNotClosed(ctx, func(t Ticket) error {
		if s.ackOverdue(t, now) {
			due = append(due, t)
		}
		if t.Status.Active() && slaBreached(t, now) {
			breached = append(breached, t)
		}
		return nil
	}); err != nil {
		return 0, err
	}
	moved := 0
	for _, d := range due {
		stuck := false
		_, err := s.changeWithOutbox(ctx, "escalate", d.ID, writeOpts{}, func(t *Ticket, now time.Time) ([]Event, []OutboxItem, error) {
			if !s.ackOverdue(*t, now) {
				return nil, nil, errNoChange // acked (or reassigned) meanwhile
			}
			evs, items, err := s.escalateOne(ctx, t, now)
			if err == errNoChange {
				stuck = true
			}
			return evs, items, err
		})
		if err != nil {
			return moved, fmt.Errorf("escalate %s: %w", d.ID, err)
		}
		if stuck {
			if err := s.remind(ctx, d, now); err != nil {
				return moved, err
			}
			continue
		}
		moved++
	}
	return moved, s.alertBreaches(ctx, breached, now)
}

// escalateOne computes one escalation step of t; errNoChange when no one
// is left to take it (its owner is the fallback).
func (s *Service) escalateOne(ctx context.Context, t *Ticket, now time.Time) ([]Event, []OutboxItem, error) {
	evs, err := s.store.Events(ctx, t.ID)
	if err != nil {
		return nil, nil, err
	}
	exclude := map[string]bool{t.Owner: true}
	level := 1
	for i := len(evs) - 1; i >= 0; i-- {
		ev := evs[i]
		if ev.Type == EventAcked {
			break
		}
		if ev.Type == EventEscalated {
			exclude[ev.From] = true
			level++
		}
	}
	d, err := s.reroute(ctx, *t, now, exclude)
	if err != nil {
		return nil, nil, err
	}
	if d.Owner == "" || d.Owner == t.Owner {
		return nil, nil, errNoChange
	}
	prev := t.Owner
	timeout := s.policy.AckTimeout[t.Priority]
	reason := fmt.Sprintf("%s did not acknowledge within %s (%s priority); %s", prev, timeout, t.Priority, d.Reason)
	out := s.withdrawOffer(t, "system", now, "escalated")
	out = append(out, Event{Type: EventEscalated, At: now, Actor: "system", From: prev, To: d.Owner, Reason: reason,
		Meta: map[string]string{"step": d.Step, "level": strconv.Itoa(level)}})
	setOwner(t, d.Owner, now)
	t.Team = d.Team
	key := "esc:" + t.ID + ":" + strconv.Itoa(level)
	var items []OutboxItem
	if it, ok := s.repMessage(d.Owner, t.ID, "notify:"+key, fmt.Sprintf("Escalated to you: %s (%s, %s): %s. Please acknowledge.", t.ID, t.Priority, t.Channel, t.Subject), now); ok {
		items = append(items, it)
	}
	items = append(items, s.managerAlerts(t.ID, key, fmt.Sprintf("Escalation %d on %s: %s", level, t.ID, reason), now)...)
	return out, items, nil
}

// remind re-alerts managers about t, stuck unacknowledged with its
// fallback, at most once per realertEvery.
func (s *Service) remind(ctx context.Context, t Ticket, now time.Time) error {
	bucket := strconv.FormatInt(now.Unix()/int64(realertEvery/time.Second), 10)
	items := s.managerAlerts(t.ID, "stuck:"+t.ID+":"+bucket,
		fmt.Sprintf("%s is still not acknowledged by %s, the last in line; assign it by hand.", t.ID, t.Owner), now)
	if len(items) == 0 {
		return nil
	}
	return s.store.Enqueue(ctx, items...)
}

// alertBreaches alerts managers about tickets past an SLA target, again
// every realertEvery while they are.
func (s *Service) alertBreaches(ctx context.Context, breached []Ticket, now time.Time) error {
	bucket := strconv.FormatInt(now.Unix()/int64(realertEvery/time.Second), 10)
	var items []OutboxItem
	for _, t := range breached {
		items = append(items, s.managerAlerts(t.ID, "sla:"+t.ID+":"+bucket,
			fmt.Sprintf("SLA breached on %s (%s, owner %s): %s", t.ID, t.Priority, t.Owner, t.Subject), now)...)
	}
	if len(items) == 0 {
		return nil
	}
	return s.store.Enqueue(ctx, items...)
}
