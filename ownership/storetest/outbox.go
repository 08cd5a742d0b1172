package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/intakehq/intake/ownership"
	"github.com/stretchr/testify/require"
)

// The outbox conformance tests (outbox*.go; enqueueing here). Their clock is explicit (now, lease): the
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
