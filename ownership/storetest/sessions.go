package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/intakehq/intake/ownership"
	"github.com/stretchr/testify/require"
)

func testSessions(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	sess := ownership.Session{ID: "digest-1", Kind: "user", Name: "maria@msp.example", Expires: t0.Add(12 * time.Hour)}
	require.NoError(t, s.CreateSession(ctx, sess, t0))
	got, err := s.Session(ctx, sess.ID, t0.Add(time.Hour))
	require.NoError(t, err)
	require.Equal(t, sess, got)

	_, err = s.Session(ctx, sess.ID, sess.Expires)
	require.ErrorIs(t, err, ownership.ErrNotFound, "expired at its Expires, by the caller's clock")
	_, err = s.Session(ctx, "digest-unknown", t0)
	require.ErrorIs(t, err, ownership.ErrNotFound)

	other := ownership.Session{ID: "digest-2", Kind: "token", Name: "dana", Expires: t0.Add(time.Hour)}
	require.NoError(t, s.CreateSession(ctx, other, t0))
	require.NoError(t, s.DeleteSession(ctx, sess.ID))
	_, err = s.Session(ctx, sess.ID, t0)
	require.ErrorIs(t, err, ownership.ErrNotFound, "deleted: signed out")
	require.NoError(t, s.DeleteSession(ctx, sess.ID), "deleting twice is fine")
	got, err = s.Session(ctx, other.ID, t0)
	require.NoError(t, err, "other sessions stay")
	require.Equal(t, other, got)
}

func testThrottle(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	f, err := s.Failures(ctx, "ip:192.0.2.7", t0)
	require.NoError(t, err)
	require.Equal(t, ownership.Failures{}, f)
	for i := 1; i <= 3; i++ {
		f, err = s.RecordFailure(ctx, "ip:192.0.2.7", t0.Add(time.Duration(i)*time.Second), time.Hour)
		require.NoError(t, err)
		require.Equal(t, ownership.Failures{Count: i, Last: t0.Add(time.Duration(i) * time.Second)}, f)
	}
	got, err := s.Failures(ctx, "ip:192.0.2.7", t0.Add(time.Minute))
	require.NoError(t, err)
	require.Equal(t, f, got)
	got, err = s.Failures(ctx, "user:maria", t0)
	require.NoError(t, err)
	require.Zero(t, got.Count, "counts are per key")

	forgotten := f.Last.Add(time.Hour)
	got, err = s.Failures(ctx, "ip:192.0.2.7", forgotten)
	require.NoError(t, err)
	require.Zero(t, got.Count, "forgotten ttl after the latest failure")
	f, err = s.RecordFailure(ctx, "ip:192.0.2.7", forgotten, time.Hour)
	require.NoError(t, err)
	require.Equal(t, 1, f.Count, "a forgotten count starts again")

	require.NoError(t, s.ClearFailures(ctx, "ip:192.0.2.7"))
	got, err = s.Failures(ctx, "ip:192.0.2.7", forgotten)
	require.NoError(t, err)
	require.Zero(t, got.Count)
	require.NoError(t, s.ClearFailures(ctx, "ip:192.0.2.7"), "clearing twice is fine")
}

// testThrottleConcurrent: failures from many replicas at once each count.
func testThrottleConcurrent(t *testing.T, s ownership.Store) {
	ctx := context.Background()
	const n = 40
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := s.RecordFailure(ctx, "user:dana", t0.Add(time.Duration(i)*time.Millisecond), time.Hour)
			if err != nil {
				t.Errorf("RecordFailure %d: %v", i, err)
			}
		}(i)
	}
	wg.Wait()
	f, err := s.Failures(ctx, "user:dana", t0.Add(time.Second))
	require.NoError(t, err)
	require.Equal(t, n, f.Count, fmt.Sprintf("%d concurrent failures", n))
}
