package ownership_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/ownershiptest"
	"github.com/stretchr/testify/require"
)

var tom = ownershiptest.Tom

// scopeFixture is the two-team roster under tech scope sc, with T-1 on
// helpdesk (owned by dana) and T-2 on infra (owned by tom).
func scopeFixture(t *testing.T, sc ownership.TechScope) *fixture {
	t.Helper()
	ff := ownershiptest.NewWithOptions(t, func(o *ownership.Options) { o.TechScope = sc }, ownershiptest.TwoTeams)
	f := &fixture{svc: ff.Service, store: ff.Store, clock: ff.Clock}
	ctx := context.Background()
	for _, in := range []ownership.NewTicket{
		{Subject: "Printer jammed", Body: "again", Contact: ownership.Contact{Email: "pat@globex.test"}},
		{Subject: "Server down", Body: "nobody can log in", Contact: ownership.Contact{Email: "sam@initech.test"}},
	} {
		_, _, err := f.svc.CreateTicket(ctx, in)
		require.NoError(t, err)
	}
	t1, err := f.svc.Ticket(ctx, "T-1")
	require.NoError(t, err)
	t2, err := f.svc.Ticket(ctx, "T-2")
	require.NoError(t, err)
	require.Equal(t, []string{"dana", "helpdesk", "tom", "infra"}, []string{t1.Owner, t1.Team, t2.Owner, t2.Team})
	return f
}

func TestTechScopeWhoSeesWhat(t *testing.T) {
	tests := []struct {
		scope ownership.TechScope
		actor ownership.Actor
		sees  []string
	}{
		{ownership.ScopeOwn, dana, []string{"T-1"}},
		{ownership.ScopeOwn, lee, nil},
		{ownership.ScopeOwn, tom, []string{"T-2"}},
		{ownership.ScopeOwn, maria, []string{"T-2", "T-1"}},
		{ownership.ScopeTeam, dana, []string{"T-1"}},
		{ownership.ScopeTeam, lee, []string{"T-1"}},
		{ownership.ScopeTeam, tom, []string{"T-2"}},
		{ownership.ScopeTeam, maria, []string{"T-2", "T-1"}}, // fallback of both, and a manager
		{ownership.ScopeAll, lee, []string{"T-2", "T-1"}},
		{"", lee, []string{"T-1"}}, // the default is team
	}
	for _, tc := range tests {
		t.Run(string(tc.scope)+"/"+tc.actor.ID, func(t *testing.T) {
			f := scopeFixture(t, tc.scope)
			ctx := context.Background()
			p, err := f.svc.ListFor(ctx, tc.actor, ownership.Filter{})
			require.NoError(t, err)
			var got []string
			for _, tk := range p.Tickets {
				got = append(got, tk.ID)
			}
			require.Equal(t, tc.sees, got, "ListFor(%s)", tc.actor.ID)
			for _, id := range []string{"T-1", "T-2"} {
				tk, err := f.svc.Ticket(ctx, id)
				require.NoError(t, err)
				want := slices.Contains(tc.sees, id)
				require.Equal(t, want, f.svc.CanSee(tc.actor, tk), "CanSee(%s, %s)", tc.actor.ID, id)
				_, _, err = f.svc.TimelineFor(ctx, tc.actor, id)
				if want {
					require.NoError(t, err)
				} else {
					require.ErrorIs(t, err, ownership.ErrNotFound, "TimelineFor(%s, %s)", tc.actor.ID, id)
				}
			}
			sum, err := f.svc.SummaryFor(ctx, tc.actor)
			require.NoError(t, err)
			require.Equal(t, len(tc.sees), sum.Open, "SummaryFor(%s).Open", tc.actor.ID)
		})
	}
}

func TestTechScopeOfferShowsTicket(t *testing.T) {
	f := scopeFixture(t, ownership.ScopeOwn)
	ctx := context.Background()
	_, err := f.svc.Transfer(ctx, tom, "T-2", "dana", "can you look", nil)
	require.NoError(t, err)
	_, err = f.svc.TicketFor(ctx, dana, "T-2")
	require.NoError(t, err, "a ticket offered to dana is hers to see")
	tk, err := f.svc.AcceptTransfer(ctx, dana, "T-2", nil)
	require.NoError(t, err)
	require.Equal(t, "dana", tk.Owner)
	_, err = f.svc.TicketFor(ctx, tom, "T-2")
	require.ErrorIs(t, err, ownership.ErrNotFound, "tom handed it on; under own it is not his any more")
}

