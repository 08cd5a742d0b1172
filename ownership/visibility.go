package ownership

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// TechScope is which tickets a tech sees and may act on (config
// api.tech_scope). Managers always see every ticket.
type TechScope string

// Tech scopes.
const (
	// ScopeOwn: tickets the tech owns or has been offered (a pending
	// transfer to them).
	ScopeOwn TechScope = "own"
	// ScopeTeam: ScopeOwn plus every ticket of a team the tech is on: as
	// a member, as its fallback or in its on-call rota, the people who can
	// be handed the team's tickets. The default.
	ScopeTeam TechScope = "team"
	// ScopeAll: every ticket, as for a manager (the behaviour before
	// scopes existed).
	ScopeAll TechScope = "all"
)

// TechScopes are the valid values, for validation messages.
var TechScopes = []TechScope{ScopeOwn, ScopeTeam, ScopeAll}

// Valid reports whether s is one of TechScopes.
func (s TechScope) Valid() bool { return slices.Contains(TechScopes, s) }

// Scope is the set of tickets one rep may see: those Rep owns, those
// offered to Rep, and those whose team is in Teams. Stores apply it in
// their List query (Filter.Scope), so pages stay full and cursors work.
// A nil *Scope allows every ticket.
type Scope struct {
	Rep   string
	Teams []string
}

// Allows reports whether t is in the scope. An empty Rep owns nothing
// (closed tickets may have no owner; they are not everyone's).
func (sc *Scope) Allows(t Ticket) bool {
	if sc == nil {
		return true
	}
	if sc.Rep != "" && (t.Owner == sc.Rep || (t.Offer != nil && t.Offer.To == sc.Rep)) {
		return true
	}
	return t.Team != "" && slices.Contains(sc.Teams, t.Team)
}

// scopeOf is the one place the visibility rule is decided: nil (every
// ticket) for managers and under ScopeAll, else the tech's own tickets
// and, under ScopeTeam, those of the teams they are on. Every read and
// write an actor makes goes through it (CanSee, Narrow, inScope).
func (s *Service) scopeOf(a Actor) *Scope {
	if a.IsManager() || s.techScope == ScopeAll {
		return nil
	}
	sc := &Scope{Rep: a.ID, Teams: []string{}}
	if s.techScope == ScopeOwn || a.ID == "" {
		return sc
	}
	for _, t := range s.router.Teams() {
		if slices.Contains(t.Members, a.ID) || t.Fallback == a.ID || slices.Contains(t.OnCall.Rota, a.ID) {
			sc.Teams = append(sc.Teams, t.ID)
		}
	}
	return sc
}

// ScopeName is the name of a's scope as the API reports it: "all" for a
// manager, else the tech scope.
func (s *Service) ScopeName(a Actor) TechScope {
	if s.scopeOf(a) == nil {
		return ScopeAll
	}
	return s.techScope
}

// CanSee reports whether actor a may see ticket t (and so act on it, as
// far as the other rules allow).
func (s *Service) CanSee(a Actor, t Ticket) bool { return s.scopeOf(a).Allows(t) }

// Narrow returns f restricted to the tickets a may see. The store applies
// the restriction in its query.
func (s *Service) Narrow(a Actor, f Filter) Filter {
	f.Scope = s.scopeOf(a)
	return f
}

// outOfScope is the error for a ticket the actor may not see. It reads
// exactly like unknownTicket and wraps ErrNotFound, so no surface reveals
// that the ticket exists (the API and dashboard answer 404 for reads and
// writes alike).
type outOfScope struct{ id string }

func (e *outOfScope) Error() string { return "ticket " + e.id + ": " + ErrNotFound.Error() }
func (e *outOfScope) Unwrap() error { return ErrNotFound }

// unknownTicket is the error for ticket id when the store has none. The
// stores word theirs differently; what an actor is told must not depend on
// the store, or an unknown ticket and a hidden one could be told apart.
func unknownTicket(id string) error { return fmt.Errorf("ticket %s: %w", id, ErrNotFound) }

// IsOutOfScope reports whether err refused a ticket outside the actor's
// scope (rather than an unknown one). Only a surface where the actor
// already sees the ticket (a Slack card) may say so.
func IsOutOfScope(err error) bool {
	var e *outOfScope
	return errors.As(err, &e)
}

