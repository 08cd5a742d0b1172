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

// The outbox conformance tests. Their clock is explicit (now, lease): the
// store never reads the wall clock. Times carry nanoseconds to check that
// they round-trip exactly; due and lease comparisons are tested with margins
// of a second or more, as a store may compare at millisecond granularity.

var (
	obNow   = t0.Add(time.Hour + 123456789*time.Nanosecond)
	obLease = time.Minute
)

// obItem returns a valid item to enqueue, due at nextAt.
func obItem(id string, nextAt time.Time) ownership.OutboxItem {
	return ownership.OutboxItem{
		ID:        id,
		TicketID:  "T-1",
		Channel:   "sms",
		To:        "+15557770101",
		Subject:   "Re: Printer on fire",
		Body:      "We are on it. — Dana",
		Purpose:   ownership.PurposeReply,
		Headers:   map[string]string{"In-Reply-To": "<k1@acme.test>"},
		NextAt:    nextAt,
		CreatedAt: t0.Add(7 * time.Nanosecond),
		UpdatedAt: t0.Add(7 * time.Nanosecond),
	}
}

func mustItem(t *testing.T, s ownership.Store, id string) ownership.OutboxItem {
	t.Helper()
	it, err := s.OutboxItem(context.Background(), id)
	require.NoError(t, err, "OutboxItem(%q)", id)
	return it
}

func requireNoItem(t *testing.T, s ownership.Store, id string) {
	t.Helper()
	_, err := s.OutboxItem(context.Background(), id)
	require.ErrorIs(t, err, ownership.ErrNotFound, "OutboxItem(%q)", id)
}

func claim(t *testing.T, s ownership.Store, now time.Time, limit int) []ownership.OutboxItem {
	t.Helper()
	items, err := s.ClaimOutbox(context.Background(), now, obLease, limit)
	require.NoError(t, err)
	return items
}

func itemIDs(items []ownership.OutboxItem) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, it.ID)
	}
	return out
}

// claimed is what item in becomes once claimed at now for the attempt-th
// time.
func claimed(in ownership.OutboxItem, now time.Time, attempt int) ownership.OutboxItem {
	in.State = ownership.OutboxSending
	in.Attempts = attempt
	in.LeaseUntil = now.Add(obLease)
	in.UpdatedAt = now
	return in
}

// testOutboxEnqueueWithCreate: items of a create and of an update are stored
// in the same write, pending, with their ticket filled in when empty;
// Enqueue stores items on its own; every field round-trips.
func testOutboxEnqueueWithCreate(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	ack := obItem("ack:sms:SM1", obNow)
	ack.TicketID = "" // the store names the new ticket
	ack.Purpose = ownership.PurposeAutoAck
	other := obItem("notify:dana:1", obNow.Add(time.Second))
	other.TicketID = "T-77"
	other.Channel, other.To, other.Purpose = "slack", "U123", ownership.PurposeNotify
	tk := mustCreate(t, s, ownership.CreateRequest{Ticket: newTicket("dana"), Events: created("dana"), DedupKey: "sms:SM1",
		Outbox: []ownership.OutboxItem{ack, other}})

	want := ack
	want.TicketID, want.State = tk.ID, ownership.OutboxPending
	require.Equal(t, want, mustItem(t, s, ack.ID))
	want = other
	want.State = ownership.OutboxPending
	require.Equal(t, want, mustItem(t, s, other.ID), "an item naming a ticket keeps it")

	reply := obItem("reply:1", obNow)
	reply.TicketID = ""
	reply.LeaseUntil = obNow.Add(time.Hour) // meaningless for a pending item: dropped
	reply.State = ownership.OutboxSent      // ignored: an enqueued item is pending
	next := tk
	next.Status = ownership.StatusPending
	_, err := s.UpdateTicket(ctx, ownership.UpdateRequest{Ticket: next, OpID: "op-reply",
		Events: []ownership.Event{{Type: ownership.EventMessageOut, At: t0, Actor: "dana", Channel: "sms", Body: reply.Body}},
		Outbox: []ownership.OutboxItem{reply}})
	require.NoError(t, err)
	want = reply
	want.TicketID, want.State, want.LeaseUntil = tk.ID, ownership.OutboxPending, time.Time{}
	require.Equal(t, want, mustItem(t, s, reply.ID))

	loose := obItem("loose:1", time.Time{}) // zero NextAt: due at once
	loose.TicketID = ""
	loose.Subject = ""
	require.NoError(t, s.Enqueue(ctx, loose))
	want = loose
	want.State = ownership.OutboxPending
	require.Equal(t, want, mustItem(t, s, loose.ID), "Enqueue leaves an empty ticket empty")
	require.NoError(t, s.Enqueue(ctx), "enqueueing nothing")

	requireNoItem(t, s, "nope")
	all, err := s.ListOutbox(ctx, "", 0)
	require.NoError(t, err)
	require.Len(t, all, 4)
	require.Error(t, s.Enqueue(ctx, obItem("", obNow)), "an item needs an ID")
}

