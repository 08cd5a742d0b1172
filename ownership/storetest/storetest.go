// Package storetest is the conformance suite every ownership.Store
// implementation must pass. A backend's test calls RunTests with a function
// that returns a fresh, empty store for each subtest.
package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/intakehq/intake/ownership"
	"github.com/stretchr/testify/require"
)

// NewStore returns a fresh, empty store; the suite closes it.
type NewStore func(t *testing.T) ownership.Store

// RunTests runs the whole conformance suite against the stores newStore
// makes. The subtest names are the same for every backend, so their reports
// can be compared line by line.
func RunTests(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		run  func(t *testing.T, s ownership.Store)
	}{
		{"CreateSequentialIDs", testCreateSequentialIDs},
		{"CreateRoundTrip", testCreateRoundTrip},
		{"CreateDedup", testCreateDedup},
		{"CreateRequiresOwner", testCreateRequiresOwner},
		{"CreateCapacity", testCreateCapacity},
		{"NotFound", testNotFound},
		{"UpdateCompareAndSet", testUpdateCompareAndSet},
		{"UpdateRevisionNotVersion", testUpdateRevisionNotVersion},
		{"UpdateOpIDIdempotent", testUpdateOpIDIdempotent},
		{"UpdateDedup", testUpdateDedup},
		{"UpdateRequiresOwner", testUpdateRequiresOwner},
		{"UpdateCapacity", testUpdateCapacity},
		{"RepStatesTrackLoad", testRepStatesTrackLoad},
		{"Availability", testAvailability},
		{"ListFilters", testListFilters},
		{"ListPagination", testListPagination},
		{"ListScope", testListScope},
		{"ListScopePagination", testListScopePagination},
		{"ConcurrentCreateCapacity", testConcurrentCreateCapacity},
		{"ConcurrentCreateDedup", testConcurrentCreateDedup},
		{"ConcurrentUpdateOneWinner", testConcurrentUpdateOneWinner},
		{"OutboxEnqueueWithCreate", testOutboxEnqueueWithCreate},
		{"OutboxEnqueueIdempotent", testOutboxEnqueueIdempotent},
		{"OutboxNotEnqueuedOnConflict", testOutboxNotEnqueuedOnConflict},
		{"OutboxClaimDueOnly", testOutboxClaimDueOnly},
		{"OutboxClaimOrder", testOutboxClaimOrder},
		{"OutboxLeaseExpiry", testOutboxLeaseExpiry},
		{"OutboxFinishSent", testOutboxFinishSent},
		{"OutboxFinishRetry", testOutboxFinishRetry},
		{"OutboxFinishDead", testOutboxFinishDead},
		{"OutboxFinishFence", testOutboxFinishFence},
		{"OutboxList", testOutboxList},
		{"OutboxConcurrentClaim", testOutboxConcurrentClaim},
		{"Flags", testFlags},
		{"OutboxDeadAfterSent", testOutboxDeadAfterSent},
		{"OutboxHeaders", testOutboxHeaders},
		{"LeaseAcquireRenew", testLeaseAcquireRenew},
		{"LeaseExpiry", testLeaseExpiry},
		{"LeaseRelease", testLeaseRelease},
		{"LeaseFencedFlag", testLeaseFencedFlag},
		{"LeaseConcurrentAcquire", testLeaseConcurrentAcquire},
		{"Sessions", testSessions},
		{"Throttle", testThrottle},
		{"ThrottleConcurrent", testThrottleConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			t.Cleanup(func() { _ = s.Close() })
			tc.run(t, s)
		})
	}
}

var t0 = time.Date(2026, 3, 6, 14, 30, 0, 0, time.UTC)

// newTicket returns a valid open ticket owned by owner.
func newTicket(owner string) ownership.Ticket {
	return ownership.Ticket{
		Subject:    "Printer on fire",
		Status:     ownership.StatusOpen,
		Priority:   ownership.PriorityNormal,
		Channel:    "web",
		Owner:      owner,
		Team:       "helpdesk",
		Contact:    ownership.Contact{Name: "Pat Lee", Email: "pat@acme.test", Phone: "+15557770101"},
		Org:        "acme",
		CreatedAt:  t0,
		UpdatedAt:  t0,
		AssignedAt: t0,
	}
}

