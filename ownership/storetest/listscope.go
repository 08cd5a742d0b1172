package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/intakehq/intake/ownership"
	"github.com/stretchr/testify/require"
)

// testListScope checks Filter.Scope: a rep's tickets are those they own,
// those offered to them and those of their teams; the other fields still
// narrow; and paging through a scope returns every such ticket once, in
// full pages, however few of the stored tickets the scope keeps.
func testListScope(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	mk := func(owner, team string, status ownership.Status, offerTo string) {
		tk := newTicket(firstNonEmpty(owner, "kim"))
		tk.Team = team
		c := mustCreate(t, s, ownership.CreateRequest{Ticket: tk})
		if status == ownership.StatusOpen && offerTo == "" {
			return
		}
		c.Status, c.Owner = status, owner
		if offerTo != "" {
			c.Offer = &ownership.Offer{To: offerTo, From: owner, By: owner, At: t0, ExpiresAt: t0.Add(30 * time.Minute)}
		}
		_, err := s.UpdateTicket(ctx, ownership.UpdateRequest{Ticket: c})
		require.NoError(t, err)
	}
	mk("dana", "helpdesk", ownership.StatusOpen, "")   // T-1
	mk("tom", "infra", ownership.StatusOpen, "")       // T-2
	mk("tom", "infra", ownership.StatusOpen, "dana")   // T-3: offered to dana
	mk("lee", "helpdesk", ownership.StatusPending, "") // T-4
	mk("dana", "infra", ownership.StatusResolved, "")  // T-5: dana's, another team
	mk("tom", "infra", ownership.StatusOpen, "lee")    // T-6: offered to lee
	mk("", "", ownership.StatusClosed, "")             // T-7: closed, left without owner or team

	own := &ownership.Scope{Rep: "dana"}
	team := &ownership.Scope{Rep: "dana", Teams: []string{"helpdesk"}}
	tests := []struct {
		name string
		f    ownership.Filter
		want []string
	}{
		{"own and offered", ownership.Filter{Scope: own}, []string{"T-5", "T-3", "T-1"}},
		{"team", ownership.Filter{Scope: team}, []string{"T-5", "T-4", "T-3", "T-1"}},
		{"two teams", ownership.Filter{Scope: &ownership.Scope{Rep: "kim", Teams: []string{"helpdesk", "infra"}}},
			[]string{"T-6", "T-5", "T-4", "T-3", "T-2", "T-1"}},
		{"team only", ownership.Filter{Scope: &ownership.Scope{Teams: []string{"infra"}}}, []string{"T-6", "T-5", "T-3", "T-2"}},
		{"nobody owns nothing", ownership.Filter{Scope: &ownership.Scope{}}, nil},
		{"nothing for a stranger", ownership.Filter{Scope: &ownership.Scope{Rep: "zed", Teams: []string{"sales"}}}, nil},
		{"with status", ownership.Filter{Scope: team, Statuses: []ownership.Status{ownership.StatusOpen}}, []string{"T-3", "T-1"}},
		{"with owner", ownership.Filter{Scope: own, Owner: "tom"}, []string{"T-3"}},
		{"with owner outside", ownership.Filter{Scope: own, Owner: "lee"}, nil},
		{"nil scope is everything", ownership.Filter{Scope: nil, Statuses: []ownership.Status{ownership.StatusOpen}},
			[]string{"T-6", "T-3", "T-2", "T-1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, listIDs(t, s, tc.f))
		})
	}
}

// testListScopePagination pages through a scope that keeps one ticket in
// five: every page but the last is full and nothing is skipped or repeated.
func testListScopePagination(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	const n = 41
	var want []int64
	for i := int64(1); i <= n; i++ {
		tk := newTicket("tom")
		tk.Team = "infra"
		if i%5 == 0 {
			tk.Team = "helpdesk"
		}
		if i%7 == 0 {
			tk.Owner = "dana"
		}
		mustCreate(t, s, ownership.CreateRequest{Ticket: tk})
	}
	for i := int64(n); i >= 1; i-- {
		if i%5 == 0 || i%7 == 0 {
			want = append(want, i)
		}
	}
	f := ownership.Filter{Limit: 3, Scope: &ownership.Scope{Rep: "dana", Teams: []string{"helpdesk"}}}
	var seen []int64
	for pages := 0; ; pages++ {
		require.Less(t, pages, 20, "pagination does not end")
		p, err := s.List(ctx, f)
		require.NoError(t, err)
		if p.Next != "" {
			require.Len(t, p.Tickets, f.Limit, "a page before the last is full")
		}
		for _, tk := range p.Tickets {
			seen = append(seen, tk.Number)
		}
		if p.Next == "" {
			break
		}
		f.Cursor = p.Next
	}
	require.Equal(t, want, seen)
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// listIDs lists one page of f and returns the tickets' ids.
func listIDs(t *testing.T, s ownership.Store, f ownership.Filter) []string {
	t.Helper()
	p, err := s.List(context.Background(), f)
	require.NoError(t, err)
	var out []string
	for _, tk := range p.Tickets {
		out = append(out, tk.ID)
	}
	return out
}
