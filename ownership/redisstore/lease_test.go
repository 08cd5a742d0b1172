package redisstore

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Leases: a re-sent acquire, and the sortable time encoding.

// TestLeaseRetryIdempotent sends the very same acquire call twice, as
// go-redis does when the reply to the first was lost after Redis ran it:
// the second answers with the lease the first took, fence unchanged.
func TestLeaseRetryIdempotent(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	defer s.Close()
	now := time.Date(2026, 3, 6, 15, 0, 0, 0, time.UTC)
	first, err := s.AcquireLease(ctx, "imap:support", "replica-a", now, time.Minute)
	require.NoError(t, err)

	c, err := s.acquireCall("imap:support", "replica-b", first.Until, time.Minute) // a takeover
	require.NoError(t, err)
	took, err := s.runAcquire(ctx, c, "imap:support")
	require.NoError(t, err)
	require.Equal(t, first.Fence+1, took.Fence)
	again, err := s.runAcquire(ctx, c, "imap:support")
	require.NoError(t, err, "a re-sent takeover is not refused")
	require.Equal(t, took, again, "and takes no further fence")
}

// leaseTime's strings sort as the times do, across the epoch and the
// int64 range it clamps to, and read back exactly.
func TestLeaseTime(t *testing.T) {
	times := []time.Time{
		{}, time.Unix(0, math.MinInt64).Add(-time.Hour), time.Unix(-1, 0), time.Unix(0, -1), time.Unix(0, 0), time.Unix(0, 1),
		time.Date(2026, 3, 6, 15, 0, 0, 999999999, time.UTC), time.Date(2026, 3, 6, 15, 0, 1, 0, time.UTC), time.Unix(0, math.MaxInt64),
	}
	for i, tm := range times {
		s := leaseTime(tm)
		require.Len(t, s, 20, "leaseTime(%v)", tm)
		if i > 0 {
			require.LessOrEqual(t, leaseTime(times[i-1]), s, "leaseTime(%v) vs leaseTime(%v)", times[i-1], tm)
		}
		back, err := parseLeaseTime(s)
		require.NoError(t, err)
		if i > 1 {
			require.True(t, back.Equal(tm), "parseLeaseTime(leaseTime(%v)) = %v", tm, back)
		}
	}
	_, err := parseLeaseTime("123")
	require.Error(t, err)
}