func created(owner string) []ownership.Event {
	return []ownership.Event{
		{Type: ownership.EventMessageIn, At: t0, Actor: "pat@acme.test", Channel: "web", Body: "It is on fire."},
		{Type: ownership.EventAssigned, At: t0, Actor: "router", To: owner, Reason: "least_loaded: " + owner + " had 0 open"},
	}
}

func mustCreate(t *testing.T, s ownership.Store, req ownership.CreateRequest) ownership.Ticket {
	t.Helper()
	tk, ok, err := s.CreateTicket(context.Background(), req)
	require.NoError(t, err)
	require.True(t, ok, "CreateTicket created = false, want true")
	return tk
}

func testCreateSequentialIDs(t *testing.T, s ownership.Store) {
	for i := 1; i <= 5; i++ {
		tk := mustCreate(t, s, ownership.CreateRequest{Ticket: newTicket("dana"), Events: created("dana")})
		require.Equal(t, fmt.Sprintf("T-%d", i), tk.ID)
		require.Equal(t, int64(i), tk.Number)
		require.Equal(t, int64(1), tk.Version)
		require.Equal(t, int64(1), tk.Rev)
	}
}

func testCreateRoundTrip(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	in := newTicket("dana")
	due := t0.Add(4 * time.Hour)
	in.FirstResponseDue = &due
	in.Handles = map[string]string{"phone": "+15557770101"}
	in.Offer = &ownership.Offer{To: "lee", From: "dana", By: "dana", At: t0, ExpiresAt: t0.Add(30 * time.Minute)}
	evs := created("dana")
	evs[0].Meta = map[string]string{"ip": "127.0.0.1"}
	tk := mustCreate(t, s, ownership.CreateRequest{Ticket: in, Events: evs})

	got, err := s.Ticket(ctx, tk.ID)
	require.NoError(t, err)
	require.Equal(t, tk, got)
	in.ID, in.Number, in.Version, in.Rev = tk.ID, tk.Number, 1, 1
	require.Equal(t, in, got)

	gotEv, err := s.Events(ctx, tk.ID)
	require.NoError(t, err)
	require.Len(t, gotEv, 2)
	for i := range evs {
		evs[i].Seq = int64(i + 1)
	}
	require.Equal(t, evs, gotEv)

	got, err = s.Ticket(ctx, "t-1")
	require.NoError(t, err, "ids are case-insensitive")
	require.Equal(t, tk.ID, got.ID)
}

func testCreateDedup(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	req := ownership.CreateRequest{Ticket: newTicket("dana"), Events: created("dana"), DedupKey: "sms:SM123"}
	first := mustCreate(t, s, req)
	for i := 0; i < 3; i++ {
		again, ok, err := s.CreateTicket(ctx, req)
		require.NoError(t, err)
		require.False(t, ok, "CreateTicket(same dedup key) created = true, want false")
		require.Equal(t, first.ID, again.ID)
	}
	evs, err := s.Events(ctx, first.ID)
	require.NoError(t, err)
	require.Len(t, evs, 2)
	id, err := s.LookupDedup(ctx, "sms:SM123")
	require.NoError(t, err)
	require.Equal(t, first.ID, id)
	_, err = s.LookupDedup(ctx, "sms:unknown")
	require.ErrorIs(t, err, ownership.ErrNotFound)

	next := mustCreate(t, s, ownership.CreateRequest{Ticket: newTicket("dana"), DedupKey: "sms:SM124"})
	require.Equal(t, "T-2", next.ID, "a deduplicated create must not use up a ticket number")
}

func testCreateRequiresOwner(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	_, _, err := s.CreateTicket(ctx, ownership.CreateRequest{Ticket: newTicket("")})
	require.ErrorIs(t, err, ownership.ErrNoOwner)
	page, err := s.List(ctx, ownership.Filter{})
	require.NoError(t, err)
	require.Empty(t, page.Tickets)
}

