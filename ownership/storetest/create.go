package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/intakehq/intake/ownership"
	"github.com/stretchr/testify/require"
)

// Creating tickets: ids, round trips, dedup, the owner and capacity checks,
// and reads of what does not exist.

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
