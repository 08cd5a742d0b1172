package storetest

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

// The lease conformance tests. Their clock is explicit (now, ttl): the
// store decides expiry by the now it is given, to the nanosecond, so the
// tests probe the exact boundary (a lease is free at now == Until).

const leaseTTL = 30 * time.Second

var leaseNow = t0.Add(2*time.Hour + 987654321*time.Nanosecond)

func acquire(t *testing.T, s ownership.Store, name, holder string, now time.Time) ownership.Lease {
	t.Helper()
	l, err := s.AcquireLease(context.Background(), name, holder, now, leaseTTL)
	require.NoError(t, err, "AcquireLease(%q, %q, %v)", name, holder, now)
	return l
}

// requireHeld checks that holder cannot take name at now because cur
// holds it, and that the store says so with the current lease.
func requireHeld(t *testing.T, s ownership.Store, name, holder string, now time.Time, cur ownership.Lease) {
	t.Helper()
	l, err := s.AcquireLease(context.Background(), name, holder, now, leaseTTL)
	require.ErrorIs(t, err, ownership.ErrLeaseHeld, "AcquireLease(%q, %q, %v)", name, holder, now)
	require.Equal(t, cur, l, "AcquireLease(%q, %q, %v) returns the current lease", name, holder, now)
}

// testLeaseAcquireRenew: the first acquire gets fence 1; the holder renews
// with the same fence and a new Until; another holder is refused while the
// lease runs; names are independent; bad arguments are refused.
func testLeaseAcquireRenew(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	l := acquire(t, s, "imap:support", "replica-a", leaseNow)
	require.Equal(t, ownership.Lease{Name: "imap:support", Holder: "replica-a", Fence: 1, Until: leaseNow.Add(leaseTTL)}, l)

	renewed := acquire(t, s, "imap:support", "replica-a", leaseNow.Add(10*time.Second))
	require.Equal(t, ownership.Lease{Name: "imap:support", Holder: "replica-a", Fence: 1, Until: leaseNow.Add(10*time.Second + leaseTTL)}, renewed)

	requireHeld(t, s, "imap:support", "replica-b", leaseNow.Add(20*time.Second), renewed)
	requireHeld(t, s, "imap:support", "replica-b", renewed.Until.Add(-time.Nanosecond), renewed)
	require.Equal(t, renewed, acquire(t, s, "imap:support", "replica-a", leaseNow.Add(10*time.Second)), "a refused acquire changes nothing")

	other := acquire(t, s, "sweep:{escalation}", "replica-b", leaseNow)
	require.Equal(t, ownership.Lease{Name: "sweep:{escalation}", Holder: "replica-b", Fence: 1, Until: leaseNow.Add(leaseTTL)}, other)

	for _, bad := range []struct {
		name, holder string
		ttl          time.Duration
	}{{"", "replica-a", leaseTTL}, {"imap:x", "", leaseTTL}, {"imap:x", "replica-a", 0}, {"imap:x", "replica-a", -time.Second}} {
		_, err := s.AcquireLease(ctx, bad.name, bad.holder, leaseNow, bad.ttl)
		require.Error(t, err, "AcquireLease(%q, %q, ttl %v)", bad.name, bad.holder, bad.ttl)
		require.NotErrorIs(t, err, ownership.ErrLeaseHeld)
	}
	// The refused empty holder did not release anything either.
	requireHeld(t, s, "imap:support", "replica-c", leaseNow.Add(20*time.Second), renewed)
}

// testLeaseExpiry: an expired lease (Until <= now) is taken by another
// holder with the next fence, and the former holder is then refused; a
// holder whose lease expired with nobody taking it renews it, keeping the
// fence.
func testLeaseExpiry(t *testing.T, s ownership.Store) {
	a := acquire(t, s, "imap:support", "replica-a", leaseNow)

	late := a.Until.Add(time.Minute)
	kept := acquire(t, s, "imap:support", "replica-a", late)
	require.Equal(t, ownership.Lease{Name: "imap:support", Holder: "replica-a", Fence: 1, Until: late.Add(leaseTTL)}, kept,
		"renewing after expiry, nobody having taken it, keeps the fence")

	requireHeld(t, s, "imap:support", "replica-b", kept.Until.Add(-time.Nanosecond), kept)
	b := acquire(t, s, "imap:support", "replica-b", kept.Until)
	require.Equal(t, ownership.Lease{Name: "imap:support", Holder: "replica-b", Fence: 2, Until: kept.Until.Add(leaseTTL)}, b,
		"free at now == Until, taken with the next fence")

	requireHeld(t, s, "imap:support", "replica-a", kept.Until.Add(time.Second), b)

	c := acquire(t, s, "imap:support", "replica-a", b.Until.Add(time.Hour))
	require.Equal(t, int64(3), c.Fence, "taken back after the new holder's lease expired")
	require.Equal(t, "replica-a", c.Holder)
}

