package ownership

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// Summary is the manager's at-a-glance view of the ledger.
type Summary struct {
	Open        int            `json:"open"`    // open or pending
	Pending     int            `json:"pending"` // of which waiting on the customer
	Unowned     int            `json:"unowned"` // not closed and without an owner on the roster: must be 0
	AckOverdue  int            `json:"ack_overdue"`
	SLABreached int            `json:"sla_breached"`
	ByOwner     map[string]int `json:"by_owner"`
	ByChannel   map[string]int `json:"by_channel"`
	ByTeam      map[string]int `json:"by_team"`
}

// Audit lists the tickets that break a promise, for `intake audit`.
type Audit struct {
	Unowned     []Ticket `json:"unowned"`
	AckOverdue  []Ticket `json:"ack_overdue"`
	SLABreached []Ticket `json:"sla_breached"`
}

// Summary counts the tickets that are not closed.
func (s *Service) Summary(ctx context.Context) (Summary, error) {
	sum := Summary{ByOwner: map[string]int{}, ByChannel: map[string]int{}, ByTeam: map[string]int{}}
	now := s.now()
	err := s.eachNotClosed(ctx, func(t Ticket) error {
		if s.unowned(t) {
			sum.Unowned++
		}
		if !t.Status.Active() {
			return nil
		}
		sum.Open++
		if t.Status == StatusPending {
			sum.Pending++
		}
		if t.Owner != "" {
			sum.ByOwner[t.Owner]++
		}
		sum.ByChannel[t.Channel]++
		sum.ByTeam[t.Team]++
		if s.ackOverdue(t, now) {
			sum.AckOverdue++
		}
		if slaBreached(t, now) {
			sum.SLABreached++
		}
		return nil
	})
	return sum, err
}

// Audit returns the tickets that are unowned, unacknowledged past their
// timeout, or past an SLA due time, oldest first.
func (s *Service) Audit(ctx context.Context) (Audit, error) {
	var a Audit
	now := s.now()
	err := s.eachNotClosed(ctx, func(t Ticket) error {
		if s.unowned(t) {
			a.Unowned = append(a.Unowned, t)
		}
		if t.Status.Active() && s.ackOverdue(t, now) {
			a.AckOverdue = append(a.AckOverdue, t)
		}
		if t.Status.Active() && slaBreached(t, now) {
			a.SLABreached = append(a.SLABreached, t)
		}
		return nil
	})
	for _, l := range [][]Ticket{a.Unowned, a.AckOverdue, a.SLABreached} {
		sort.Slice(l, func(i, j int) bool { return l[i].Number < l[j].Number })
	}
	return a, err
}

// unowned: not closed and without an owner who is on the roster.
func (s *Service) unowned(t Ticket) bool {
	if t.Status == StatusClosed {
		return false
	}
	if t.Owner == "" {
		return true
	}
	_, ok := s.router.Rep(t.Owner)
	return !ok
}

// AckDue returns when the ticket's owner must have acknowledged it, and
// false when its priority has no ack clock.
func (s *Service) AckDue(t Ticket) (time.Time, bool) {
	d, ok := s.policy.AckTimeout[t.Priority]
	if !ok || d <= 0 {
		return time.Time{}, false
	}
	return t.AssignedAt.Add(d), true
}

func (s *Service) ackOverdue(t Ticket, now time.Time) bool {
	if t.AckedAt != nil || !t.Status.Active() {
		return false
	}
	due, ok := s.AckDue(t)
	return ok && now.After(due)
}

func slaBreached(t Ticket, now time.Time) bool {
	if t.FirstResponseDue != nil && t.FirstResponseAt == nil && now.After(*t.FirstResponseDue) {
		return true
	}
	return t.ResolutionDue != nil && t.ResolvedAt == nil && now.After(*t.ResolutionDue)
}

// eachNotClosed calls fn for every ticket that is not closed.
func (s *Service) eachNotClosed(ctx context.Context, fn func(Ticket) error) error {
	return s.each(ctx, Filter{Statuses: []Status{StatusOpen, StatusPending, StatusResolved}}, fn)
}

func (s *Service) each(ctx context.Context, f Filter, fn func(Ticket) error) error {
	f.Limit = 1000
	for {
		p, err := s.store.List(ctx, f)
		if err != nil {
			return fmt.Errorf("list tickets: %w", err)
		}
		for _, t := range p.Tickets {
			if err := fn(t); err != nil {
				return err
			}
		}
		if p.Next == "" {
			return nil
		}
		f.Cursor = p.Next
	}
}
