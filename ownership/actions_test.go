package ownership_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/routing"
	"github.com/stretchr/testify/require"
)

func TestAssignRules(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tk := f.create(t, "pat@globex.test")

	_, err := f.svc.Assign(ctx, dana, tk.ID, "lee", "", nil)
	require.ErrorIs(t, err, ownership.ErrForbidden, "techs do not assign directly")
	_, err = f.svc.Assign(ctx, maria, tk.ID, "bob", "", nil)
	require.ErrorIs(t, err, ownership.ErrInvalid, "unknown rep")
	_, err = f.svc.Assign(ctx, maria, "T-99", "lee", "", nil)
	require.ErrorIs(t, err, ownership.ErrNotFound)

	got, err := f.svc.Assign(ctx, maria, tk.ID, "lee", "knows the printer", ptr(tk.Version))
	require.NoError(t, err)
	require.Equal(t, "lee", got.Owner)
	require.Nil(t, got.AckedAt, "the new owner must acknowledge anew")

	cur, err := f.svc.Assign(ctx, maria, tk.ID, "kim", "", ptr(tk.Version))
	var ce *ownership.ConflictError
	require.ErrorAs(t, err, &ce)
	require.ErrorIs(t, err, ownership.ErrConflict)
	require.Equal(t, "lee", ce.Current.Owner)
	require.Equal(t, got.Version, cur.Version)

	evs := f.events(t, tk.ID)
	last := evs[len(evs)-1]
	require.Equal(t, ownership.EventAssigned, last.Type)
	require.Equal(t, "maria", last.Actor)
	require.Equal(t, "dana", last.From)
	require.Equal(t, "lee", last.To)
	require.Contains(t, last.Reason, "knows the printer")
}