// testLeaseRelease: a release by the holder with its fence frees the
// lease, and the next acquire, even by the same holder, gets the next
// fence; a release with another holder or fence, of a lease taken over, or
// of a lease never taken does nothing.
func testLeaseRelease(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	require.NoError(t, s.ReleaseLease(ctx, "never:taken", "replica-a", 1), "releasing a lease never taken")
	require.Equal(t, int64(1), acquire(t, s, "never:taken", "replica-b", leaseNow).Fence, "nor did it use a fence")

	a := acquire(t, s, "imap:support", "replica-a", leaseNow)
	require.NoError(t, s.ReleaseLease(ctx, "imap:support", "replica-b", a.Fence), "another holder's release")
	require.NoError(t, s.ReleaseLease(ctx, "imap:support", "replica-a", a.Fence+1), "a release with another fence")
	require.NoError(t, s.ReleaseLease(ctx, "imap:support", "", a.Fence), "a release by no one")
	requireHeld(t, s, "imap:support", "replica-b", leaseNow.Add(time.Second), a)

	require.NoError(t, s.ReleaseLease(ctx, "imap:support", "replica-a", a.Fence))
	require.NoError(t, s.ReleaseLease(ctx, "imap:support", "replica-a", a.Fence), "releasing twice")
	again := acquire(t, s, "imap:support", "replica-a", leaseNow.Add(time.Second))
	require.Equal(t, ownership.Lease{Name: "imap:support", Holder: "replica-a", Fence: 2, Until: leaseNow.Add(time.Second + leaseTTL)}, again,
		"taken again after release, by the same holder, before the old Until: the next fence")

	require.NoError(t, s.ReleaseLease(ctx, "imap:support", "replica-a", again.Fence))
	b := acquire(t, s, "imap:support", "replica-b", leaseNow.Add(2*time.Second))
	require.Equal(t, int64(3), b.Fence)
	require.NoError(t, s.ReleaseLease(ctx, "imap:support", "replica-a", again.Fence), "a former holder's late release")
	requireHeld(t, s, "imap:support", "replica-a", leaseNow.Add(3*time.Second), b)
}

// testLeaseFencedFlag: a write fenced with the current fence lands and
// Flag reads it; with any other fence, after a takeover, or under a lease
// never taken it is ErrConflict and writes nothing.
func testLeaseFencedFlag(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	const lease, uidKey, validityKey = "imap:support", "imap:support:uid", "imap:support:uidvalidity"
	require.ErrorIs(t, s.SetFlagFenced(ctx, lease, 0, uidKey, "1"), ownership.ErrConflict, "a lease never taken has no fence")
	require.ErrorIs(t, s.SetFlagFenced(ctx, lease, 1, uidKey, "1"), ownership.ErrConflict)
	require.Equal(t, "", mustFlag(t, s, uidKey))

	a := acquire(t, s, lease, "replica-a", leaseNow)
	require.NoError(t, s.SetFlagFenced(ctx, lease, a.Fence, validityKey, "1700000000"))
	require.NoError(t, s.SetFlagFenced(ctx, lease, a.Fence, uidKey, "100"))
	require.NoError(t, s.SetFlagFenced(ctx, lease, a.Fence, uidKey, "101"), "overwrite")
	require.Equal(t, "101", mustFlag(t, s, uidKey))
	require.Equal(t, "1700000000", mustFlag(t, s, validityKey))
	require.ErrorIs(t, s.SetFlagFenced(ctx, lease, a.Fence+1, uidKey, "999"), ownership.ErrConflict, "a fence not handed out yet")
	require.ErrorIs(t, s.SetFlagFenced(ctx, "imap:other", a.Fence, uidKey, "999"), ownership.ErrConflict, "another lease")
	require.Equal(t, "101", mustFlag(t, s, uidKey))

	// replica-a stalls past its Until; replica-b takes over and moves on.
	b := acquire(t, s, lease, "replica-b", a.Until)
	require.Equal(t, a.Fence+1, b.Fence)
	require.ErrorIs(t, s.SetFlagFenced(ctx, lease, a.Fence, uidKey, "102"), ownership.ErrConflict, "the stalled holder's checkpoint")
	require.ErrorIs(t, s.SetFlagFenced(ctx, lease, a.Fence, validityKey, ""), ownership.ErrConflict, "nor may it delete")
	require.Equal(t, "101", mustFlag(t, s, uidKey), "nothing written after the takeover")
	require.Equal(t, "1700000000", mustFlag(t, s, validityKey))
	require.NoError(t, s.SetFlagFenced(ctx, lease, b.Fence, uidKey, "150"))
	require.Equal(t, "150", mustFlag(t, s, uidKey))
	require.NoError(t, s.SetFlagFenced(ctx, lease, b.Fence, validityKey, ""), `"" deletes`)
	require.Equal(t, "", mustFlag(t, s, validityKey))

	// A fenced flag is an ordinary flag to SetFlag and Flag.
	require.NoError(t, s.SetFlag(ctx, uidKey, "7"))
	require.Equal(t, "7", mustFlag(t, s, uidKey))
}

// testLeaseConcurrentAcquire: in each round many holders race for a lease
// the last round's winner let expire; exactly one wins, with the next
// fence, and every loser is told who won.
func testLeaseConcurrentAcquire(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	const rounds, workers = 5, 12
	for r := 0; r < rounds; r++ {
		now := leaseNow.Add(time.Duration(r) * leaseTTL) // the last winner's Until
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			wins   []ownership.Lease
			losers []ownership.Lease
		)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				l, err := s.AcquireLease(ctx, "sweep", fmt.Sprintf("r%d-w%d", r, w), now, leaseTTL)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins = append(wins, l)
				case errors.Is(err, ownership.ErrLeaseHeld):
					losers = append(losers, l)
				default:
					t.Errorf("AcquireLease: %v", err)
				}
			}(w)
		}
		wg.Wait()
		require.Len(t, wins, 1, "round %d: winners", r)
		require.Equal(t, int64(r+1), wins[0].Fence, "round %d: fence", r)
		require.Equal(t, now.Add(leaseTTL), wins[0].Until)
		require.Len(t, losers, workers-1, "round %d: losers", r)
		for _, l := range losers {
			require.Equal(t, wins[0], l, "round %d: a loser is told the winner's lease", r)
		}
	}
}