// inScope returns the out-of-scope error when a may not see t. Each
// action checks it on the state its compare-and-set write starts from, so
// a ticket that left the actor's scope meanwhile is not changed.
func (s *Service) inScope(a Actor, id string, t Ticket) error {
	if s.CanSee(a, t) {
		return nil
	}
	return &outOfScope{id: id}
}

// TicketFor returns ticket id as a sees it: ErrNotFound (worded as for an
// unknown ticket) when it is outside a's scope.
func (s *Service) TicketFor(ctx context.Context, a Actor, id string) (Ticket, error) {
	t, err := s.store.Ticket(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return Ticket{}, unknownTicket(id)
	}
	if err != nil {
		return Ticket{}, err
	}
	if err := s.inScope(a, id, t); err != nil {
		return Ticket{}, err
	}
	return t, nil
}

// TimelineFor returns ticket id and its timeline, or ErrNotFound when it
// is unknown or outside a's scope.
func (s *Service) TimelineFor(ctx context.Context, a Actor, id string) (Ticket, []Event, error) {
	t, err := s.TicketFor(ctx, a, id)
	if err != nil {
		return Ticket{}, nil, err
	}
	evs, err := s.store.Events(ctx, id)
	if err != nil {
		return Ticket{}, nil, fmt.Errorf("timeline of %s: %w", id, err)
	}
	return t, evs, nil
}

// ListFor is List over the tickets a may see.
func (s *Service) ListFor(ctx context.Context, a Actor, f Filter) (Page, error) {
	return s.List(ctx, s.Narrow(a, f))
}

// SummaryFor is Summary over the tickets a may see.
func (s *Service) SummaryFor(ctx context.Context, a Actor) (Summary, error) {
	return s.summarize(ctx, s.scopeOf(a))
}

// AuditFor is Audit over the tickets a may see.
func (s *Service) AuditFor(ctx context.Context, a Actor) (Audit, error) {
	return s.audit(ctx, s.scopeOf(a))
}

// changeAs is change made by actor a: refused as not found, before fn
// runs, when the state the compare-and-set starts from is outside a's
// scope (so a ticket that left the scope meanwhile is not changed). Every
// action an actor makes goes through it or changeWithOutboxAs.
func (s *Service) changeAs(ctx context.Context, a Actor, action, id string, expect *int64, fn mutation) (Ticket, error) {
	return s.seenBy(a, id)(s.change(ctx, action, id, expect, func(t *Ticket, now time.Time) ([]Event, error) {
		if err := s.inScope(a, id, *t); err != nil {
			return nil, err
		}
		return fn(t, now)
	}))
}

// changeWithOutboxAs is changeAs for changeWithOutbox.
func (s *Service) changeWithOutboxAs(ctx context.Context, a Actor, action, id string, expect *int64, fn outboxMutation) (Ticket, error) {
	return s.seenBy(a, id)(s.changeWithOutbox(ctx, action, id, writeOpts{expect: expect}, func(t *Ticket, now time.Time) ([]Event, []OutboxItem, error) {
		if err := s.inScope(a, id, *t); err != nil {
			return nil, nil, err
		}
		return fn(t, now)
	}))
}

// seenBy filters what a change of ticket id returns to a: a ticket a may
// not see is never handed back, not beside an error (the state the change
// was refused in) and not in a *ConflictError (a stale version sent for a
// ticket outside a's scope is refused before the scope check runs; it
// reads as not found too); and an unknown ticket is worded as
// unknownTicket.
func (s *Service) seenBy(a Actor, id string) func(Ticket, error) (Ticket, error) {
	return func(t Ticket, err error) (Ticket, error) {
		var ce *ConflictError
		switch {
		case errors.As(err, &ce) && !s.CanSee(a, ce.Current):
			return Ticket{}, &outOfScope{id: id}
		case errors.Is(err, ErrNotFound) && !IsOutOfScope(err):
			return Ticket{}, unknownTicket(id)
		case err != nil && !s.CanSee(a, t):
			return Ticket{}, err
		}
		return t, err
	}
}
