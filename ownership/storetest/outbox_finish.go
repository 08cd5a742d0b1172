package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/intakehq/intake/ownership"
	"github.com/stretchr/testify/require"
)

// Finishing outbox items: sent, retried, dead, fenced to the current
// attempt, and dead after a later delivery report.

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
