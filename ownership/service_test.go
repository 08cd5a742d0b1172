package ownership_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/ownershiptest"
	"github.com/intakehq/intake/routing"
	"github.com/stretchr/testify/require"
)

var (
	maria = ownershiptest.Maria
	dana  = ownershiptest.Dana
	lee   = ownershiptest.Lee
	kim   = ownershiptest.Kim
)

type fixture struct {
	svc   *ownership.Service
	store ownership.Store
	clock *ownershiptest.Clock
}

func newFixture(t *testing.T) *fixture {
	f := ownershiptest.New(t)
	return &fixture{svc: f.Service, store: f.Store, clock: f.Clock}
}

func (f *fixture) create(t *testing.T, email string) ownership.Ticket {
	t.Helper()
	tk, created, err := f.svc.CreateTicket(context.Background(), ownership.NewTicket{Subject: "help", Body: "it broke", Contact: ownership.Contact{Email: email}})
	require.NoError(t, err)
	require.True(t, created)
	return tk
}

func (f *fixture) events(t *testing.T, id string) []ownership.Event {
	t.Helper()
	evs, err := f.store.Events(context.Background(), id)
	require.NoError(t, err)
	return evs
}

func ptr[T any](v T) *T { return &v }

func TestCreateChoosesOwnerAndRecordsWhy(t *testing.T) {
	f := newFixture(t)
	tk := f.create(t, "pat@globex.test")
	require.Equal(t, "T-1", tk.ID)
	require.Equal(t, "dana", tk.Owner, "least_loaded, all idle: roster order")
	require.Equal(t, "helpdesk", tk.Team)
	require.Equal(t, ownership.StatusOpen, tk.Status)
	evs := f.events(t, tk.ID)
	require.Len(t, evs, 2)
	require.Equal(t, ownership.EventMessageIn, evs[0].Type)
	require.Equal(t, "it broke", evs[0].Body)
	require.Equal(t, ownership.EventAssigned, evs[1].Type)
	require.Equal(t, "dana", evs[1].To)
	require.Contains(t, evs[1].Reason, "least_loaded")

	// Next tickets spread by load.
	require.Equal(t, "lee", f.create(t, "a@globex.test").Owner)
	require.Equal(t, "kim", f.create(t, "b@globex.test").Owner)
}

func TestCreateStickyAndOrgFromDomain(t *testing.T) {
	f := newFixture(t)
	first := f.create(t, "pat@globex.test") // dana
	f.create(t, "x@globex.test")            // lee
	again := f.create(t, "PAT@globex.test")
	require.Equal(t, first.Owner, again.Owner, "the contact's open-ticket owner is sticky")
	evs := f.events(t, again.ID)
	require.Contains(t, evs[len(evs)-1].Reason, "sticky")

	acme := f.create(t, "someone@acme.test")
	require.Equal(t, "acme", acme.Org)
	require.Equal(t, "kim", acme.Owner, "org account manager is sticky")
	require.NotNil(t, acme.FirstResponseDue)
	require.Equal(t, f.clock.Now().Add(4*time.Hour), *acme.FirstResponseDue)
}

func TestCreateDedupAndBadInput(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	in := ownership.NewTicket{Subject: "s", Body: "b", Contact: ownership.Contact{Email: "a@b.test"}, DedupKey: "api:k1"}
	a, created, err := f.svc.CreateTicket(ctx, in)
	require.NoError(t, err)
	require.True(t, created)
	b, created, err := f.svc.CreateTicket(ctx, in)
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, a.ID, b.ID)

	for name, bad := range map[string]ownership.NewTicket{
		"empty":        {},
		"bad priority": {Subject: "x", Priority: "critical"},
		"huge body":    {Subject: "x", Body: string(make([]byte, ownership.MaxBody+1))},
		"not utf8":     {Subject: "\xff\xfe"},
	} {
		_, _, err := f.svc.CreateTicket(ctx, bad)
		require.ErrorIs(t, err, ownership.ErrInvalid, name)
	}
	p, err := f.store.List(ctx, ownership.Filter{})
	require.NoError(t, err)
	require.Len(t, p.Tickets, 1, "rejected input stores nothing")
}

