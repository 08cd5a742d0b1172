package storetest

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/intakehq/intake/ownership"
	"github.com/stretchr/testify/require"
)

// Claiming outbox items: only due ones, oldest first, under a lease that
// expires, never one item to two workers.

// testOutboxClaimDueOnly: only items due at now are claimed, and a claimed
// item is not claimed again while its lease runs.
func testOutboxClaimDueOnly(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	past, due, soon, later := obItem("past", obNow.Add(-time.Minute)), obItem("due", obNow), obItem("soon", obNow.Add(time.Second)), obItem("later", obNow.Add(time.Hour))
	require.NoError(t, s.Enqueue(ctx, later, soon, due, past))

	got := claim(t, s, obNow, 10)
	require.Equal(t, []string{"past", "due"}, itemIDs(got))
	want := claimed(past, obNow, 1)
	require.Equal(t, want, got[0])
	require.Equal(t, want, mustItem(t, s, "past"), "the claim is stored")
	require.Equal(t, claimed(due, obNow, 1), got[1])

	require.Empty(t, claim(t, s, obNow, 10), "claimed items are leased, the rest is not due")
	require.Equal(t, ownership.OutboxPending, mustItem(t, s, "soon").State)
	require.Empty(t, claim(t, s, obNow, 0), "limit 0 claims nothing")

	got = claim(t, s, obNow.Add(time.Second), 10)
	require.Equal(t, []string{"soon"}, itemIDs(got))
	require.Equal(t, claimed(soon, obNow.Add(time.Second), 1), got[0])
	require.Equal(t, ownership.OutboxPending, mustItem(t, s, "later").State)
}

// testOutboxClaimOrder: oldest NextAt first, across pending items and
// sending ones whose lease expired; limit caps each claim.
func testOutboxClaimOrder(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	require.NoError(t, s.Enqueue(ctx, obItem("a", obNow.Add(-10*time.Minute))))
	first := claim(t, s, obNow.Add(-10*time.Minute), 5) // lease ends at now-9m
	require.Equal(t, []string{"a"}, itemIDs(first))

	offsets := map[string]time.Duration{"b": -5, "c": -8, "d": -1, "e": -3, "f": -9, "g": 5}
	var items []ownership.OutboxItem
	for id, m := range offsets {
		items = append(items, obItem(id, obNow.Add(m*time.Minute)))
	}
	require.NoError(t, s.Enqueue(ctx, items...))

	got := claim(t, s, obNow, 2)
	require.Equal(t, []string{"a", "f"}, itemIDs(got))
	require.Equal(t, 2, got[0].Attempts, "the expired claim is claimed again")
	require.Equal(t, 1, got[1].Attempts)
	require.Equal(t, []string{"c", "b"}, itemIDs(claim(t, s, obNow, 2)))
	require.Equal(t, []string{"e", "d"}, itemIDs(claim(t, s, obNow, 5)))
	require.Empty(t, claim(t, s, obNow, 5))
}

// testOutboxLeaseExpiry: a sending item whose lease ran out is claimed again
// with Attempts+1, and the earlier attempt can no longer finish it.
func testOutboxLeaseExpiry(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	it := obItem("m", obNow)
	require.NoError(t, s.Enqueue(ctx, it))
	got := claim(t, s, obNow, 1)
	require.Len(t, got, 1)
	require.Equal(t, 1, got[0].Attempts)

	require.Empty(t, claim(t, s, obNow.Add(obLease-time.Second), 1), "lease still running")
	again := claim(t, s, obNow.Add(obLease), 1)
	require.Len(t, again, 1, "lease expired at LeaseUntil")
	require.Equal(t, claimed(it, obNow.Add(obLease), 2), again[0])

	err := s.FinishOutbox(ctx, "m", 1, ownership.OutboxResult{State: ownership.OutboxSent, ProviderRef: "SM-old", At: obNow.Add(obLease + time.Second)})
	require.ErrorIs(t, err, ownership.ErrConflict, "the first attempt lost its claim")
	require.Equal(t, again[0], mustItem(t, s, "m"), "a fenced finish changes nothing")

	require.NoError(t, s.FinishOutbox(ctx, "m", 2, ownership.OutboxResult{State: ownership.OutboxSent, ProviderRef: "SM-new", At: obNow.Add(obLease + time.Second)}))
	require.Equal(t, "SM-new", mustItem(t, s, "m").ProviderRef)
}

// testOutboxConcurrentClaim: many workers claiming at once never share an
// item, and together claim every one.
func testOutboxConcurrentClaim(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	const n, workers, limit = 50, 10, 3
	var items []ownership.OutboxItem
	for i := 0; i < n; i++ {
		items = append(items, obItem(fmt.Sprintf("m%02d", i), obNow.Add(-time.Duration(i)*time.Millisecond)))
	}
	require.NoError(t, s.Enqueue(ctx, items...))

	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		seen = map[string]int{}
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := s.ClaimOutbox(ctx, obNow, time.Hour, limit)
				if err != nil {
					t.Errorf("ClaimOutbox: %v", err)
					return
				}
				if len(got) == 0 {
					return
				}
				if len(got) > limit {
					t.Errorf("ClaimOutbox returned %d items, limit %d", len(got), limit)
				}
				mu.Lock()
				for _, it := range got {
					seen[it.ID]++
					if it.Attempts != 1 || it.State != ownership.OutboxSending {
						t.Errorf("claimed %s: attempts %d, state %s", it.ID, it.Attempts, it.State)
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	require.Len(t, seen, n)
	var twice []string
	for id, c := range seen {
		if c != 1 {
			twice = append(twice, id)
		}
	}
	sort.Strings(twice)
	require.Empty(t, twice, "items claimed more than once")
	left, err := s.ListOutbox(ctx, ownership.OutboxPending, 100)
	require.NoError(t, err)
	require.Empty(t, left)
}
