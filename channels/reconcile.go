package channels

import (
	"context"
	"log/slog"
	"time"
)

// Reconciler reads a provider's recent history since a time and feeds what
// the webhooks missed through the same (deduplicating) sink, returning how
// many messages were new (twilio.Channel.Reconcile is one).
type Reconciler func(ctx context.Context, since time.Time) (int, error)

// Checkpoints keeps small values by key, shared by replicas: the time of
// each channel's last good reconciliation, under "reconcile:<channel>".
// The ledger's store satisfies it.
type Checkpoints interface {
	Flag(ctx context.Context, key string) (string, error)
	SetFlag(ctx context.Context, key, value string) error
}

// Reconciliation defaults.
const (
	// DefaultReconcileEvery is how often the provider sweeps run.
	DefaultReconcileEvery = 5 * time.Minute
	// ReconcileOverlap is how far each sweep reaches back before the
	// previous good one: dedup makes overlap free, gaps are what lose
	// messages.
	ReconcileOverlap = 5 * time.Minute
	// ReconcileFirstLookBack is how far a channel's first sweep (no
	// checkpoint yet) reaches back.
	ReconcileFirstLookBack = 24 * time.Hour
)

// ReconcileOptions configure a ReconcileSchedule.
type ReconcileOptions struct {
	Every  time.Duration    // DefaultReconcileEvery
	Now    func() time.Time // time.Now
	Logger *slog.Logger
}

// ReconcileSchedule runs each channel's Reconciler at start and then every
// Every. The time of the last good sweep is kept in the Checkpoints (so a
// restart, or another replica, goes on from it), and each sweep overlaps
// the previous one by ReconcileOverlap. A first run looks back
// ReconcileFirstLookBack. A sweep that fails leaves the checkpoint, so the
// next one covers the same window again.
type ReconcileSchedule struct {
	recs   map[string]Reconciler // by channel name
	cp     Checkpoints
	opts   ReconcileOptions
	logger *slog.Logger
}

// NewReconcileSchedule returns the schedule of recs (by channel name) over cp.
func NewReconcileSchedule(recs map[string]Reconciler, cp Checkpoints, opts ReconcileOptions) *ReconcileSchedule {
	if opts.Every <= 0 {
		opts.Every = DefaultReconcileEvery
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &ReconcileSchedule{recs: recs, cp: cp, opts: opts, logger: logger}
}

// Run sweeps at once and then every Every until ctx ends. With no
// reconcilers it returns at once.
func (r *ReconcileSchedule) Run(ctx context.Context) {
	if len(r.recs) == 0 {
		return
	}
	for {
		r.RunOnce(ctx)
		if !Sleep(ctx, r.opts.Every) {
			return
		}
	}
}

// RunOnce sweeps each channel once.
func (r *ReconcileSchedule) RunOnce(ctx context.Context) {
	for name, fn := range r.recs {
		r.sweep(ctx, name, fn)
	}
}

// CheckpointKey is where channel's last good reconciliation time is kept.
func CheckpointKey(channel string) string { return "reconcile:" + channel }

func (r *ReconcileSchedule) sweep(ctx context.Context, name string, fn Reconciler) {
	key := CheckpointKey(name)
	started := r.opts.Now().UTC()
	since := started.Add(-ReconcileFirstLookBack)
	if v, err := r.cp.Flag(ctx, key); err == nil && v != "" {
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			since = t.Add(-ReconcileOverlap)
		}
	}
	n, err := fn(ctx, since)
	if n > 0 {
		r.logger.Warn("reconciliation took in messages the webhooks missed", "channel", name, "count", n, "since", since)
	}
	if err != nil {
		if ctx.Err() == nil {
			r.logger.Warn("reconciliation incomplete; the next sweep covers the same window", "channel", name, "err", err)
		}
		return
	}
	if err := r.cp.SetFlag(ctx, key, started.Format(time.RFC3339Nano)); err != nil {
		r.logger.Warn("cannot record the reconciliation time", "channel", name, "err", err)
	}
}
