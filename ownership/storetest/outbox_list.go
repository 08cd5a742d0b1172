package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/intakehq/intake/ownership"
	"github.com/stretchr/testify/require"
)

// Reading the outbox back: lists, and the headers an item carries.

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