func TestFallbackWhenTeamFull(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < 9; i++ {
		f.create(t, fmt.Sprintf("u%d@globex.test", i))
	}
	tk := f.create(t, "late@globex.test")
	require.Equal(t, "maria", tk.Owner)
	evs := f.events(t, tk.ID)
	require.Equal(t, "fallback", evs[len(evs)-1].Meta["alert"])
	reps, err := f.svc.Reps(context.Background())
	require.NoError(t, err)
	for _, r := range reps {
		if r.Capacity > 0 {
			require.LessOrEqual(t, r.Open, r.Capacity, r.ID)
		}
	}
}

func TestAssignRules(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tk := f.create(t, "pat@globex.test")

	_, err := f.svc.Assign(ctx, dana, tk.ID, "lee", "", nil)
	require.ErrorIs(t, err, ownership.ErrForbidden, "techs do not assign directly")
	_, err = f.svc.Assign(ctx, maria, tk.ID, "bob", "", nil)
	require.ErrorIs(t, err, ownership.ErrInvalid, "unknown rep")
	_, err = f.svc.Assign(ctx, maria, "T-99", "lee", "", nil)
	require.ErrorIs(t, err, ownership.ErrNotFound)

	got, err := f.svc.Assign(ctx, maria, tk.ID, "lee", "knows the printer", ptr(tk.Version))
	require.NoError(t, err)
	require.Equal(t, "lee", got.Owner)
	require.Nil(t, got.AckedAt, "the new owner must acknowledge anew")

	cur, err := f.svc.Assign(ctx, maria, tk.ID, "kim", "", ptr(tk.Version))
	var ce *ownership.ConflictError
	require.ErrorAs(t, err, &ce)
	require.ErrorIs(t, err, ownership.ErrConflict)
	require.Equal(t, "lee", ce.Current.Owner)
	require.Equal(t, got.Version, cur.Version)

	evs := f.events(t, tk.ID)
	last := evs[len(evs)-1]
	require.Equal(t, ownership.EventAssigned, last.Type)
	require.Equal(t, "maria", last.Actor)
	require.Equal(t, "dana", last.From)
	require.Equal(t, "lee", last.To)
	require.Contains(t, last.Reason, "knows the printer")
}

