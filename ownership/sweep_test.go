package ownership_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/ownershiptest"
	"github.com/intakehq/intake/routing"
	"github.com/stretchr/testify/require"
)

// sweepTicket opens a ticket of priority p from email; the fixture's
// router picks the owner.
func sweepTicket(t *testing.T, f *ownershiptest.Fixture, email string, p ownership.Priority) ownership.Ticket {
	t.Helper()
	tk, _, err := f.Service.CreateTicket(context.Background(), ownership.NewTicket{Subject: "help", Body: "it broke",
		Channel: "web", Contact: ownership.Contact{Email: email}, Priority: p})
	require.NoError(t, err)
	return tk
}

// otherTech is a fixture tech who is not rep.
func otherTech(rep string) string {
	for _, r := range []string{"dana", "lee", "kim"} {
		if r != rep {
			return r
		}
	}
	return ""
}

// TestSweeperRunOnce: one round lapses the offers nobody accepted in
// time and escalates the tickets nobody acknowledged in time, on the
// ledger's clock, and does nothing before they are due.
func TestSweeperRunOnce(t *testing.T) {
	ctx := context.Background()
	f := ownershiptest.New(t)
	urgent := sweepTicket(t, f, "pat@globex.test", ownership.PriorityUrgent) // ack within 15m
	normal := sweepTicket(t, f, "sam@initech.test", ownership.PriorityNormal)
	owner := ownership.Actor{ID: normal.Owner, Role: routing.RoleTech}
	_, err := f.Service.Transfer(ctx, owner, normal.ID, otherTech(normal.Owner), "", nil) // open 30m
	require.NoError(t, err)
	w := ownership.NewSweeper(f.Service, ownership.SweeperOptions{Replica: "r1"})

	got, err := w.RunOnce(ctx)
	require.NoError(t, err)
	require.Equal(t, ownership.Swept{Leased: true}, got, "nothing is due yet")

	f.Clock.Add(31 * time.Minute)
	got, err = w.RunOnce(ctx)
	require.NoError(t, err)
	require.Equal(t, ownership.Swept{Lapsed: 1, Escalated: 1, Leased: true}, got)
	cur, err := f.Service.Ticket(ctx, normal.ID)
	require.NoError(t, err)
	require.Nil(t, cur.Offer, "the offer lapsed")
	require.Equal(t, normal.Owner, cur.Owner, "a lapsed offer leaves the owner")
	cur, err = f.Service.Ticket(ctx, urgent.ID)
	require.NoError(t, err)
	require.NotEqual(t, urgent.Owner, cur.Owner, "escalated to the next rep")

	got, err = w.RunOnce(ctx)
	require.NoError(t, err)
	require.Equal(t, ownership.Swept{Leased: true}, got, "a second round finds nothing more")
}

// TestSweeperRehomesOrphans: a ledger started with a roster its ticket's
// owner has left rehomes the ticket on its first round.
func TestSweeperRehomesOrphans(t *testing.T) {
	ctx := context.Background()
	f := ownershiptest.New(t)
	tk := sweepTicket(t, f, "pat@globex.test", ownership.PriorityNormal)
	left := ownershiptest.NewWithOptions(t, func(o *ownership.Options) { o.Store = f.Store }, func(c *routing.Config) {
		var reps []routing.Rep
		for _, r := range c.Reps {
			if r.ID != tk.Owner {
				reps = append(reps, r)
			}
		}
		c.Reps = reps
		var members []string
		for _, m := range c.Teams[0].Members {
			if m != tk.Owner {
				members = append(members, m)
			}
		}
		c.Teams[0].Members = members
	})

	got, err := ownership.NewSweeper(left.Service, ownership.SweeperOptions{Replica: "r1"}).RunOnce(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, got.Rehomed)
	cur, err := left.Service.Ticket(ctx, tk.ID)
	require.NoError(t, err)
	require.NotEqual(t, tk.Owner, cur.Owner)
}

// TestSweeperEscalatesUnderLease: while one replica holds the "sweep"
// lease another does not escalate, even with a ticket due; it takes over
// once the holder has not renewed it for the lease's minute.
func TestSweeperEscalatesUnderLease(t *testing.T) {
	ctx := context.Background()
	f := ownershiptest.New(t)
	a := ownership.NewSweeper(f.Service, ownership.SweeperOptions{Replica: "a"})
	b := ownership.NewSweeper(f.Service, ownership.SweeperOptions{Replica: "b"})
	sweepTicket(t, f, "pat@globex.test", ownership.PriorityUrgent) // ack within 15m

	f.Clock.Add(14*time.Minute + 30*time.Second)
	got, err := a.RunOnce(ctx)
	require.NoError(t, err)
	require.Equal(t, ownership.Swept{Leased: true}, got, "not due yet; a takes the lease")

	f.Clock.Add(45 * time.Second)
	got, err = b.RunOnce(ctx)
	require.NoError(t, err)
	require.Equal(t, ownership.Swept{}, got, "due, but a holds the lease: b escalates nothing")

	f.Clock.Add(30 * time.Second) // a last renewed 75s ago
	got, err = b.RunOnce(ctx)
	require.NoError(t, err)
	require.Equal(t, ownership.Swept{Escalated: 1, Leased: true}, got)
}

// TestSweeperRun: Run sweeps on its cadences and, when ctx ends, gives
// the lease up so another replica escalates at once.
func TestSweeperRun(t *testing.T) {
	ctx := context.Background()
	f := ownershiptest.New(t)
	tk := sweepTicket(t, f, "pat@globex.test", ownership.PriorityNormal)
	_, err := f.Service.Transfer(ctx, ownership.Actor{ID: tk.Owner, Role: routing.RoleTech}, tk.ID, otherTech(tk.Owner), "", nil)
	require.NoError(t, err)
	f.Clock.Add(31 * time.Minute)

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	a := ownership.NewSweeper(f.Service, ownership.SweeperOptions{Replica: "a",
		Offers: 5 * time.Millisecond, Orphans: 5 * time.Millisecond, Escalations: 5 * time.Millisecond})
	go func() { defer close(done); a.Run(runCtx) }()
	require.Eventually(t, func() bool {
		cur, err := f.Service.Ticket(ctx, tk.ID)
		return err == nil && cur.Offer == nil
	}, 5*time.Second, 5*time.Millisecond, "the offer lapses on the offer cadence")
	// Let an escalation tick take the lease, then stop. The probe gives
	// back at once a lease it found free, so it never keeps a from it.
	require.Eventually(t, func() bool {
		l, err := f.Store.AcquireLease(ctx, "sweep", "probe", f.Clock.Now(), time.Minute)
		if errors.Is(err, ownership.ErrLeaseHeld) {
			return l.Holder != "probe"
		}
		require.NoError(t, err)
		require.NoError(t, f.Store.ReleaseLease(ctx, "sweep", "probe", l.Fence))
		return false
	}, 5*time.Second, 5*time.Millisecond, "a holds the lease while it runs")
	stop()
	<-done

	got, err := ownership.NewSweeper(f.Service, ownership.SweeperOptions{Replica: "b"}).RunOnce(ctx)
	require.NoError(t, err)
	require.True(t, got.Leased, "a released the lease when it stopped")
}
