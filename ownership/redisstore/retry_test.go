package redisstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/intakehq/intake/ownership"
	"github.com/stretchr/testify/require"
)

// Replays: go-redis re-sends a script call whose reply was lost after Redis
// ran it; every write must be idempotent under that.

// TestUpdateReplayAfterOtherUpdate: replica A's update is applied but its
// reply is lost, replica B updates the ticket, then A's script is sent
// again. The resend is a replay (the current ticket, nothing written), not
// a conflict.
func TestUpdateReplayAfterOtherUpdate(t *testing.T) {
	ctx := context.Background()
	s, prefix := newTestStore(t)
	defer s.Close()
	tk, _, err := s.CreateTicket(ctx, ownership.CreateRequest{Ticket: sampleTicket("dana")})
	require.NoError(t, err)

	a := tk
	a.Owner = "lee"
	reqA := ownership.UpdateRequest{Ticket: a, OpID: "a",
		Events: []ownership.Event{{Type: ownership.EventAssigned, Actor: "maria", From: "dana", To: "lee"}}}
	v2, err := s.UpdateTicket(ctx, reqA)
	require.NoError(t, err)
	require.Equal(t, int64(2), v2.Rev)

	b := v2
	b.Status = ownership.StatusPending
	reqB := ownership.UpdateRequest{Ticket: b, OpID: "b",
		Events: []ownership.Event{{Type: ownership.EventStatus, Actor: "lee", From: "open", To: "pending"}}}
	v3, err := s.UpdateTicket(ctx, reqB)
	require.NoError(t, err)
	require.Equal(t, int64(3), v3.Rev)

	again, err := s.UpdateTicket(ctx, reqA)
	require.NoError(t, err, "A re-sent after B's update is a replay, not a conflict")
	require.Equal(t, v3, again, "a replay answers with the current ticket")
	reqA.Ticket.Rev = 0 // a caller retrying without the revision
	again, err = s.UpdateTicket(ctx, reqA)
	require.NoError(t, err)
	require.Equal(t, v3, again)

	evs, err := s.Events(ctx, tk.ID)
	require.NoError(t, err)
	require.Len(t, evs, 2, "A's and B's events, once each")
	require.Equal(t, "lee", evs[0].To)
	require.Equal(t, "pending", evs[1].To)
	st, err := s.RepStates(ctx)
	require.NoError(t, err)
	require.Equal(t, 0, st["dana"].Open)
	require.Equal(t, 1, st["lee"].Open)

	rdb := testClient(t)
	defer rdb.Close()
	ttl, err := rdb.TTL(ctx, "{"+prefix+"}:op:a").Result()
	require.NoError(t, err)
	require.True(t, ttl > 23*time.Hour && ttl <= 24*time.Hour, "op key TTL %v", ttl)

	// An OpID reused on another ticket is not a replay of the first change.
	other, _, err := s.CreateTicket(ctx, ownership.CreateRequest{Ticket: sampleTicket("dana")})
	require.NoError(t, err)
	other.Owner = "kim"
	got, err := s.UpdateTicket(ctx, ownership.UpdateRequest{Ticket: other, OpID: "a"})
	require.NoError(t, err)
	require.Equal(t, int64(2), got.Rev)
	require.Equal(t, "kim", got.Owner)
}