func TestTransferOfferAcceptAndLapse(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tk := f.create(t, "pat@globex.test") // dana

	_, err := f.svc.Transfer(ctx, lee, tk.ID, "kim", "", nil)
	require.ErrorIs(t, err, ownership.ErrForbidden, "only the owner or a manager offers")

	off, err := f.svc.Transfer(ctx, dana, tk.ID, "lee", "going on leave", nil)
	require.NoError(t, err)
	require.Equal(t, "dana", off.Owner, "the owner keeps the ticket until the offer is accepted")
	require.Equal(t, "lee", off.Offer.To)

	_, err = f.svc.AcceptTransfer(ctx, kim, tk.ID, nil)
	require.ErrorIs(t, err, ownership.ErrState, "only the receiver accepts")

	acc, err := f.svc.AcceptTransfer(ctx, lee, tk.ID, nil)
	require.NoError(t, err)
	require.Equal(t, "lee", acc.Owner)
	require.Nil(t, acc.Offer)
	require.NotNil(t, acc.AckedAt)

	// An offer not accepted in time lapses, recorded; the owner keeps it.
	_, err = f.svc.Transfer(ctx, lee, tk.ID, "kim", "", nil)
	require.NoError(t, err)
	f.clock.Add(31 * time.Minute)
	n, err := f.svc.LapseOffers(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	_, err = f.svc.AcceptTransfer(ctx, kim, tk.ID, nil)
	require.ErrorIs(t, err, ownership.ErrState)
	cur, err := f.svc.Ticket(ctx, tk.ID)
	require.NoError(t, err)
	require.Equal(t, "lee", cur.Owner)
	require.Nil(t, cur.Offer)

	var states []string
	for _, ev := range f.events(t, tk.ID) {
		if ev.Type == ownership.EventTransferred {
			states = append(states, ev.Meta["state"])
		}
	}
	require.Equal(t, []string{"offered", "accepted", "offered", "lapsed"}, states)
}

func TestAcceptAfterExpiryLapses(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tk := f.create(t, "pat@globex.test")
	_, err := f.svc.Transfer(ctx, dana, tk.ID, "lee", "", nil)
	require.NoError(t, err)
	f.clock.Add(time.Hour)
	_, err = f.svc.AcceptTransfer(ctx, lee, tk.ID, nil)
	require.ErrorIs(t, err, ownership.ErrState)
	require.ErrorContains(t, err, "lapsed")
	cur, err := f.svc.Ticket(ctx, tk.ID)
	require.NoError(t, err)
	require.Equal(t, "dana", cur.Owner)
}

func TestTakeAckStatusNoteTime(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tk := f.create(t, "pat@globex.test") // dana

	_, err := f.svc.Take(ctx, lee, tk.ID, nil)
	require.ErrorIs(t, err, ownership.ErrForbidden, "dana is on shift and available")
	_, err = f.svc.Ack(ctx, lee, tk.ID, nil)
	require.ErrorIs(t, err, ownership.ErrForbidden, "only the owner acks")

	_, err = f.svc.SetAvailability(ctx, lee, "dana", routing.Away)
	require.ErrorIs(t, err, ownership.ErrForbidden)
	_, err = f.svc.SetAvailability(ctx, kim, "kim", routing.Away)
	require.NoError(t, err)
	_, err = f.svc.SetAvailability(ctx, dana, "dana", routing.Away)
	require.NoError(t, err)
	handed := f.events(t, tk.ID)
	require.Equal(t, "dana is away; least_loaded: lee had 0 open", handed[len(handed)-1].Reason, "dana's ticket is handed on at once")
	took, err := f.svc.Take(ctx, lee, tk.ID, nil)
	require.NoError(t, err)
	require.Equal(t, "lee", took.Owner)

	acked, err := f.svc.Ack(ctx, lee, tk.ID, nil)
	require.NoError(t, err)
	require.NotNil(t, acked.AckedAt)
	again, err := f.svc.Ack(ctx, lee, tk.ID, nil)
	require.NoError(t, err)
	require.Equal(t, acked.Version, again.Version, "a second ack changes nothing")

	_, err = f.svc.Note(ctx, kim, tk.ID, "   ", "", nil)
	require.ErrorIs(t, err, ownership.ErrInvalid)
	_, err = f.svc.Note(ctx, kim, tk.ID, "checked the toner", "", nil)
	require.NoError(t, err)
	_, err = f.svc.LogTime(ctx, lee, tk.ID, 0, "")
	require.ErrorIs(t, err, ownership.ErrInvalid)
	_, err = f.svc.LogTime(ctx, lee, tk.ID, 45, "onsite")
	require.NoError(t, err)

	_, err = f.svc.SetStatus(ctx, kim, tk.ID, ownership.StatusResolved, "", nil)
	require.ErrorIs(t, err, ownership.ErrForbidden)
	_, err = f.svc.SetStatus(ctx, lee, tk.ID, "done", "", nil)
	require.ErrorIs(t, err, ownership.ErrInvalid)
	res, err := f.svc.SetStatus(ctx, lee, tk.ID, ownership.StatusResolved, "fixed", nil)
	require.NoError(t, err)
	require.NotNil(t, res.ResolvedAt)
	_, err = f.svc.SetStatus(ctx, maria, tk.ID, ownership.StatusClosed, "", nil)
	require.NoError(t, err)
	_, err = f.svc.SetStatus(ctx, lee, tk.ID, ownership.StatusOpen, "", nil)
	require.ErrorIs(t, err, ownership.ErrState, "closed stays closed")

	var types []ownership.EventType
	for _, ev := range f.events(t, tk.ID) {
		types = append(types, ev.Type)
	}
	require.Equal(t, []ownership.EventType{"message_in", "assigned", "assigned", "acked", "note", "time_logged", "status", "status"}, types)
}

// TestConcurrentAssignsWithoutVersion: every assign applies, one after
// another; one event per success and the final owner is the last recorded.
func TestConcurrentAssignsWithoutVersion(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tk := f.create(t, "pat@globex.test")
	reps := []string{"dana", "lee", "kim", "maria"}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := f.svc.Assign(ctx, maria, tk.ID, reps[i%len(reps)], fmt.Sprint("round ", i), nil)
			if err != nil {
				t.Errorf("Assign: %v", err)
				return
			}
			mu.Lock()
			ok++
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	cur, err := f.svc.Ticket(ctx, tk.ID)
	require.NoError(t, err)
	evs := f.events(t, tk.ID)
	assigned, moved := 0, 0
	var last ownership.Event
	for _, ev := range evs[2:] {
		require.Equal(t, ownership.EventAssigned, ev.Type)
		assigned++
		if ev.From != ev.To {
			moved++
		}
		last = ev
	}
	require.Equal(t, 40, ok)
	require.Equal(t, ok, assigned, "one event per accepted assign")
	require.Equal(t, cur.Owner, last.To)
	require.Equal(t, int64(1+assigned), cur.Rev, "one write per assign")
	require.Equal(t, int64(1+moved), cur.Version, "the version moves when the owner does")
}

func TestReassignOrphansWhenRepLeavesRoster(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tk := f.create(t, "pat@globex.test") // dana

	// Restart with dana gone from the roster.
	router, err := routing.New(routing.Config{
		Reps:  []routing.Rep{{ID: "lee", Capacity: 3}, {ID: "maria", Role: routing.RoleManager}},
		Teams: []routing.Team{{ID: "helpdesk", Members: []string{"lee"}, Fallback: "maria"}},
	})
	require.NoError(t, err)
	svc, err := ownership.NewService(ownership.Options{Store: f.store, Router: router, Now: f.clock.Now})
	require.NoError(t, err)
	sum, err := svc.Summary(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, sum.Unowned, "an owner off the roster counts as unowned")

	n, err := svc.ReassignOrphans(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	cur, err := svc.Ticket(ctx, tk.ID)
	require.NoError(t, err)
	require.Equal(t, "lee", cur.Owner)
	evs := f.events(t, tk.ID)
	require.Contains(t, evs[len(evs)-1].Reason, "previous owner dana left the roster")
	sum, err = svc.Summary(ctx)
	require.NoError(t, err)
	require.Equal(t, 0, sum.Unowned)
}

func TestSummaryAckOverdue(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := f.create(t, "a@globex.test")
	f.create(t, "b@globex.test")
	_, err := f.svc.Ack(ctx, ownership.Actor{ID: a.Owner}, a.ID, nil)
	require.NoError(t, err)
	f.clock.Add(61 * time.Minute)
	sum, err := f.svc.Summary(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, sum.Open)
	require.Equal(t, 1, sum.AckOverdue)
	require.Equal(t, 0, sum.Unowned)
	require.Equal(t, map[string]int{"dana": 1, "lee": 1}, sum.ByOwner)
	audit, err := f.svc.Audit(ctx)
	require.NoError(t, err)
	require.Len(t, audit.AckOverdue, 1)
	require.Equal(t, "T-2", audit.AckOverdue[0].ID)
}

func TestConcurrentCreateRespectsCapacity(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := 0; i < 30; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, _, err := f.svc.CreateTicket(ctx, ownership.NewTicket{Subject: "s", Contact: ownership.Contact{Email: fmt.Sprintf("u%d@globex.test", i)}})
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("CreateTicket: %v", err)
			}
		}(i)
	}
	wg.Wait()
	reps, err := f.svc.Reps(ctx)
	require.NoError(t, err)
	open := map[string]int{}
	for _, r := range reps {
		open[r.ID] = r.Open
	}
	require.Equal(t, map[string]int{"dana": 3, "lee": 3, "kim": 3, "maria": 21}, open)
}

