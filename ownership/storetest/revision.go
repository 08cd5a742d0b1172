package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/intakehq/intake/ownership"
	"github.com/stretchr/testify/require"
)

// testUpdateRevisionNotVersion: the store compare-and-sets on Rev, moves it
// on every write and keeps Version as the caller set it, so bookkeeping
// writes leave a client's version good and still never overwrite each
// other.
func testUpdateRevisionNotVersion(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	tk := mustCreate(t, s, ownership.CreateRequest{Ticket: newTicket("dana"), Events: created("dana")})

	book := tk
	book.Handles = map[string]string{"slack_ts": "1.2"}
	book.UpdatedAt = t0.Add(time.Second)
	got, err := s.UpdateTicket(ctx, ownership.UpdateRequest{Ticket: book})
	require.NoError(t, err)
	require.Equal(t, int64(1), got.Version, "the version is the caller's")
	require.Equal(t, int64(2), got.Rev, "every write moves the revision")

	lost := tk // the same version, an old revision
	lost.Handles = map[string]string{"phone": "+15557770101"}
	_, err = s.UpdateTicket(ctx, ownership.UpdateRequest{Ticket: lost})
	require.ErrorIs(t, err, ownership.ErrConflict, "a write from an old revision would lose the one before")

	cur, err := s.Ticket(ctx, tk.ID)
	require.NoError(t, err)
	require.Equal(t, got, cur)
	require.Equal(t, "1.2", cur.Handles["slack_ts"])
	page, err := s.List(ctx, ownership.Filter{})
	require.NoError(t, err)
	require.Len(t, page.Tickets, 1)
	require.Equal(t, int64(2), page.Tickets[0].Rev, "lists read the revision too")
}