// testOutboxEnqueueIdempotent: an ID already stored is left as it is, by
// Enqueue, create and update alike; a replayed update enqueues nothing.
func testOutboxEnqueueIdempotent(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	first := obItem("msg:1", obNow)
	require.NoError(t, s.Enqueue(ctx, first))
	got := claim(t, s, obNow, 10)
	require.Len(t, got, 1)
	before := mustItem(t, s, first.ID)
	require.Equal(t, ownership.OutboxSending, before.State)

	again := obItem("msg:1", obNow.Add(time.Hour))
	again.Body = "something else"
	require.NoError(t, s.Enqueue(ctx, again, again))
	require.Equal(t, before, mustItem(t, s, first.ID))

	tk := mustCreate(t, s, ownership.CreateRequest{Ticket: newTicket("dana"), Outbox: []ownership.OutboxItem{again}})
	require.Equal(t, before, mustItem(t, s, first.ID), "a create leaves a stored item alone")

	next := tk
	next.Status = ownership.StatusPending
	req := ownership.UpdateRequest{Ticket: next, OpID: "op-1", Outbox: []ownership.OutboxItem{again, obItem("msg:2", obNow)}}
	_, err := s.UpdateTicket(ctx, req)
	require.NoError(t, err)
	require.Equal(t, before, mustItem(t, s, first.ID), "an update leaves a stored item alone")
	require.Equal(t, ownership.OutboxPending, mustItem(t, s, "msg:2").State)

	req.Outbox = append(req.Outbox, obItem("msg:3", obNow))
	_, err = s.UpdateTicket(ctx, req)
	require.NoError(t, err, "replay")
	requireNoItem(t, s, "msg:3")

	// Two items with one ID in one call: the first is stored.
	a, b := obItem("msg:4", obNow), obItem("msg:4", obNow)
	b.Body = "second"
	require.NoError(t, s.Enqueue(ctx, a, b))
	require.Equal(t, a.Body, mustItem(t, s, "msg:4").Body)

	all, err := s.ListOutbox(ctx, "", 100)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"msg:1", "msg:2", "msg:4"}, itemIDs(all))
}