// TestDepartedOwnerOnResolvedTicket: a resolved ticket is not closed, so
// an owner who left the roster makes it unowned; the list filter, the sweep
// and a reopen all see it.
func TestDepartedOwnerOnResolvedTicket(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := f.create(t, "a@globex.test") // dana
	b := f.create(t, "b@globex.test") // lee
	_, err := f.svc.SetStatus(ctx, dana, a.ID, ownership.StatusResolved, "", nil)
	require.NoError(t, err)
	_, err = f.svc.SetStatus(ctx, maria, b.ID, ownership.StatusResolved, "", nil)
	require.NoError(t, err)

	router, err := routing.New(routing.Config{
		Reps:  []routing.Rep{{ID: "lee", Capacity: 3}, {ID: "maria", Role: routing.RoleManager}},
		Teams: []routing.Team{{ID: "helpdesk", Members: []string{"lee"}, Fallback: "maria"}},
	})
	require.NoError(t, err)
	svc, err := ownership.NewService(ownership.Options{Store: f.store, Router: router, Now: f.clock.Now})
	require.NoError(t, err)

	p, err := svc.List(ctx, ownership.Filter{Unowned: true})
	require.NoError(t, err)
	require.Len(t, p.Tickets, 1)
	require.Equal(t, a.ID, p.Tickets[0].ID)

	// Reopening routes it anew instead of waking it up with nobody on it.
	re, err := svc.SetStatus(ctx, maria, a.ID, ownership.StatusOpen, "customer wrote back", nil)
	require.NoError(t, err)
	require.Equal(t, "lee", re.Owner)
	evs := f.events(t, a.ID)
	require.Equal(t, ownership.EventAssigned, evs[len(evs)-1].Type)
	require.Contains(t, evs[len(evs)-1].Reason, "previous owner dana left the roster")

	sum, err := svc.Summary(ctx)
	require.NoError(t, err)
	require.Equal(t, 0, sum.Unowned)
}

