package storetest

import (
	"context"
	"testing"

	"github.com/intakehq/intake/ownership"
	"github.com/stretchr/testify/require"
)

// Listing tickets: filters and pagination (scoped lists are in listscope.go).

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
