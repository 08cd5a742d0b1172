package ownership_test

import (
	"context"
	"testing"

	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/routing"
	"github.com/stretchr/testify/require"
)

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
