package redisstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/intakehq/intake/ownership"
)

// Leases: one hash per name (keys.go), each call one script. The scripts
// compare times the caller passes in, never the server's clock, so a
// replica whose clock runs ahead takes over early rather than never, and
// tests run in simulated time.

// AcquireLease takes or renews a lease in one script
// (scripts/lease_acquire.lua).
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (ownership.Lease, error) {
	c, err := s.acquireCall(name, holder, now, ttl)
	if err != nil {
		return ownership.Lease{}, err
	}
	return s.runAcquire(ctx, c, name)
}

func (s *Store) acquireCall(name, holder string, now time.Time, ttl time.Duration) (call, error) {
	switch {
	case name == "":
		return call{}, errors.New("redisstore: acquire lease: empty lease name")
	case holder == "":
		return call{}, fmt.Errorf("redisstore: acquire lease %q: empty holder", name)
	case ttl <= 0:
		return call{}, fmt.Errorf("redisstore: acquire lease %q: ttl %v: want > 0", name, ttl)
	}
	return call{keys: []string{s.k.lease(name)}, args: []any{holder, leaseTime(now), leaseTime(now.Add(ttl))}}, nil
}

func (s *Store) runAcquire(ctx context.Context, c call, name string) (ownership.Lease, error) {
	r, err := s.scripts.leaseAcquire.Run(ctx, s.rdb, c.keys, c.args...).StringSlice()
	if err != nil {
		return ownership.Lease{}, fmt.Errorf("redisstore: acquire lease %q: %w", name, err)
	}
	l, err := leaseFromReply(name, c.args[0].(string), r)
	if err != nil {
		return ownership.Lease{}, fmt.Errorf("redisstore: acquire lease %q: %w", name, err)
	}
	if r[0] == tagHeld {
		return l, fmt.Errorf("redisstore: acquire lease %q: held by %q until %s: %w", name, l.Holder, l.Until.Format(time.RFC3339Nano), ownership.ErrLeaseHeld)
	}
	return l, nil
}

// leaseFromReply decodes {'OK', fence, until} (the lease is holder's) or
// {'HELD', holder, fence, until}.
func leaseFromReply(name, holder string, r []string) (ownership.Lease, error) {
	switch {
	case len(r) == 3 && r[0] == tagOK:
		r = []string{r[0], holder, r[1], r[2]}
	case len(r) == 4 && r[0] == tagHeld:
	default:
		return ownership.Lease{}, fmt.Errorf("unexpected script reply %q", r)
	}
	l := ownership.Lease{Name: name, Holder: r[1]}
	var err error
	if l.Fence, err = strconv.ParseInt(r[2], 10, 64); err != nil {
		return ownership.Lease{}, fmt.Errorf("fence %q: %w", r[2], err)
	}
	if l.Until, err = parseLeaseTime(r[3]); err != nil {
		return ownership.Lease{}, err
	}
	return l, nil
}

// ReleaseLease gives a lease up in one script (scripts/lease_release.lua).
func (s *Store) ReleaseLease(ctx context.Context, name, holder string, fence int64) error {
	c := call{keys: []string{s.k.lease(name)}, args: []any{holder, strconv.FormatInt(fence, 10)}}
	if _, _, err := reply(s.scripts.leaseRelease.Run(ctx, s.rdb, c.keys, c.args...).Result()); err != nil {
		return fmt.Errorf("redisstore: release lease %q: %w", name, err)
	}
	return nil
}

// SetFlagFenced sets a flag in one script (scripts/flag_fenced.lua) that
// checks the lease's fence first.
func (s *Store) SetFlagFenced(ctx context.Context, lease string, fence int64, key, value string) error {
	c := s.flagFencedCall(lease, fence, key, value)
	tag, _, err := reply(s.scripts.flagFenced.Run(ctx, s.rdb, c.keys, c.args...).Result())
	switch {
	case err != nil:
		return fmt.Errorf("redisstore: set flag %q fenced by lease %q: %w", key, lease, err)
	case tag == tagConflict:
		return fmt.Errorf("redisstore: set flag %q: lease %q is not at fence %d: %w", key, lease, fence, ownership.ErrConflict)
	case tag != tagOK:
		return fmt.Errorf("redisstore: set flag %q fenced by lease %q: unexpected script reply %q", key, lease, tag)
	}
	return nil
}

func (s *Store) flagFencedCall(lease string, fence int64, key, value string) call {
	return call{keys: []string{s.k.lease(lease), s.k.flag(key)}, args: []any{strconv.FormatInt(fence, 10), value}}
}

// leaseTime is t as the lease scripts store and compare it: unix
// nanoseconds (clamped to the int64 range) plus 2^63, as 20 zero-padded
// digits, so that string order is time order. Lua numbers are doubles and
// would round nanoseconds.
func leaseTime(t time.Time) string {
	var n int64
	switch {
	case t.Before(time.Unix(0, math.MinInt64)):
		n = math.MinInt64
	case t.After(time.Unix(0, math.MaxInt64)):
		n = math.MaxInt64
	default:
		n = t.UnixNano()
	}
	return fmt.Sprintf("%020d", uint64(n)^(1<<63))
}

func parseLeaseTime(s string) (time.Time, error) {
	u, err := strconv.ParseUint(s, 10, 64)
	if err != nil || len(s) != 20 {
		return time.Time{}, fmt.Errorf("lease time %q: not 20 digits", s)
	}
	return time.Unix(0, int64(u^(1<<63))).UTC(), nil
}