// testOutboxNotEnqueuedOnConflict: a write that fails, or a create that is
// deduplicated, enqueues nothing.
func testOutboxNotEnqueuedOnConflict(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	tk := mustCreate(t, s, ownership.CreateRequest{Ticket: newTicket("dana"), DedupKey: "sms:SM1",
		Outbox: []ownership.OutboxItem{obItem("ack:1", obNow)}})

	_, ok, err := s.CreateTicket(ctx, ownership.CreateRequest{Ticket: newTicket("dana"), DedupKey: "sms:SM1",
		Outbox: []ownership.OutboxItem{obItem("ack:dup", obNow)}})
	require.NoError(t, err)
	require.False(t, ok)
	requireNoItem(t, s, "ack:dup")

	_, _, err = s.CreateTicket(ctx, ownership.CreateRequest{Ticket: newTicket("dana"), OwnerCapacity: 1,
		Outbox: []ownership.OutboxItem{obItem("ack:full", obNow)}})
	require.ErrorIs(t, err, ownership.ErrOwnerFull)
	requireNoItem(t, s, "ack:full")

	_, _, err = s.CreateTicket(ctx, ownership.CreateRequest{Ticket: newTicket(""), Outbox: []ownership.OutboxItem{obItem("ack:noowner", obNow)}})
	require.ErrorIs(t, err, ownership.ErrNoOwner)
	requireNoItem(t, s, "ack:noowner")

	next := tk
	next.Status = ownership.StatusPending
	cur, err := s.UpdateTicket(ctx, ownership.UpdateRequest{Ticket: next, DedupKey: "sms:SM2",
		Outbox: []ownership.OutboxItem{obItem("reply:1", obNow)}})
	require.NoError(t, err)
	require.Equal(t, ownership.OutboxPending, mustItem(t, s, "reply:1").State)

	stale := tk // version 1; the ticket is at 2
	stale.Owner = "lee"
	_, err = s.UpdateTicket(ctx, ownership.UpdateRequest{Ticket: stale, Outbox: []ownership.OutboxItem{obItem("reply:conflict", obNow)}})
	require.ErrorIs(t, err, ownership.ErrConflict)
	requireNoItem(t, s, "reply:conflict")

	_, err = s.UpdateTicket(ctx, ownership.UpdateRequest{Ticket: cur, DedupKey: "sms:SM2",
		Outbox: []ownership.OutboxItem{obItem("reply:dup", obNow)}})
	require.ErrorIs(t, err, ownership.ErrDuplicate)
	requireNoItem(t, s, "reply:dup")

	mustCreate(t, s, ownership.CreateRequest{Ticket: newTicket("lee")})
	moved := cur
	moved.Owner = "lee"
	_, err = s.UpdateTicket(ctx, ownership.UpdateRequest{Ticket: moved, OwnerCapacity: 1,
		Outbox: []ownership.OutboxItem{obItem("reply:full", obNow)}})
	require.ErrorIs(t, err, ownership.ErrOwnerFull)
	requireNoItem(t, s, "reply:full")

	gone := cur
	gone.ID, gone.Number = "T-99", 99
	_, err = s.UpdateTicket(ctx, ownership.UpdateRequest{Ticket: gone, Outbox: []ownership.OutboxItem{obItem("reply:notfound", obNow)}})
	require.ErrorIs(t, err, ownership.ErrNotFound)
	requireNoItem(t, s, "reply:notfound")

	all, err := s.ListOutbox(ctx, "", 100)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"ack:1", "reply:1"}, itemIDs(all))
}

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

func testOutboxFinishSent(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	it := obItem("m", obNow)
	require.NoError(t, s.Enqueue(ctx, it))
	require.Len(t, claim(t, s, obNow, 1), 1)
	at := obNow.Add(1500 * time.Millisecond)
	require.NoError(t, s.FinishOutbox(ctx, "m", 1, ownership.OutboxResult{State: ownership.OutboxSent, ProviderRef: "SM123", At: at}))

	want := it
	want.State, want.Attempts, want.ProviderRef, want.UpdatedAt = ownership.OutboxSent, 1, "SM123", at
	require.Equal(t, want, mustItem(t, s, "m"), "NextAt kept, lease cleared")
	require.Empty(t, claim(t, s, obNow.Add(24*time.Hour), 10), "a sent item is never claimed")
	sent, err := s.ListOutbox(ctx, ownership.OutboxSent, 10)
	require.NoError(t, err)
	require.Equal(t, []ownership.OutboxItem{want}, sent)
	sending, err := s.ListOutbox(ctx, ownership.OutboxSending, 10)
	require.NoError(t, err)
	require.Empty(t, sending)
}

func testOutboxFinishRetry(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	it := obItem("m", obNow)
	require.NoError(t, s.Enqueue(ctx, it))
	require.Len(t, claim(t, s, obNow, 1), 1)
	at, retry := obNow.Add(time.Second), obNow.Add(5*time.Minute+time.Nanosecond)
	require.NoError(t, s.FinishOutbox(ctx, "m", 1, ownership.OutboxResult{State: ownership.OutboxPending, NextAt: retry, Error: "twilio: 503", At: at}))

	want := it
	want.State, want.Attempts, want.NextAt, want.LastError, want.UpdatedAt = ownership.OutboxPending, 1, retry, "twilio: 503", at
	require.Equal(t, want, mustItem(t, s, "m"))
	pending, err := s.ListOutbox(ctx, ownership.OutboxPending, 10)
	require.NoError(t, err)
	require.Equal(t, []ownership.OutboxItem{want}, pending)

	require.Empty(t, claim(t, s, obNow.Add(4*time.Minute), 10), "not due before the retry time")
	got := claim(t, s, obNow.Add(6*time.Minute), 10)
	require.Len(t, got, 1)
	require.Equal(t, claimed(want, obNow.Add(6*time.Minute), 2), got[0], "Attempts counts on; LastError kept until the next finish")

	require.NoError(t, s.FinishOutbox(ctx, "m", 2, ownership.OutboxResult{State: ownership.OutboxSent, ProviderRef: "SM9", At: obNow.Add(7 * time.Minute)}))
	done := mustItem(t, s, "m")
	require.Equal(t, ownership.OutboxSent, done.State)
	require.Equal(t, 2, done.Attempts)
	require.Equal(t, "", done.LastError, "a sent attempt clears the error")
}