func testCreateCapacity(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		mustCreate(t, s, ownership.CreateRequest{Ticket: newTicket("lee"), OwnerCapacity: 2})
	}
	_, _, err := s.CreateTicket(ctx, ownership.CreateRequest{Ticket: newTicket("lee"), OwnerCapacity: 2, DedupKey: "k"})
	require.ErrorIs(t, err, ownership.ErrOwnerFull)
	_, err = s.LookupDedup(ctx, "k")
	require.ErrorIs(t, err, ownership.ErrNotFound, "a refused create must not record its dedup key")

	// A resolved ticket no longer counts against capacity.
	tk, err := s.Ticket(ctx, "T-1")
	require.NoError(t, err)
	tk.Status = ownership.StatusResolved
	_, err = s.UpdateTicket(ctx, ownership.UpdateRequest{Ticket: tk})
	require.NoError(t, err)
	third := mustCreate(t, s, ownership.CreateRequest{Ticket: newTicket("lee"), OwnerCapacity: 2})
	require.Equal(t, "T-3", third.ID, "a refused create must not use up a ticket number")
}

func testNotFound(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	_, err := s.Ticket(ctx, "T-99")
	require.ErrorIs(t, err, ownership.ErrNotFound)
	_, err = s.Events(ctx, "T-99")
	require.ErrorIs(t, err, ownership.ErrNotFound)
	_, err = s.Ticket(ctx, "nonsense")
	require.ErrorIs(t, err, ownership.ErrNotFound)
	tk := newTicket("dana")
	tk.ID, tk.Number, tk.Version, tk.Rev = "T-99", 99, 1, 1
	_, err = s.UpdateTicket(ctx, ownership.UpdateRequest{Ticket: tk})
	require.ErrorIs(t, err, ownership.ErrNotFound)
}

func testUpdateCompareAndSet(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	tk := mustCreate(t, s, ownership.CreateRequest{Ticket: newTicket("dana"), Events: created("dana")})

	next := tk
	next.Owner = "lee"
	next.Version = 2 // the caller moves the version; the store keeps it
	next.UpdatedAt = t0.Add(time.Minute)
	ev := ownership.Event{Type: ownership.EventAssigned, At: next.UpdatedAt, Actor: "maria", From: "dana", To: "lee", Reason: "manual"}
	got, err := s.UpdateTicket(ctx, ownership.UpdateRequest{Ticket: next, Events: []ownership.Event{ev}})
	require.NoError(t, err)
	require.Equal(t, int64(2), got.Version)
	require.Equal(t, int64(2), got.Rev)
	require.Equal(t, "lee", got.Owner)

	stale := tk // still revision 1
	stale.Owner = "kim"
	_, err = s.UpdateTicket(ctx, ownership.UpdateRequest{Ticket: stale, Events: []ownership.Event{ev}})
	require.ErrorIs(t, err, ownership.ErrConflict)

	cur, err := s.Ticket(ctx, tk.ID)
	require.NoError(t, err)
	require.Equal(t, "lee", cur.Owner)
	require.Equal(t, int64(2), cur.Version)
	require.Equal(t, int64(2), cur.Rev)
	evs, err := s.Events(ctx, tk.ID)
	require.NoError(t, err)
	require.Len(t, evs, 3, "a conflicting update must append nothing")
	require.Equal(t, int64(3), evs[2].Seq)
	require.Equal(t, "lee", evs[2].To)
}

func testUpdateOpIDIdempotent(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	tk := mustCreate(t, s, ownership.CreateRequest{Ticket: newTicket("dana")})
	next := tk
	next.Status = ownership.StatusPending
	req := ownership.UpdateRequest{Ticket: next, OpID: "op-1",
		Events: []ownership.Event{{Type: ownership.EventStatus, At: t0, Actor: "dana", From: "open", To: "pending"}}}
	first, err := s.UpdateTicket(ctx, req)
	require.NoError(t, err)
	again, err := s.UpdateTicket(ctx, req)
	require.NoError(t, err, "replaying an applied OpID is not a conflict")
	require.Equal(t, first, again)
	evs, err := s.Events(ctx, tk.ID)
	require.NoError(t, err)
	require.Len(t, evs, 1)
}

