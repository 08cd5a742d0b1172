package ownership_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/ownershiptest"
	"github.com/stretchr/testify/require"
)

func TestLeaseKeeperFencesCheckpoints(t *testing.T) {
	f := ownershiptest.New(t)
	ctx := context.Background()
	a := ownership.NewLeaseKeeper(f.Store, "email:help", "replica-a", time.Minute, f.Clock.Now)
	b := ownership.NewLeaseKeeper(f.Store, "email:help", "replica-b", time.Minute, f.Clock.Now)

	require.Error(t, a.Save(ctx, "cp", "1:5"), "no saving before the lease is held")
	ok, err := a.Acquire(ctx)
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = b.Acquire(ctx)
	require.NoError(t, err)
	require.False(t, ok, "one reader at a time")
	require.NoError(t, a.Save(ctx, "cp", "1:10"))

	// a stalls past its lease; b takes over and a's late write is refused.
	f.Clock.Add(2 * time.Minute)
	ok, err = b.Acquire(ctx)
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, b.Save(ctx, "cp", "1:20"))
	err = a.Save(ctx, "cp", "1:11")
	require.True(t, errors.Is(err, ownership.ErrConflict), "got %v", err)
	v, err := b.Load(ctx, "cp")
	require.NoError(t, err)
	require.Equal(t, "1:20", v)

	// Released at shutdown, the lease passes on at once.
	b.Release(ctx)
	ok, err = a.Acquire(ctx)
	require.NoError(t, err)
	require.True(t, ok)
}