func testOutboxFinishDead(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	it := obItem("m", obNow)
	require.NoError(t, s.Enqueue(ctx, it))
	require.Len(t, claim(t, s, obNow, 1), 1)
	at := obNow.Add(time.Second)
	require.NoError(t, s.FinishOutbox(ctx, "m", 1, ownership.OutboxResult{State: ownership.OutboxDead, Error: "21211: invalid 'To' number", At: at}))

	want := it
	want.State, want.Attempts, want.LastError, want.UpdatedAt = ownership.OutboxDead, 1, "21211: invalid 'To' number", at
	require.Equal(t, want, mustItem(t, s, "m"))
	require.Empty(t, claim(t, s, obNow.Add(24*time.Hour), 10), "a dead item is never claimed")
	dead, err := s.ListOutbox(ctx, ownership.OutboxDead, 10)
	require.NoError(t, err)
	require.Equal(t, []ownership.OutboxItem{want}, dead, "dead items stay visible")
}

// testOutboxFinishFence: only the current attempt of a sending item can
// finish it; anything else is ErrConflict and changes nothing.
func testOutboxFinishFence(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	require.NoError(t, s.Enqueue(ctx, obItem("m", obNow)))
	sent := ownership.OutboxResult{State: ownership.OutboxSent, ProviderRef: "SM1", At: obNow.Add(time.Second)}

	pending := mustItem(t, s, "m")
	for _, attempt := range []int{0, 1} {
		require.ErrorIs(t, s.FinishOutbox(ctx, "m", attempt, sent), ownership.ErrConflict, "pending, attempt %d", attempt)
	}
	require.Equal(t, pending, mustItem(t, s, "m"))

	require.Len(t, claim(t, s, obNow, 1), 1)
	sending := mustItem(t, s, "m")
	for _, attempt := range []int{0, 2, -1} {
		require.ErrorIs(t, s.FinishOutbox(ctx, "m", attempt, sent), ownership.ErrConflict, "sending, attempt %d", attempt)
	}
	require.Error(t, s.FinishOutbox(ctx, "m", 1, ownership.OutboxResult{State: ownership.OutboxSending, At: obNow}), "sending is no result")
	require.Error(t, s.FinishOutbox(ctx, "m", 1, ownership.OutboxResult{State: "bogus", At: obNow}))
	require.Equal(t, sending, mustItem(t, s, "m"))

	require.NoError(t, s.FinishOutbox(ctx, "m", 1, sent))
	done := mustItem(t, s, "m")
	require.ErrorIs(t, s.FinishOutbox(ctx, "m", 1, ownership.OutboxResult{State: ownership.OutboxDead, Error: "late", At: obNow.Add(time.Hour)}),
		ownership.ErrConflict, "finishing twice")
	require.Equal(t, done, mustItem(t, s, "m"))

	err := s.FinishOutbox(ctx, "nope", 1, sent)
	require.ErrorIs(t, err, ownership.ErrNotFound, "unknown item")
	require.ErrorIs(t, err, ownership.ErrConflict, "unknown item: not sending with that attempt either")
	requireNoItem(t, s, "nope")
}

