package ownership

import "time"

// The clocks a ticket runs against: the owner's ack timeout (by priority,
// from Policy.AckTimeout) and the SLA targets of the org's plan (first
// response and resolution, from Policy.Plans).

// AckDue returns when the ticket's owner must have acknowledged it, and
// false when its priority has no ack clock.
func (s *Service) AckDue(t Ticket) (time.Time, bool) {
	d, ok := s.policy.AckTimeout[t.Priority]
	if !ok || d <= 0 {
		return time.Time{}, false
	}
	return t.AssignedAt.Add(d), true
}

// ackOverdue reports whether t's owner is past the ack timeout without
// acknowledging it (only active tickets count).
func (s *Service) ackOverdue(t Ticket, now time.Time) bool {
	if t.AckedAt != nil || !t.Status.Active() {
		return false
	}
	due, ok := s.AckDue(t)
	return ok && now.After(due)
}

// slaBreached reports whether t is past an SLA due time it has not met.
func slaBreached(t Ticket, now time.Time) bool {
	if t.FirstResponseDue != nil && t.FirstResponseAt == nil && now.After(*t.FirstResponseDue) {
		return true
	}
	return t.ResolutionDue != nil && t.ResolvedAt == nil && now.After(*t.ResolutionDue)
}

// slaAtRisk reports whether 80% of the time to an unmet SLA target has
// passed (measured in wall time from creation).
func slaAtRisk(t Ticket, now time.Time) bool {
	risky := func(due *time.Time, met *time.Time) bool {
		if due == nil || met != nil {
			return false
		}
		total := due.Sub(t.CreatedAt)
		return total > 0 && now.Sub(t.CreatedAt) >= total*8/10
	}
	return risky(t.FirstResponseDue, t.FirstResponseAt) || risky(t.ResolutionDue, t.ResolvedAt)
}

// setSLADue sets the first-response and resolution due times from the
// org's plan (or the "default" plan), counted around the clock or, when the
// plan says so, in business hours only.
func (s *Service) setSLADue(t *Ticket) {
	plan := "default"
	if o, ok := s.dir.org(t.Org); ok && o.Plan != "" {
		if _, ok := s.policy.Plans[o.Plan]; ok {
			plan = o.Plan
		}
	}
	p, ok := s.policy.Plans[plan]
	if !ok {
		return
	}
	add := func(d time.Duration) *time.Time {
		due := t.CreatedAt.Add(d)
		if p.BusinessHours {
			due = s.policy.Calendar.AddBusiness(t.CreatedAt, d).UTC()
		}
		return &due
	}
	if d, ok := p.FirstResponse[t.Priority]; ok && d > 0 {
		t.FirstResponseDue = add(d)
	}
	if d, ok := p.Resolution[t.Priority]; ok && d > 0 {
		t.ResolutionDue = add(d)
	}
}