// TestTechScopeRefusesWrites has dana (helpdesk) try every action on tom's
// infra ticket: each is refused as not found, worded as for an unknown
// ticket, hands back no ticket, and leaves the ticket and its timeline as
// they were.
func TestTechScopeRefusesWrites(t *testing.T) {
	f := scopeFixture(t, ownership.ScopeTeam)
	ctx := context.Background()
	f.clock.Add(3 * time.Hour) // ack overdue: a tech could take it, were it hers to see
	v := ptr(int64(1))
	stale := ptr(int64(99))
	actions := map[string]func(id string) (ownership.Ticket, error){
		"transfer": func(id string) (ownership.Ticket, error) { return f.svc.Transfer(ctx, dana, id, "lee", "", v) },
		"accept":   func(id string) (ownership.Ticket, error) { return f.svc.AcceptTransfer(ctx, dana, id, nil) },
		"decline":  func(id string) (ownership.Ticket, error) { return f.svc.DeclineTransfer(ctx, dana, id, "") },
		"take":     func(id string) (ownership.Ticket, error) { return f.svc.Take(ctx, dana, id, nil) },
		"take stale version": func(id string) (ownership.Ticket, error) {
			return f.svc.Take(ctx, dana, id, stale)
		},
		"ack": func(id string) (ownership.Ticket, error) { return f.svc.Ack(ctx, dana, id, nil) },
		"status": func(id string) (ownership.Ticket, error) {
			return f.svc.SetStatus(ctx, dana, id, ownership.StatusResolved, "", nil)
		},
		"note":  func(id string) (ownership.Ticket, error) { return f.svc.Note(ctx, dana, id, "peek", "", nil) },
		"time":  func(id string) (ownership.Ticket, error) { return f.svc.LogTime(ctx, dana, id, 5, "") },
		"reply": func(id string) (ownership.Ticket, error) { return f.svc.Reply(ctx, dana, id, "hello", "") },
	}
	before, err := f.svc.Ticket(ctx, "T-2")
	require.NoError(t, err)
	evs := len(f.events(t, "T-2"))
	for name, act := range actions {
		t.Run(name, func(t *testing.T) {
			tk, err := act("T-2")
			require.ErrorIs(t, err, ownership.ErrNotFound)
			require.True(t, ownership.IsOutOfScope(err), "IsOutOfScope(%v)", err)
			require.Equal(t, "ticket T-2: not found", err.Error(), "worded as for an unknown ticket")
			require.Equal(t, ownership.Ticket{}, tk, "no ticket is handed back")
			_, unknownErr := act("T-99")
			require.ErrorIs(t, unknownErr, ownership.ErrNotFound)
			require.False(t, ownership.IsOutOfScope(unknownErr))
			after, err := f.svc.Ticket(ctx, "T-2")
			require.NoError(t, err)
			require.Equal(t, before, after, "T-2 unchanged")
			require.Len(t, f.events(t, "T-2"), evs, "no event on T-2")
		})
	}
	// The same actions on her own team's ticket still work.
	_, err = f.svc.Note(ctx, lee, "T-1", "on it", "", nil)
	require.NoError(t, err)
}

func TestTechScopeCounts(t *testing.T) {
	f := scopeFixture(t, ownership.ScopeTeam)
	ctx := context.Background()
	f.clock.Add(3 * time.Hour) // both tickets' acks are overdue
	a, err := f.svc.AuditFor(ctx, dana)
	require.NoError(t, err)
	require.Len(t, a.AckOverdue, 1)
	require.Equal(t, "T-1", a.AckOverdue[0].ID)
	all, err := f.svc.AuditFor(ctx, maria)
	require.NoError(t, err)
	require.Len(t, all.AckOverdue, 2)
	sum, err := f.svc.SummaryFor(ctx, dana)
	require.NoError(t, err)
	require.Equal(t, 1, sum.AckOverdue)
	require.Equal(t, map[string]int{"dana": 1}, sum.ByOwner)
	require.NotContains(t, sum.Teams, "infra")
	require.Equal(t, ownership.ScopeTeam, f.svc.ScopeName(dana))
	require.Equal(t, ownership.ScopeAll, f.svc.ScopeName(maria))
}

func TestTechScopeInvalid(t *testing.T) {
	_, err := ownership.NewService(ownership.Options{Store: newFixture(t).store, Router: newFixture(t).svc.Router(), TechScope: "everyone"})
	require.ErrorContains(t, err, `tech scope "everyone"`)
}
