package channels_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/ownership/sqlitestore"
	"github.com/stretchr/testify/require"
)

// recorder is a Reconciler that records the windows it was asked for and
// fails while fail is set.
type recorder struct {
	mu    sync.Mutex
	since []time.Time
	fail  error
}

func (r *recorder) reconcile(ctx context.Context, since time.Time) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.since = append(r.since, since)
	return 0, r.fail
}

func (r *recorder) calls() []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Time(nil), r.since...)
}

// TestReconcileSchedule: a first sweep looks back a day; each later one
// reaches back to five minutes before the last good one, whose time is
// kept in the store under reconcile:<channel> (so a restart goes on from
// it); a failed sweep leaves the checkpoint, so the next covers the same
// window again.
func TestReconcileSchedule(t *testing.T) {
	ctx := context.Background()
	store, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "intake.db"), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	t0 := time.Date(2026, 3, 6, 14, 0, 0, 0, time.UTC)
	now := t0
	clock := func() time.Time { return now }
	tw, mail := &recorder{}, &recorder{}
	s := channels.NewReconcileSchedule(map[string]channels.Reconciler{"twilio": tw.reconcile, "other": mail.reconcile}, store,
		channels.ReconcileOptions{Now: clock})

	s.RunOnce(ctx)
	require.Equal(t, []time.Time{t0.Add(-24 * time.Hour)}, tw.calls(), "a first run looks back a day")
	v, err := store.Flag(ctx, channels.CheckpointKey("twilio"))
	require.NoError(t, err)
	require.Equal(t, "reconcile:twilio", channels.CheckpointKey("twilio"))
	require.Equal(t, t0.Format(time.RFC3339Nano), v)

	now = t0.Add(5 * time.Minute)
	tw.fail = errors.New("twilio: 503")
	s.RunOnce(ctx)
	require.Equal(t, t0.Add(-5*time.Minute), tw.calls()[1], "overlap the last good sweep by five minutes")
	v, err = store.Flag(ctx, channels.CheckpointKey("twilio"))
	require.NoError(t, err)
	require.Equal(t, t0.Format(time.RFC3339Nano), v, "a failed sweep keeps the checkpoint")

	now = t0.Add(10 * time.Minute)
	tw.fail = nil
	restarted := channels.NewReconcileSchedule(map[string]channels.Reconciler{"twilio": tw.reconcile}, store, channels.ReconcileOptions{Now: clock})
	restarted.RunOnce(ctx)
	require.Equal(t, t0.Add(-5*time.Minute), tw.calls()[2], "after a failure (and a restart) the same window again")
	v, err = store.Flag(ctx, channels.CheckpointKey("twilio"))
	require.NoError(t, err)
	require.Equal(t, now.Format(time.RFC3339Nano), v)

	require.Len(t, mail.calls(), 2, "each channel is swept")
	require.Equal(t, []time.Time{t0.Add(-24 * time.Hour), t0.Add(-5 * time.Minute)}, mail.calls(), "each channel has its own checkpoint")
}

// TestReconcileRun: Run sweeps at once and then every Every until ctx
// ends; with no reconcilers it returns at once.
func TestReconcileRun(t *testing.T) {
	ctx := context.Background()
	store, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "intake.db"), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	channels.NewReconcileSchedule(nil, store, channels.ReconcileOptions{}).Run(ctx) // returns

	rec := &recorder{}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		channels.NewReconcileSchedule(map[string]channels.Reconciler{"twilio": rec.reconcile}, store,
			channels.ReconcileOptions{Every: 5 * time.Millisecond}).Run(runCtx)
	}()
	require.Eventually(t, func() bool { return len(rec.calls()) >= 3 }, 5*time.Second, time.Millisecond)
	stop()
	<-done
}