// testOutboxList: by state or all, newest (CreatedAt) first, up to limit.
func testOutboxList(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	var items []ownership.OutboxItem
	for i := 1; i <= 6; i++ {
		it := obItem(fmt.Sprintf("m%d", i), obNow.Add(time.Duration(i)*time.Second))
		it.CreatedAt = t0.Add(time.Duration(i) * time.Minute)
		items = append(items, it)
	}
	// Enqueued out of order: the order is CreatedAt's, not insertion's.
	require.NoError(t, s.Enqueue(ctx, items[3], items[0], items[5]))
	require.NoError(t, s.Enqueue(ctx, items[2], items[4], items[1]))
	got := claim(t, s, obNow.Add(2*time.Second), 2) // m1, m2
	require.Equal(t, []string{"m1", "m2"}, itemIDs(got))
	require.NoError(t, s.FinishOutbox(ctx, "m1", 1, ownership.OutboxResult{State: ownership.OutboxSent, At: obNow}))
	require.Len(t, claim(t, s, obNow.Add(3*time.Second), 1), 1) // m3
	require.NoError(t, s.FinishOutbox(ctx, "m3", 1, ownership.OutboxResult{State: ownership.OutboxDead, Error: "x", At: obNow}))

	list := func(state string, limit int) []string {
		t.Helper()
		got, err := s.ListOutbox(ctx, state, limit)
		require.NoError(t, err)
		for _, it := range got {
			require.Equal(t, mustItem(t, s, it.ID), it, "listed items are whole")
		}
		return itemIDs(got)
	}
	require.Equal(t, []string{"m6", "m5", "m4", "m3", "m2", "m1"}, list("", 0), "limit 0: the default")
	require.Equal(t, []string{"m6", "m5", "m4"}, list("", 3))
	require.Equal(t, []string{"m6", "m5", "m4"}, list(ownership.OutboxPending, 10))
	require.Equal(t, []string{"m6"}, list(ownership.OutboxPending, 1))
	require.Equal(t, []string{"m2"}, list(ownership.OutboxSending, 10))
	require.Equal(t, []string{"m1"}, list(ownership.OutboxSent, 10))
	require.Equal(t, []string{"m3"}, list(ownership.OutboxDead, 10))
	require.Equal(t, []string{}, list("bogus", 10))
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

// mustFlag returns the value of flag key.
func mustFlag(t *testing.T, s ownership.Store, key string) string {
	t.Helper()
	v, err := s.Flag(context.Background(), key)
	require.NoError(t, err, "Flag(%q)", key)
	return v
}

// testFlags: set, get, overwrite, delete with "", missing is "".
func testFlags(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	require.Equal(t, "", mustFlag(t, s, "optout:sms:+15557770101"))
	require.NoError(t, s.SetFlag(ctx, "optout:sms:+15557770101", "1"))
	require.NoError(t, s.SetFlag(ctx, "ref:{SM1}", "T-1"))
	require.Equal(t, "1", mustFlag(t, s, "optout:sms:+15557770101"))
	require.Equal(t, "T-1", mustFlag(t, s, "ref:{SM1}"))
	require.NoError(t, s.SetFlag(ctx, "optout:sms:+15557770101", "0"))
	require.Equal(t, "0", mustFlag(t, s, "optout:sms:+15557770101"))
	require.NoError(t, s.SetFlag(ctx, "optout:sms:+15557770101", ""))
	require.Equal(t, "", mustFlag(t, s, "optout:sms:+15557770101"))
	require.NoError(t, s.SetFlag(ctx, "never:set", ""), "deleting a missing flag")
	require.Equal(t, "T-1", mustFlag(t, s, "ref:{SM1}"))
}

// testOutboxDeadAfterSent: a provider reporting a sent message undelivered
// later moves it to dead (attempt 0); nothing else can.
func testOutboxDeadAfterSent(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	now := t0
	require.NoError(t, s.Enqueue(ctx, ownership.OutboxItem{ID: "late", TicketID: "T-1", Channel: "sms", To: "+15557770101", Body: "hi",
		Purpose: ownership.PurposeReply, NextAt: now, CreatedAt: now, UpdatedAt: now}))
	err := s.FinishOutbox(ctx, "late", 0, ownership.OutboxResult{State: ownership.OutboxDead, Error: "undelivered", At: now})
	require.ErrorIs(t, err, ownership.ErrConflict, "a pending item is not declared dead afterwards")
	items, err := s.ClaimOutbox(ctx, now, time.Minute, 1)
	require.NoError(t, err)
	require.Len(t, items, 1)
	require.NoError(t, s.FinishOutbox(ctx, "late", items[0].Attempts, ownership.OutboxResult{State: ownership.OutboxSent, ProviderRef: "SM1", At: now}))
	err = s.FinishOutbox(ctx, "late", 0, ownership.OutboxResult{State: ownership.OutboxPending, At: now})
	require.ErrorIs(t, err, ownership.ErrConflict, "only to dead")
	require.NoError(t, s.FinishOutbox(ctx, "late", 0, ownership.OutboxResult{State: ownership.OutboxDead, Error: "undelivered (30003)", At: now.Add(time.Minute)}))
	it, err := s.OutboxItem(ctx, "late")
	require.NoError(t, err)
	require.Equal(t, ownership.OutboxDead, it.State)
	require.Equal(t, "undelivered (30003)", it.LastError)
	require.Equal(t, "SM1", it.ProviderRef)
	dead, err := s.ListOutbox(ctx, ownership.OutboxDead, 10)
	require.NoError(t, err)
	require.Len(t, dead, 1)
	sent, err := s.ListOutbox(ctx, ownership.OutboxSent, 10)
	require.NoError(t, err)
	require.Empty(t, sent)

	// A manager retries it: dead → pending, due again, claimable.
	later := now.Add(time.Hour)
	require.NoError(t, s.FinishOutbox(ctx, "late", 0, ownership.OutboxResult{State: ownership.OutboxPending, NextAt: later, At: later}))
	err = s.FinishOutbox(ctx, "late", 0, ownership.OutboxResult{State: ownership.OutboxPending, NextAt: later, At: later})
	require.ErrorIs(t, err, ownership.ErrConflict, "a pending item is not retried again")
	items, err = s.ClaimOutbox(ctx, later, time.Minute, 5)
	require.NoError(t, err)
	require.Len(t, items, 1)
	require.Equal(t, "late", items[0].ID)
	dead, err = s.ListOutbox(ctx, ownership.OutboxDead, 10)
	require.NoError(t, err)
	require.Empty(t, dead)
}

// testOutboxHeaders: Headers are stored with the item, by Enqueue and by a
// create or update alike, and come back whole from OutboxItem, ClaimOutbox
// and ListOutbox, through finishes and retries; an item without them has
// none.
func testOutboxHeaders(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	h := map[string]string{
		"In-Reply-To": "<CAF=x+1@mail.acme.test>",
		"References":  "<p1@acme.test> <CAF=x+1@mail.acme.test>",
		"X-Quote":     `"quoted", back\\slash, {brace}, ünïcode`,
	}
	mail := obItem("mail:1", obNow)
	mail.Channel, mail.To, mail.Headers = "email", "pat@acme.test", h
	plain := obItem("sms:1", obNow.Add(time.Second))
	plain.Headers = nil
	require.NoError(t, s.Enqueue(ctx, mail, plain))
	ack := obItem("mail:ack", obNow.Add(2*time.Second))
	ack.TicketID, ack.Headers = "", map[string]string{"In-Reply-To": "<first@acme.test>"}
	tk := mustCreate(t, s, ownership.CreateRequest{Ticket: newTicket("dana"), Outbox: []ownership.OutboxItem{ack}})
	reply := obItem("mail:reply", obNow.Add(3*time.Second))
	reply.TicketID, reply.Headers = "", map[string]string{"References": "<first@acme.test>"}
	next := tk
	next.Status = ownership.StatusPending
	_, err := s.UpdateTicket(ctx, ownership.UpdateRequest{Ticket: next, OpID: "op-h", Outbox: []ownership.OutboxItem{reply}})
	require.NoError(t, err)

	want := map[string]map[string]string{mail.ID: h, plain.ID: nil, ack.ID: ack.Headers, reply.ID: reply.Headers}
	check := func(how string, items []ownership.OutboxItem) {
		t.Helper()
		for _, it := range items {
			require.Equal(t, want[it.ID], it.Headers, "%s: %s", how, it.ID)
		}
	}
	for id := range want {
		check("OutboxItem", []ownership.OutboxItem{mustItem(t, s, id)})
	}
	all, err := s.ListOutbox(ctx, "", 10)
	require.NoError(t, err)
	require.Len(t, all, len(want))
	check("ListOutbox", all)

	got := claim(t, s, obNow.Add(time.Hour), 10)
	require.Len(t, got, len(want))
	check("ClaimOutbox", got)
	require.NoError(t, s.FinishOutbox(ctx, mail.ID, 1, ownership.OutboxResult{State: ownership.OutboxPending, NextAt: obNow.Add(2 * time.Hour), Error: "421", At: obNow}))
	require.NoError(t, s.FinishOutbox(ctx, ack.ID, 1, ownership.OutboxResult{State: ownership.OutboxSent, ProviderRef: "<ack@intake>", At: obNow}))
	check("OutboxItem after finish", []ownership.OutboxItem{mustItem(t, s, mail.ID), mustItem(t, s, ack.ID)})
	sent, err := s.ListOutbox(ctx, ownership.OutboxSent, 10)
	require.NoError(t, err)
	check("ListOutbox sent", sent)
	check("ClaimOutbox retry", claim(t, s, obNow.Add(3*time.Hour), 10))
}
