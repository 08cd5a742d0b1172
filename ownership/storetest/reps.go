package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/intakehq/intake/ownership"
	"github.com/stretchr/testify/require"
)

// Reps' load and availability as the store keeps them.

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
