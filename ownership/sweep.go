package ownership

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Sweep cadences: how often a running Sweeper lapses offers, rehomes
// orphans and escalates.
const (
	DefaultOfferSweep      = 15 * time.Second
	DefaultOrphanSweep     = time.Minute
	DefaultEscalationSweep = 20 * time.Second
	// sweepLeaseTTL is how long one replica keeps the escalation lease
	// without renewing it (each escalation sweep renews it).
	sweepLeaseTTL = time.Minute
)

// SweeperOptions configure a Sweeper; zero durations take the defaults.
type SweeperOptions struct {
	// Replica names this process as the holder of the "sweep" lease.
	Replica     string
	Offers      time.Duration // DefaultOfferSweep
	Orphans     time.Duration // DefaultOrphanSweep
	Escalations time.Duration // DefaultEscalationSweep
	Logger      *slog.Logger
}

// Swept is what one round of sweeps did.
type Swept struct {
	Lapsed    int // handoff offers nobody accepted in time
	Rehomed   int // tickets whose owner left the roster
	Escalated int // tickets whose owner did not acknowledge in time
	// Leased is false when another replica held the escalation lease, so
	// this one did not escalate.
	Leased bool
}

// Sweeper runs the ledger's periodic work: it lapses handoff offers nobody
// accepted in time, rehomes tickets whose owner left the roster (a replica
// may still run an older roster) and escalates tickets nobody
// acknowledged. Every step is a compare-and-set, so replicas can sweep at
// once; escalation alone runs under the "sweep" lease, which keeps alerts
// from being computed twice.
type Sweeper struct {
	svc    *Service
	lease  *LeaseKeeper
	opts   SweeperOptions
	logger *slog.Logger
}

// NewSweeper returns a Sweeper over svc.
func NewSweeper(svc *Service, opts SweeperOptions) *Sweeper {
	if opts.Offers <= 0 {
		opts.Offers = DefaultOfferSweep
	}
	if opts.Orphans <= 0 {
		opts.Orphans = DefaultOrphanSweep
	}
	if opts.Escalations <= 0 {
		opts.Escalations = DefaultEscalationSweep
	}
	logger := opts.Logger
	if logger == nil {
		logger = svc.logger
	}
	return &Sweeper{svc: svc, lease: NewLeaseKeeper(svc.store, "sweep", opts.Replica, sweepLeaseTTL, svc.now),
		opts: opts, logger: logger}
}

// RunOnce runs each sweep once, in the order offers, orphans, escalation
// (when this replica gets the lease), and returns what they did and the
// errors joined.
func (w *Sweeper) RunOnce(ctx context.Context) (Swept, error) {
	var s Swept
	var errs []error
	var err error
	if s.Lapsed, err = w.offers(ctx); err != nil {
		errs = append(errs, err)
	}
	if s.Rehomed, err = w.orphans(ctx); err != nil {
		errs = append(errs, err)
	}
	if s.Leased, s.Escalated, err = w.escalations(ctx); err != nil {
		errs = append(errs, err)
	}
	return s, errors.Join(errs...)
}

// Run sweeps on each cadence until ctx ends, then gives up the lease so
// another replica escalates at once. Failures are logged; the next tick
// tries again.
func (w *Sweeper) Run(ctx context.Context) {
	offers := time.NewTicker(w.opts.Offers)
	defer offers.Stop()
	orphans := time.NewTicker(w.opts.Orphans)
	defer orphans.Stop()
	escalations := time.NewTicker(w.opts.Escalations)
	defer escalations.Stop()
	defer w.lease.Release(context.WithoutCancel(ctx))
	for {
		select {
		case <-ctx.Done():
			return
		case <-offers.C:
			_, err := w.offers(ctx)
			w.warn(err)
		case <-orphans.C:
			_, err := w.orphans(ctx)
			w.warn(err)
		case <-escalations.C:
			_, _, err := w.escalations(ctx)
			w.warn(err)
		}
	}
}

func (w *Sweeper) offers(ctx context.Context) (int, error) {
	n, err := w.svc.LapseOffers(ctx)
	if n > 0 {
		w.logger.Info("handoff offers lapsed", "count", n)
	}
	if err != nil {
		return n, fmt.Errorf("offer sweep: %w", err)
	}
	return n, nil
}

func (w *Sweeper) orphans(ctx context.Context) (int, error) {
	n, err := w.svc.ReassignOrphans(ctx)
	if err != nil {
		return n, fmt.Errorf("orphan sweep: %w", err)
	}
	return n, nil
}

// escalations escalates only while this replica holds the lease; an
// error taking the lease counts as not holding it (the next tick retries).
func (w *Sweeper) escalations(ctx context.Context) (leased bool, n int, err error) {
	if ok, err := w.lease.Acquire(ctx); err != nil || !ok {
		return false, 0, nil
	}
	n, err = w.svc.Escalate(ctx)
	if n > 0 {
		w.logger.Warn("tickets escalated: owners did not acknowledge in time", "count", n)
	}
	if err != nil {
		return true, n, fmt.Errorf("escalation sweep: %w", err)
	}
	return true, n, nil
}

// warn logs a failed sweep, unless it failed because ctx ended.
func (w *Sweeper) warn(err error) {
	if err != nil && !errors.Is(err, context.Canceled) {
		w.logger.Warn("sweep failed", "err", err)
	}
}

// sweepTickets applies fn, as one change named action, to every ticket
// not closed that due selects at the time, and calls moved (when set)
// with the ticket as it was before each change made. due is checked again
// on the ticket the write reads, so a rep or another replica that got
// there first wins and nothing is written. The tickets are collected
// before any is changed, so the changes cannot shift the listing under
// the walk. fn may run more than once for a ticket (a conflict re-applies
// it, see changeWithOutbox), so changes are counted after their write.
// It returns how many tickets changed.
func (s *Service) sweepTickets(ctx context.Context, action string, due func(Ticket, time.Time) bool, fn mutation, moved func(was Ticket)) (int, error) {
	var todo []Ticket
	now := s.now()
	if err := s.eachNotClosed(ctx, func(t Ticket) error {
		if due(t, now) {
			todo = append(todo, t)
		}
		return nil
	}); err != nil {
		return 0, err
	}
	n := 0
	for _, was := range todo {
		applied := false
		_, err := s.change(ctx, action, was.ID, nil, func(t *Ticket, now time.Time) ([]Event, error) {
			applied = false
			if !due(*t, now) {
				return nil, errNoChange
			}
			evs, err := fn(t, now)
			applied = err == nil
			return evs, err
		})
		if err != nil {
			return n, fmt.Errorf("%s %s: %w", action, was.ID, err)
		}
		if applied {
			n++
			if moved != nil {
				moved(was)
			}
		}
	}
	return n, nil
}