// TestSLAInBusinessHours: DESIGN's example — a ticket opened Friday 17:55
// with a 1-hour business-hours target is due Monday 08:55 (New York, across
// the DST change of Sunday 2026-03-08).
func TestSLAInBusinessHours(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	shift, err := routing.ParseShift("mon-fri 08:00-18:00")
	require.NoError(t, err)
	f := ownershiptest.New(t)
	router := f.Service.Router()
	c := ownershiptest.NewClock(time.Date(2026, 3, 6, 17, 55, 0, 0, ny))
	svc, err := ownership.NewService(ownership.Options{
		Store: f.Store, Router: router, Now: c.Now,
		Orgs: []ownership.Org{{ID: "acme", Plan: "break_fix", Domains: []string{"acme.test"}}},
		Policy: ownership.Policy{
			Calendar: routing.Calendar{Hours: routing.Hours{Location: ny, Shifts: []routing.Shift{shift}}},
			Plans: map[string]ownership.PlanSLA{"break_fix": {
				BusinessHours: true,
				FirstResponse: map[ownership.Priority]time.Duration{ownership.PriorityNormal: time.Hour},
			}},
		},
	})
	require.NoError(t, err)
	tk, _, err := svc.CreateTicket(context.Background(), ownership.NewTicket{Subject: "printer", Contact: ownership.Contact{Email: "x@acme.test"}})
	require.NoError(t, err)
	require.NotNil(t, tk.FirstResponseDue)
	require.Equal(t, time.Date(2026, 3, 9, 8, 55, 0, 0, ny).UTC(), *tk.FirstResponseDue)
	require.Equal(t, "2026-03-09 08:55 EDT", tk.FirstResponseDue.In(ny).Format("2006-01-02 15:04 MST"))
}
