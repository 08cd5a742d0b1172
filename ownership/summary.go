package ownership

import (
	"context"
	"fmt"
	"sort"
)

// Summary is the manager's at-a-glance view of the ledger.
type Summary struct {
	Open        int `json:"open"`    // open or pending
	Pending     int `json:"pending"` // of which waiting on the customer
	Unowned     int `json:"unowned"` // not closed and without an owner on the roster: must be 0
	AckOverdue  int `json:"ack_overdue"`
	SLABreached int `json:"sla_breached"`
	// SLAAtRisk counts open tickets past 80% of the time to an SLA target
	// they have not met, not yet breached.
	SLAAtRisk int `json:"sla_at_risk"`
	// Teams breaks the counts down by team.
	Teams     map[string]TeamCounts `json:"teams"`
	ByOwner   map[string]int        `json:"by_owner"`
	ByChannel map[string]int        `json:"by_channel"`
	ByTeam    map[string]int        `json:"by_team"`
}

// TeamCounts are one team's figures in a Summary.
type TeamCounts struct {
	Open        int `json:"open"`
	Unowned     int `json:"unowned"`
	AckOverdue  int `json:"ack_overdue"`
	SLAAtRisk   int `json:"sla_at_risk"`
	SLABreached int `json:"sla_breached"`
}

// Audit lists the tickets that break a promise, for `intake audit`.
type Audit struct {
	Unowned     []Ticket `json:"unowned"`
	AckOverdue  []Ticket `json:"ack_overdue"`
	SLABreached []Ticket `json:"sla_breached"`
}

// Summary counts the tickets that are not closed.
func (s *Service) Summary(ctx context.Context) (Summary, error) { return s.summarize(ctx, nil) }

// summarize counts the tickets in sc that are not closed.
func (s *Service) summarize(ctx context.Context, sc *Scope) (Summary, error) {
	sum := Summary{ByOwner: map[string]int{}, ByChannel: map[string]int{}, ByTeam: map[string]int{}, Teams: map[string]TeamCounts{}}
	now := s.now()
	err := s.eachNotClosedIn(ctx, sc, func(t Ticket) error {
		tc := sum.Teams[t.Team]
		defer func() { sum.Teams[t.Team] = tc }()
		if s.unowned(t) {
			sum.Unowned++
			tc.Unowned++
		}
		if !t.Status.Active() {
			return nil
		}
		sum.Open++
		tc.Open++
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
			tc.AckOverdue++
		}
		switch {
		case slaBreached(t, now):
			sum.SLABreached++
			tc.SLABreached++
		case slaAtRisk(t, now):
			sum.SLAAtRisk++
			tc.SLAAtRisk++
		}
		return nil
	})
	return sum, err
}

// Audit returns the tickets that are unowned, unacknowledged past their
// timeout, or past an SLA due time, oldest first.
func (s *Service) Audit(ctx context.Context) (Audit, error) { return s.audit(ctx, nil) }

// audit is Audit over the tickets in sc.
func (s *Service) audit(ctx context.Context, sc *Scope) (Audit, error) {
	var a Audit
	now := s.now()
	err := s.eachNotClosedIn(ctx, sc, func(t Ticket) error {
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

// eachNotClosed calls fn for every ticket that is not closed.
func (s *Service) eachNotClosed(ctx context.Context, fn func(Ticket) error) error {
	return s.eachNotClosedIn(ctx, nil, fn)
}

// eachNotClosedIn calls fn for every ticket in sc that is not closed.
func (s *Service) eachNotClosedIn(ctx context.Context, sc *Scope, fn func(Ticket) error) error {
	return s.each(ctx, Filter{Statuses: []Status{StatusOpen, StatusPending, StatusResolved}, Scope: sc}, fn)
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