func testUpdateDedup(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	tk := mustCreate(t, s, ownership.CreateRequest{Ticket: newTicket("dana"), DedupKey: "sms:SM1"})
	msg := ownership.Event{Type: ownership.EventMessageIn, At: t0, Actor: "+15557770101", Channel: "sms", Body: "still broken"}
	got, err := s.UpdateTicket(ctx, ownership.UpdateRequest{Ticket: tk, Events: []ownership.Event{msg}, DedupKey: "sms:SM2"})
	require.NoError(t, err)
	_, err = s.UpdateTicket(ctx, ownership.UpdateRequest{Ticket: got, Events: []ownership.Event{msg}, DedupKey: "sms:SM2"})
	require.ErrorIs(t, err, ownership.ErrDuplicate)
	_, err = s.UpdateTicket(ctx, ownership.UpdateRequest{Ticket: got, Events: []ownership.Event{msg}, DedupKey: "sms:SM1"})
	require.ErrorIs(t, err, ownership.ErrDuplicate)
	evs, err := s.Events(ctx, tk.ID)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	id, err := s.LookupDedup(ctx, "sms:SM2")
	require.NoError(t, err)
	require.Equal(t, tk.ID, id)
}

func testUpdateRequiresOwner(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	tk := mustCreate(t, s, ownership.CreateRequest{Ticket: newTicket("dana")})
	next := tk
	next.Owner = ""
	_, err := s.UpdateTicket(ctx, ownership.UpdateRequest{Ticket: next})
	require.ErrorIs(t, err, ownership.ErrNoOwner)
	next.Status = ownership.StatusClosed
	_, err = s.UpdateTicket(ctx, ownership.UpdateRequest{Ticket: next})
	require.NoError(t, err, "a closed ticket may be without owner")
}

func testUpdateCapacity(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	mustCreate(t, s, ownership.CreateRequest{Ticket: newTicket("lee")})
	tk := mustCreate(t, s, ownership.CreateRequest{Ticket: newTicket("dana")})
	next := tk
	next.Owner = "lee"
	_, err := s.UpdateTicket(ctx, ownership.UpdateRequest{Ticket: next, OwnerCapacity: 1})
	require.ErrorIs(t, err, ownership.ErrOwnerFull)
	_, err = s.UpdateTicket(ctx, ownership.UpdateRequest{Ticket: next, OwnerCapacity: 2})
	require.NoError(t, err)
}

func testRepStatesTrackLoad(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	a := mustCreate(t, s, ownership.CreateRequest{Ticket: newTicket("dana")})
	mustCreate(t, s, ownership.CreateRequest{Ticket: newTicket("dana")})
	lt := newTicket("lee")
	lt.AssignedAt = t0.Add(time.Hour)
	mustCreate(t, s, ownership.CreateRequest{Ticket: lt})

	st, err := s.RepStates(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, st["dana"].Open)
	require.Equal(t, 1, st["lee"].Open)
	require.True(t, st["lee"].LastAssigned.Equal(t0.Add(time.Hour)), "lee LastAssigned = %v", st["lee"].LastAssigned)

	// Moving a ticket moves its load; the new owner's LastAssigned is the
	// ticket's AssignedAt.
	next := a
	next.Owner = "lee"
	next.AssignedAt = t0.Add(2 * time.Hour)
	a, err = s.UpdateTicket(ctx, ownership.UpdateRequest{Ticket: next})
	require.NoError(t, err)
	st, err = s.RepStates(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, st["dana"].Open)
	require.Equal(t, 2, st["lee"].Open)
	require.True(t, st["lee"].LastAssigned.Equal(t0.Add(2*time.Hour)))

	// Pending still counts; resolved and closed do not; reopening counts again.
	for _, step := range []struct {
		status ownership.Status
		open   int
	}{{ownership.StatusPending, 2}, {ownership.StatusResolved, 1}, {ownership.StatusOpen, 2}, {ownership.StatusClosed, 1}} {
		next := a
		next.Status = step.status
		a, err = s.UpdateTicket(ctx, ownership.UpdateRequest{Ticket: next})
		require.NoError(t, err)
		st, err = s.RepStates(ctx)
		require.NoError(t, err)
		require.Equal(t, step.open, st["lee"].Open, "lee open after status %s", step.status)
	}
}

