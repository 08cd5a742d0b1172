package ownership

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// LeaseKeeper holds one named store lease for one holder: work that must
// run in one place across replicas (reading a mailbox, a sweep) runs only
// while Acquire says so, and its checkpoint writes are fenced, so a
// replica that lost the lease cannot overwrite the new holder's progress.
type LeaseKeeper struct {
	store  Store
	name   string
	holder string
	ttl    time.Duration
	now    func() time.Time

	mu    sync.Mutex
	fence int64 // 0 while not held
}

// NewLeaseKeeper returns a keeper of lease name for holder (a replica id);
// each Acquire extends it to now+ttl.
func NewLeaseKeeper(store Store, name, holder string, ttl time.Duration, now func() time.Time) *LeaseKeeper {
	if now == nil {
		now = time.Now
	}
	return &LeaseKeeper{store: store, name: name, holder: holder, ttl: ttl, now: now}
}

// Acquire takes or renews the lease; false when another holder has it.
func (k *LeaseKeeper) Acquire(ctx context.Context) (bool, error) {
	l, err := k.store.AcquireLease(ctx, k.name, k.holder, k.now(), k.ttl)
	k.mu.Lock()
	defer k.mu.Unlock()
	switch {
	case errors.Is(err, ErrLeaseHeld):
		k.fence = 0
		return false, nil
	case err != nil:
		return false, fmt.Errorf("lease %s: %w", k.name, err)
	}
	k.fence = l.Fence
	return true, nil
}

// Release gives the lease up, so another replica takes over at once.
func (k *LeaseKeeper) Release(ctx context.Context) {
	k.mu.Lock()
	fence := k.fence
	k.fence = 0
	k.mu.Unlock()
	if fence != 0 {
		_ = k.store.ReleaseLease(ctx, k.name, k.holder, fence)
	}
}

// Load returns the value stored under key ("" when none).
func (k *LeaseKeeper) Load(ctx context.Context, key string) (string, error) {
	return k.store.Flag(ctx, key)
}

// Save stores value under key only while the lease is still ours.
func (k *LeaseKeeper) Save(ctx context.Context, key, value string) error {
	k.mu.Lock()
	fence := k.fence
	k.mu.Unlock()
	if fence == 0 {
		return fmt.Errorf("lease %s: %w", k.name, ErrLeaseHeld)
	}
	if err := k.store.SetFlagFenced(ctx, k.name, fence, key, value); err != nil {
		return fmt.Errorf("lease %s: %w", k.name, err)
	}
	return nil
}
