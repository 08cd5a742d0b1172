package ownership

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/intakehq/intake/routing"
)

// RepView is a rep with their live state, as the API shows it.
type RepView struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Role         string   `json:"role"`
	Availability string   `json:"availability"`
	Open         int      `json:"open"`
	Capacity     int      `json:"capacity"` // 0: no limit
	OnShift      bool     `json:"on_shift"`
	Skills       []string `json:"skills"`
	Teams        []string `json:"teams"`
	FallbackFor  []string `json:"fallback_for,omitempty"` // teams whose unassignable tickets this rep owns
}

// Reps returns the roster in order, with live load and availability.
func (s *Service) Reps(ctx context.Context) ([]RepView, error) {
	st, err := s.repStates(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out []RepView
	for _, r := range s.router.Reps() {
		v := RepView{ID: r.ID, Name: r.Name, Role: string(r.Role), Availability: st[r.ID].Availability,
			Open: st[r.ID].Open, Capacity: max(r.Capacity, 0), OnShift: s.router.OnShift(r.ID, now),
			Skills: append([]string{}, r.Skills...), Teams: []string{}}
		for _, t := range s.router.Teams() {
			if t.Fallback == r.ID {
				v.FallbackFor = append(v.FallbackFor, t.ID)
			}
			for _, m := range t.Members {
				if m == r.ID {
					v.Teams = append(v.Teams, t.ID)
				}
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// Rep returns one rep's view; ErrNotFound for an id not on the roster.
func (s *Service) Rep(ctx context.Context, id string) (RepView, error) {
	reps, err := s.Reps(ctx)
	if err != nil {
		return RepView{}, err
	}
	for _, r := range reps {
		if r.ID == id {
			return r, nil
		}
	}
	return RepView{}, fmt.Errorf("rep %q: %w", id, ErrNotFound)
}

// SetAvailability changes a rep's availability. Reps change their own;
// managers anyone's.
func (s *Service) SetAvailability(ctx context.Context, a Actor, rep string, av routing.Availability) (RepView, error) {
	if _, ok := s.router.Rep(rep); !ok {
		return RepView{}, fmt.Errorf("rep %q: %w", rep, ErrNotFound)
	}
	switch av {
	case routing.Available, routing.Away, routing.Off:
	default:
		return RepView{}, fmt.Errorf("%w: availability %q is not one of available, away, off", ErrInvalid, av)
	}
	if a.ID != rep && !a.IsManager() {
		return RepView{}, fmt.Errorf("%w: only %s or a manager can change %s's availability", ErrForbidden, rep, rep)
	}
	if err := s.store.SetAvailability(ctx, rep, string(av)); err != nil {
		return RepView{}, err
	}
	s.logger.Info("availability changed", "rep", rep, "availability", av, "actor", a.ID)
	if av != routing.Available {
		// Away or off: their open tickets go to others now, by the rules.
		n, err := s.handOver(ctx, rep, av)
		if err != nil {
			return RepView{}, err
		}
		if n > 0 {
			s.logger.Info("tickets handed over", "rep", rep, "availability", av, "moved", n)
		}
	}
	return s.Rep(ctx, rep)
}

// ReassignOrphans gives a new owner, through routing, to every ticket that
// is not closed and whose owner is no longer on the roster (a rep removed
// from the configuration). Each move is an "assigned" event naming why. It
// returns how many tickets moved. Safe to run on several replicas at once:
// each move is a compare-and-set that re-checks the owner.
func (s *Service) ReassignOrphans(ctx context.Context) (int, error) {
	orphaned := func(t Ticket, _ time.Time) bool { return s.unowned(t) }
	return s.sweepTickets(ctx, "reassign", orphaned, func(t *Ticket, now time.Time) ([]Event, error) {
		return s.rehome(ctx, t, now)
	}, func(was Ticket) {
		s.logger.Warn("ticket reassigned: owner left the roster", "ticket", was.ID, "previous_owner", was.Owner)
	})
}

// rehome gives t, whose owner is not on the roster, a new owner through
// routing, and returns the events that record it.
func (s *Service) rehome(ctx context.Context, t *Ticket, now time.Time) ([]Event, error) {
	d, err := s.reroute(ctx, *t, now, nil)
	if err != nil {
		return nil, err
	}
	prev := t.Owner
	evs := s.withdrawOffer(t, "system", now, "owner left the roster")
	why := "previous owner " + prev + " left the roster; " + d.Reason
	if prev == "" {
		why = "ticket had no owner; " + d.Reason
	}
	evs = append(evs, Event{Type: EventAssigned, At: now, Actor: "router", From: prev, To: d.Owner, Reason: why,
		Meta: map[string]string{"step": d.Step}})
	setOwner(t, d.Owner, now)
	t.Team = d.Team
	return evs, nil
}

// reroute asks the router for a new owner of an existing ticket, never one
// of exclude (the fallback excepted).
func (s *Service) reroute(ctx context.Context, t Ticket, now time.Time, exclude map[string]bool) (routing.Decision, error) {
	org, _ := s.dir.org(t.Org)
	state, err := s.routingState(ctx, t.Contact, org, nil)
	if err != nil {
		return routing.Decision{}, err
	}
	state.Exclude = exclude
	labels := routing.Labels{"channel": t.Channel, "org": t.Org, "plan": org.Plan,
		"contact": identities(t.Contact), "priority": string(t.Priority), "text": t.Subject}
	return s.router.Decide(labels, state, now), nil
}

// handOver moves rep's active tickets to others by the routing rules,
// because rep is away or off. Each move is one compare-and-set owner
// change, so no ticket is ever without an owner.
func (s *Service) handOver(ctx context.Context, rep string, av routing.Availability) (int, error) {
	p, err := s.store.List(ctx, Filter{Owner: rep, Statuses: []Status{StatusOpen, StatusPending}, Limit: 1000})
	if err != nil {
		return 0, err
	}
	moved := 0
	for _, o := range p.Tickets {
		_, err := s.changeWithOutbox(ctx, "handover", o.ID, writeOpts{}, func(t *Ticket, now time.Time) ([]Event, []OutboxItem, error) {
			if t.Owner != rep || !t.Status.Active() {
				return nil, nil, errNoChange
			}
			d, err := s.reroute(ctx, *t, now, map[string]bool{rep: true})
			if err != nil {
				return nil, nil, err
			}
			if d.Owner == "" || d.Owner == rep {
				return nil, nil, errNoChange // no one else can take it: it stays, and escalation watches it
			}
			evs := s.withdrawOffer(t, "system", now, rep+" is "+string(av))
			evs = append(evs, Event{Type: EventAssigned, At: now, Actor: "router", From: rep, To: d.Owner,
				Reason: rep + " is " + string(av) + "; " + d.Reason, Meta: map[string]string{"step": d.Step}})
			setOwner(t, d.Owner, now)
			t.Team = d.Team
			var items []OutboxItem
			if it, ok := s.repMessage(d.Owner, t.ID, "notify:handover:"+t.ID+":"+strconv.FormatInt(t.Version, 10),
				fmt.Sprintf("%s is yours now (%s is %s): %s", t.ID, rep, av, t.Subject), now); ok {
				items = append(items, it)
			}
			moved++
			return evs, items, nil
		})
		if err != nil {
			return moved, fmt.Errorf("hand over %s: %w", o.ID, err)
		}
	}
	return moved, nil
}