func testAvailability(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	require.NoError(t, s.SetAvailability(ctx, "kim", "away"))
	st, err := s.RepStates(ctx)
	require.NoError(t, err)
	require.Equal(t, "away", st["kim"].Availability)
	require.Equal(t, 0, st["kim"].Open)
	require.NoError(t, s.SetAvailability(ctx, "kim", "available"))
	st, err = s.RepStates(ctx)
	require.NoError(t, err)
	require.Equal(t, "available", st["kim"].Availability)
	require.NoError(t, s.Ping(ctx))
}

func testListFilters(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	mk := func(owner, channel, org, email string, status ownership.Status) {
		tk := newTicket(owner)
		tk.Channel, tk.Org, tk.Contact = channel, org, ownership.Contact{Email: email}
		c := mustCreate(t, s, ownership.CreateRequest{Ticket: tk})
		if status != ownership.StatusOpen {
			c.Status = status
			_, err := s.UpdateTicket(ctx, ownership.UpdateRequest{Ticket: c})
			require.NoError(t, err)
		}
	}
	mk("dana", "sms", "acme", "a@acme.test", ownership.StatusOpen)       // T-1
	mk("lee", "email", "acme", "b@acme.test", ownership.StatusPending)   // T-2
	mk("dana", "email", "globex", "c@globex.test", ownership.StatusOpen) // T-3
	mk("lee", "web", "globex", "a@acme.test", ownership.StatusClosed)    // T-4

	tests := []struct {
		name string
		f    ownership.Filter
		want []string
	}{
		{"all newest first", ownership.Filter{}, []string{"T-4", "T-3", "T-2", "T-1"}},
		{"status", ownership.Filter{Statuses: []ownership.Status{ownership.StatusOpen}}, []string{"T-3", "T-1"}},
		{"statuses", ownership.Filter{Statuses: []ownership.Status{ownership.StatusOpen, ownership.StatusPending}}, []string{"T-3", "T-2", "T-1"}},
		{"owner", ownership.Filter{Owner: "lee"}, []string{"T-4", "T-2"}},
		{"channel", ownership.Filter{Channel: "email"}, []string{"T-3", "T-2"}},
		{"org", ownership.Filter{Org: "globex"}, []string{"T-4", "T-3"}},
		{"contact", ownership.Filter{Contact: "email:a@acme.test"}, []string{"T-4", "T-1"}},
		{"combined", ownership.Filter{Owner: "dana", Channel: "email"}, []string{"T-3"}},
		{"unowned", ownership.Filter{Unowned: true}, nil},
		{"nothing", ownership.Filter{Owner: "nobody"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, listIDs(t, s, tc.f))
		})
	}
}

func testListPagination(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	const n = 23
	for i := 0; i < n; i++ {
		owner := "dana"
		if i%2 == 1 {
			owner = "lee"
		}
		mustCreate(t, s, ownership.CreateRequest{Ticket: newTicket(owner)})
	}
	for _, f := range []ownership.Filter{{Limit: 5}, {Limit: 4, Owner: "lee"}} {
		var seen []int64
		cursor := ""
		for pages := 0; ; pages++ {
			require.Less(t, pages, 20, "pagination does not end")
			f.Cursor = cursor
			p, err := s.List(ctx, f)
			require.NoError(t, err)
			require.LessOrEqual(t, len(p.Tickets), f.Limit)
			for _, tk := range p.Tickets {
				seen = append(seen, tk.Number)
			}
			if p.Next == "" {
				break
			}
			cursor = p.Next
		}
		want := []int64{}
		for i := int64(n); i >= 1; i-- {
			if f.Owner == "lee" && i%2 == 1 {
				continue
			}
			want = append(want, i)
		}
		require.Equal(t, want, seen, "filter %+v", f)
	}
	_, err := s.List(ctx, ownership.Filter{Cursor: "garbage!"})
	require.Error(t, err, "a bad cursor is an error")
}
