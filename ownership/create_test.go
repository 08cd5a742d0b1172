package ownership_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/intakehq/intake/ownership"
	"github.com/stretchr/testify/require"
)

func TestCreateChoosesOwnerAndRecordsWhy(t *testing.T) {
	f := newFixture(t)
	tk := f.create(t, "pat@globex.test")
	require.Equal(t, "T-1", tk.ID)
	require.Equal(t, "dana", tk.Owner, "least_loaded, all idle: roster order")
	require.Equal(t, "helpdesk", tk.Team)
	require.Equal(t, ownership.StatusOpen, tk.Status)
	evs := f.events(t, tk.ID)
	require.Len(t, evs, 2)
	require.Equal(t, ownership.EventMessageIn, evs[0].Type)
	require.Equal(t, "it broke", evs[0].Body)
	require.Equal(t, ownership.EventAssigned, evs[1].Type)
	require.Equal(t, "dana", evs[1].To)
	require.Contains(t, evs[1].Reason, "least_loaded")

	// Next tickets spread by load.
	require.Equal(t, "lee", f.create(t, "a@globex.test").Owner)
	require.Equal(t, "kim", f.create(t, "b@globex.test").Owner)
}

func TestCreateStickyAndOrgFromDomain(t *testing.T) {
	f := newFixture(t)
	first := f.create(t, "pat@globex.test") // dana
	f.create(t, "x@globex.test")            // lee
	again := f.create(t, "PAT@globex.test")
	require.Equal(t, first.Owner, again.Owner, "the contact's open-ticket owner is sticky")
	evs := f.events(t, again.ID)
	require.Contains(t, evs[len(evs)-1].Reason, "sticky")

	acme := f.create(t, "someone@acme.test")
	require.Equal(t, "acme", acme.Org)
	require.Equal(t, "kim", acme.Owner, "org account manager is sticky")
	require.NotNil(t, acme.FirstResponseDue)
	require.Equal(t, f.clock.Now().Add(4*time.Hour), *acme.FirstResponseDue)
}

func TestCreateDedupAndBadInput(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	in := ownership.NewTicket{Subject: "s", Body: "b", Contact: ownership.Contact{Email: "a@b.test"}, DedupKey: "api:k1"}
	a, created, err := f.svc.CreateTicket(ctx, in)
	require.NoError(t, err)
	require.True(t, created)
	b, created, err := f.svc.CreateTicket(ctx, in)
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, a.ID, b.ID)

	for name, bad := range map[string]ownership.NewTicket{
		"empty":        {},
		"bad priority": {Subject: "x", Priority: "critical"},
		"huge body":    {Subject: "x", Body: string(make([]byte, ownership.MaxBody+1))},
		"not utf8":     {Subject: "\xff\xfe"},
	} {
		_, _, err := f.svc.CreateTicket(ctx, bad)
		require.ErrorIs(t, err, ownership.ErrInvalid, name)
	}
	p, err := f.store.List(ctx, ownership.Filter{})
	require.NoError(t, err)
	require.Len(t, p.Tickets, 1, "rejected input stores nothing")
}

func TestFallbackWhenTeamFull(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < 9; i++ {
		f.create(t, fmt.Sprintf("u%d@globex.test", i))
	}
	tk := f.create(t, "late@globex.test")
	require.Equal(t, "maria", tk.Owner)
	evs := f.events(t, tk.ID)
	require.Equal(t, "fallback", evs[len(evs)-1].Meta["alert"])
	reps, err := f.svc.Reps(context.Background())
	require.NoError(t, err)
	for _, r := range reps {
		if r.Capacity > 0 {
			require.LessOrEqual(t, r.Open, r.Capacity, r.ID)
		}
	}
}

func TestConcurrentCreateRespectsCapacity(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := 0; i < 30; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, _, err := f.svc.CreateTicket(ctx, ownership.NewTicket{Subject: "s", Contact: ownership.Contact{Email: fmt.Sprintf("u%d@globex.test", i)}})
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("CreateTicket: %v", err)
			}
		}(i)
	}
	wg.Wait()
	reps, err := f.svc.Reps(ctx)
	require.NoError(t, err)
	open := map[string]int{}
	for _, r := range reps {
		open[r.ID] = r.Open
	}
	require.Equal(t, map[string]int{"dana": 3, "lee": 3, "kim": 3, "maria": 21}, open)
}