func TestTransferOfferAcceptAndLapse(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tk := f.create(t, "pat@globex.test") // dana

	_, err := f.svc.Transfer(ctx, lee, tk.ID, "kim", "", nil)
	require.ErrorIs(t, err, ownership.ErrForbidden, "only the owner or a manager offers")

	off, err := f.svc.Transfer(ctx, dana, tk.ID, "lee", "going on leave", nil)
	require.NoError(t, err)
	require.Equal(t, "dana", off.Owner, "the owner keeps the ticket until the offer is accepted")
	require.Equal(t, "lee", off.Offer.To)

	_, err = f.svc.AcceptTransfer(ctx, kim, tk.ID, nil)
	require.ErrorIs(t, err, ownership.ErrState, "only the receiver accepts")

	acc, err := f.svc.AcceptTransfer(ctx, lee, tk.ID, nil)
	require.NoError(t, err)
	require.Equal(t, "lee", acc.Owner)
	require.Nil(t, acc.Offer)
	require.NotNil(t, acc.AckedAt)

	// An offer not accepted in time lapses, recorded; the owner keeps it.
	_, err = f.svc.Transfer(ctx, lee, tk.ID, "kim", "", nil)
	require.NoError(t, err)
	f.clock.Add(31 * time.Minute)
	n, err := f.svc.LapseOffers(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	_, err = f.svc.AcceptTransfer(ctx, kim, tk.ID, nil)
	require.ErrorIs(t, err, ownership.ErrState)
	cur, err := f.svc.Ticket(ctx, tk.ID)
	require.NoError(t, err)
	require.Equal(t, "lee", cur.Owner)
	require.Nil(t, cur.Offer)

	var states []string
	for _, ev := range f.events(t, tk.ID) {
		if ev.Type == ownership.EventTransferred {
			states = append(states, ev.Meta["state"])
		}
	}
	require.Equal(t, []string{"offered", "accepted", "offered", "lapsed"}, states)
}

func TestAcceptAfterExpiryLapses(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tk := f.create(t, "pat@globex.test")
	_, err := f.svc.Transfer(ctx, dana, tk.ID, "lee", "", nil)
	require.NoError(t, err)
	f.clock.Add(time.Hour)
	_, err = f.svc.AcceptTransfer(ctx, lee, tk.ID, nil)
	require.ErrorIs(t, err, ownership.ErrState)
	require.ErrorContains(t, err, "lapsed")
	cur, err := f.svc.Ticket(ctx, tk.ID)
	require.NoError(t, err)
	require.Equal(t, "dana", cur.Owner)
}

func TestTakeAckStatusNoteTime(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tk := f.create(t, "pat@globex.test") // dana

	_, err := f.svc.Take(ctx, lee, tk.ID, nil)
	require.ErrorIs(t, err, ownership.ErrForbidden, "dana is on shift and available")
	_, err = f.svc.Ack(ctx, lee, tk.ID, nil)
	require.ErrorIs(t, err, ownership.ErrForbidden, "only the owner acks")

	_, err = f.svc.SetAvailability(ctx, lee, "dana", routing.Away)
	require.ErrorIs(t, err, ownership.ErrForbidden)
	_, err = f.svc.SetAvailability(ctx, kim, "kim", routing.Away)
	require.NoError(t, err)
	_, err = f.svc.SetAvailability(ctx, dana, "dana", routing.Away)
	require.NoError(t, err)
	handed := f.events(t, tk.ID)
	require.Equal(t, "dana is away; least_loaded: lee had 0 open", handed[len(handed)-1].Reason, "dana's ticket is handed on at once")
	took, err := f.svc.Take(ctx, lee, tk.ID, nil)
	require.NoError(t, err)
	require.Equal(t, "lee", took.Owner)

	acked, err := f.svc.Ack(ctx, lee, tk.ID, nil)
	require.NoError(t, err)
	require.NotNil(t, acked.AckedAt)
	again, err := f.svc.Ack(ctx, lee, tk.ID, nil)
	require.NoError(t, err)
	require.Equal(t, acked.Version, again.Version, "a second ack changes nothing")

	_, err = f.svc.Note(ctx, kim, tk.ID, "   ", "", nil)
	require.ErrorIs(t, err, ownership.ErrInvalid)
	_, err = f.svc.Note(ctx, kim, tk.ID, "checked the toner", "", nil)
	require.NoError(t, err)
	_, err = f.svc.LogTime(ctx, lee, tk.ID, 0, "")
	require.ErrorIs(t, err, ownership.ErrInvalid)
	_, err = f.svc.LogTime(ctx, lee, tk.ID, 45, "onsite")
	require.NoError(t, err)

	_, err = f.svc.SetStatus(ctx, kim, tk.ID, ownership.StatusResolved, "", nil)
	require.ErrorIs(t, err, ownership.ErrForbidden)
	_, err = f.svc.SetStatus(ctx, lee, tk.ID, "done", "", nil)
	require.ErrorIs(t, err, ownership.ErrInvalid)
	res, err := f.svc.SetStatus(ctx, lee, tk.ID, ownership.StatusResolved, "fixed", nil)
	require.NoError(t, err)
	require.NotNil(t, res.ResolvedAt)
	_, err = f.svc.SetStatus(ctx, maria, tk.ID, ownership.StatusClosed, "", nil)
	require.NoError(t, err)
	_, err = f.svc.SetStatus(ctx, lee, tk.ID, ownership.StatusOpen, "", nil)
	require.ErrorIs(t, err, ownership.ErrState, "closed stays closed")

	var types []ownership.EventType
	for _, ev := range f.events(t, tk.ID) {
		types = append(types, ev.Type)
	}
	require.Equal(t, []ownership.EventType{"message_in", "assigned", "assigned", "acked", "note", "time_logged", "status", "status"}, types)
}

// TestConcurrentAssignsWithoutVersion: every assign applies, one after
// another; one event per success and the final owner is the last recorded.
func TestConcurrentAssignsWithoutVersion(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tk := f.create(t, "pat@globex.test")
	reps := []string{"dana", "lee", "kim", "maria"}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := f.svc.Assign(ctx, maria, tk.ID, reps[i%len(reps)], fmt.Sprint("round ", i), nil)
			if err != nil {
				t.Errorf("Assign: %v", err)
				return
			}
			mu.Lock()
			ok++
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	cur, err := f.svc.Ticket(ctx, tk.ID)
	require.NoError(t, err)
	evs := f.events(t, tk.ID)
	assigned, moved := 0, 0
	var last ownership.Event
	for _, ev := range evs[2:] {
		require.Equal(t, ownership.EventAssigned, ev.Type)
		assigned++
		if ev.From != ev.To {
			moved++
		}
		last = ev
	}
	require.Equal(t, 40, ok)
	require.Equal(t, ok, assigned, "one event per accepted assign")
	require.Equal(t, cur.Owner, last.To)
	require.Equal(t, int64(1+assigned), cur.Rev, "one write per assign")
	require.Equal(t, int64(1+moved), cur.Version, "the version moves when the owner does")
}