// TestOutboxRetryIdempotent sends the very same claim, finish and
// enqueue-carrying create calls twice, as go-redis does when the reply to
// the first was lost after Redis ran it.
func TestOutboxRetryIdempotent(t *testing.T) {
	ctx := context.Background()
	s, prefix := newTestStore(t)
	defer s.Close()
	now := time.Date(2026, 3, 6, 15, 0, 0, 0, time.UTC)
	item := func(id string, due time.Time) ownership.OutboxItem {
		return ownership.OutboxItem{ID: id, Channel: "sms", To: "+1555", Body: "hi", Purpose: "reply", NextAt: due, CreatedAt: now}
	}

	c, err := s.createCall(ownership.CreateRequest{Ticket: sampleTicket("dana"), Outbox: []ownership.OutboxItem{item("ack", now)}})
	require.NoError(t, err)
	_, _, err = s.runCreate(ctx, c)
	require.NoError(t, err)
	_, _, err = s.runCreate(ctx, c)
	require.NoError(t, err)
	require.NoError(t, s.Enqueue(ctx, item("b", now.Add(time.Second)), item("c", now.Add(2*time.Second))))

	claim, err := s.claimCall(now.Add(time.Minute), time.Minute, 2)
	require.NoError(t, err)
	first, err := s.runClaim(ctx, claim)
	require.NoError(t, err)
	require.Equal(t, []string{"ack", "b"}, []string{first[0].ID, first[1].ID})
	again, err := s.runClaim(ctx, claim)
	require.NoError(t, err)
	require.Equal(t, first, again, "a re-sent claim answers with what it claimed")
	it, err := s.OutboxItem(ctx, "c")
	require.NoError(t, err)
	require.Equal(t, ownership.OutboxPending, it.State, "and claims nothing more")
	rdb := testClient(t)
	defer rdb.Close()
	ttl, err := rdb.PTTL(ctx, claim.keys[5]).Result()
	require.NoError(t, err)
	require.True(t, ttl > 0 && ttl <= time.Minute, "claim record TTL %v", ttl)

	fin, err := s.finishCall("ack", 1, ownership.OutboxResult{State: ownership.OutboxPending, NextAt: now.Add(time.Hour), Error: "503", At: now.Add(time.Minute)})
	require.NoError(t, err)
	require.NoError(t, s.runFinish(ctx, fin, "ack"))
	require.NoError(t, s.runFinish(ctx, fin, "ack"), "a re-sent finish is not a conflict")
	it, err = s.OutboxItem(ctx, "ack")
	require.NoError(t, err)
	require.Equal(t, ownership.OutboxPending, it.State)
	require.Equal(t, 1, it.Attempts)

	// Once another attempt claimed the item, the earlier claim's re-send
	// no longer hands it out.
	got, err := s.ClaimOutbox(ctx, now.Add(2*time.Hour), time.Minute, 10)
	require.NoError(t, err)
	require.Len(t, got, 3) // ack (retry), b (lease ended), c
	again, err = s.runClaim(ctx, claim)
	require.NoError(t, err)
	require.Empty(t, again)

	n, err := rdb.ZCard(ctx, "{"+prefix+"}:ob:all").Result()
	require.NoError(t, err)
	require.Equal(t, int64(3), n)
}

// TestRetryIdempotent sends the very same script call twice, as go-redis
// does when the reply to the first was lost after Redis ran it.
func TestRetryIdempotent(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	defer s.Close()
	evs := []ownership.Event{{Type: ownership.EventMessageIn, Actor: "pat", Body: "help"}, {Type: ownership.EventAssigned, To: "dana"}}

	for _, dedup := range []string{"sms:SM1", ""} {
		c, err := s.createCall(ownership.CreateRequest{Ticket: sampleTicket("dana"), Events: evs, DedupKey: dedup})
		require.NoError(t, err)
		first, created1, err := s.runCreate(ctx, c)
		require.NoError(t, err)
		again, created2, err := s.runCreate(ctx, c)
		require.NoError(t, err)
		require.True(t, created1 && created2, "a retried create reports what the first run did")
		require.Equal(t, first, again)
	}
	p, err := s.List(ctx, ownership.Filter{})
	require.NoError(t, err)
	require.Len(t, p.Tickets, 2, "one ticket per create, retries included")
	st, err := s.RepStates(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, st["dana"].Open)

	_, created, err := s.CreateTicket(ctx, ownership.CreateRequest{Ticket: sampleTicket("dana"), DedupKey: "sms:SM1"})
	require.NoError(t, err)
	require.False(t, created, "a new call with a known dedup key is a duplicate")

	tk, err := s.Ticket(ctx, "T-1")
	require.NoError(t, err)
	for i, opID := range []string{"op-1", ""} { // "" gets a random OpID
		next := tk
		next.Owner = fmt.Sprintf("lee%d", i)
		c, err := s.updateCall(ownership.UpdateRequest{Ticket: next, OpID: opID, DedupKey: fmt.Sprintf("sms:SM%d", 10+i),
			Events: []ownership.Event{{Type: ownership.EventAssigned, To: next.Owner}}})
		require.NoError(t, err)
		first, err := s.runUpdate(ctx, c, tk.ID)
		require.NoError(t, err)
		again, err := s.runUpdate(ctx, c, tk.ID)
		require.NoError(t, err, "a retried update is not a conflict or duplicate")
		require.Equal(t, first, again)
		tk = first
	}
	require.Equal(t, int64(3), tk.Rev)
	got, err := s.Events(ctx, "T-1")
	require.NoError(t, err)
	require.Len(t, got, 4)
	for i, e := range got {
		require.Equal(t, int64(i+1), e.Seq)
	}
	st, err = s.RepStates(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, st["dana"].Open)
	require.Equal(t, 0, st["lee0"].Open)
	require.Equal(t, 1, st["lee1"].Open)
}
