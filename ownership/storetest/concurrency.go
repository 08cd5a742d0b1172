package storetest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/intakehq/intake/ownership"
	"github.com/stretchr/testify/require"
)

// testConcurrentCreateCapacity creates tickets from many goroutines, each
// trying reps in turn like the service does; no rep may end above capacity
// and ticket numbers must be unique and gap-free.
func testConcurrentCreateCapacity(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	reps := []string{"dana", "lee", "kim"}
	const capacity, workers = 5, 20 // 15 places for 20 tickets
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		ids   []string
		fulls int
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := range reps {
				rep := reps[(w+i)%len(reps)]
				tk, _, err := s.CreateTicket(ctx, ownership.CreateRequest{Ticket: newTicket(rep), OwnerCapacity: capacity})
				if errors.Is(err, ownership.ErrOwnerFull) {
					continue
				}
				if err != nil {
					t.Errorf("CreateTicket: %v", err)
					return
				}
				mu.Lock()
				ids = append(ids, tk.ID)
				mu.Unlock()
				return
			}
			mu.Lock()
			fulls++
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	require.Len(t, ids, len(reps)*capacity)
	require.Equal(t, workers-len(reps)*capacity, fulls)
	st, err := s.RepStates(ctx)
	require.NoError(t, err)
	for _, r := range reps {
		require.Equal(t, capacity, st[r].Open, "rep %s", r)
	}
	sort.Slice(ids, func(i, j int) bool { return num(ids[i]) < num(ids[j]) })
	for i, id := range ids {
		require.Equal(t, fmt.Sprintf("T-%d", i+1), id)
	}
}

func num(id string) int64 {
	n, _ := ownership.ParseID(id)
	return n
}

// testConcurrentCreateDedup delivers the same message from many goroutines:
// exactly one ticket.
func testConcurrentCreateDedup(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	const workers = 20
	var wg sync.WaitGroup
	results := make([]string, workers)
	createdN := make([]bool, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			tk, ok, err := s.CreateTicket(ctx, ownership.CreateRequest{Ticket: newTicket("dana"), Events: created("dana"), DedupKey: "sms:SMdup"})
			if err != nil {
				t.Errorf("CreateTicket: %v", err)
				return
			}
			results[w], createdN[w] = tk.ID, ok
		}(w)
	}
	wg.Wait()
	n := 0
	for w := range results {
		require.Equal(t, "T-1", results[w])
		if createdN[w] {
			n++
		}
	}
	require.Equal(t, 1, n, "exactly one CreateTicket reports created")
	p, err := s.List(ctx, ownership.Filter{})
	require.NoError(t, err)
	require.Len(t, p.Tickets, 1)
	evs, err := s.Events(ctx, "T-1")
	require.NoError(t, err)
	require.Len(t, evs, 2)
}

// testConcurrentUpdateOneWinner races updates carrying the same version:
// exactly one wins, the others get ErrConflict, one event is appended.
func testConcurrentUpdateOneWinner(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	tk := mustCreate(t, s, ownership.CreateRequest{Ticket: newTicket("dana")})
	const workers = 30
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		wins      []string
		conflicts int
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			next := tk
			next.Owner = fmt.Sprintf("rep%d", w)
			ev := ownership.Event{Type: ownership.EventAssigned, At: t0, Actor: "maria", From: "dana", To: next.Owner}
			_, err := s.UpdateTicket(ctx, ownership.UpdateRequest{Ticket: next, Events: []ownership.Event{ev}, OpID: next.Owner})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins = append(wins, next.Owner)
			case errors.Is(err, ownership.ErrConflict):
				conflicts++
			default:
				t.Errorf("UpdateTicket: %v", err)
			}
		}(w)
	}
	wg.Wait()
	require.Len(t, wins, 1)
	require.Equal(t, workers-1, conflicts)
	cur, err := s.Ticket(ctx, tk.ID)
	require.NoError(t, err)
	require.Equal(t, wins[0], cur.Owner)
	require.Equal(t, int64(2), cur.Rev)
	evs, err := s.Events(ctx, tk.ID)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	require.Equal(t, wins[0], evs[0].To)
	st, err := s.RepStates(ctx)
	require.NoError(t, err)
	require.Equal(t, 0, st["dana"].Open)
	require.Equal(t, 1, st[wins[0]].Open)
}
