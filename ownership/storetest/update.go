package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/intakehq/intake/ownership"
	"github.com/stretchr/testify/require"
)

// Updating tickets: compare-and-set, replayed operations, dedup, the owner
// and capacity checks.

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
