// Package outbox delivers the ledger's outbox: it claims due items, hands
// each to its channel's Replier, finishes the item in the store and tells
// the ledger the outcome. It knows the ledger only through Ledger.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/channels/display"
	"github.com/intakehq/intake/ownership"
)

// Ledger is what the worker asks of the ledger around a send;
// *ownership.Service satisfies it (ownership/delivery.go, optout.go).
type Ledger interface {
	// Now is the ledger's clock, so claims, leases and backoff agree with
	// the times the ledger writes.
	Now() time.Time
	// OptedOut reports whether phone has texted STOP: only rep notices
	// are texted to it.
	OptedOut(ctx context.Context, phone string) (bool, error)
	// RecordRef remembers which item the provider's id names, before the
	// item is marked sent, so a status callback right after finds it.
	RecordRef(ctx context.Context, it ownership.OutboxItem, ref string) error
	// RecordSent and RecordDead put the outcome on the item's ticket,
	// once per item; the worker calls them after FinishOutbox.
	RecordSent(ctx context.Context, it ownership.OutboxItem, ref string) error
	RecordDead(ctx context.Context, it ownership.OutboxItem, reason string) error
	// CountSend counts one attempt's result (sent, retry, dead).
	CountSend(channel, result string)
}

// Store is the part of ownership.Store the worker uses: claims are leases,
// and each finish is checked against the attempt it claimed.
type Store interface {
	ClaimOutbox(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]ownership.OutboxItem, error)
	FinishOutbox(ctx context.Context, id string, attempt int, res ownership.OutboxResult) error
}

// Options tune the worker. Zero values take the defaults.
type Options struct {
	Lease       time.Duration // how long a claimed item is ours (default 2m)
	SendTimeout time.Duration // the longest one send may take (default 20s)
	MaxAge      time.Duration // a message still failing this long after it was queued is dead-lettered (default 24h)
	BaseBackoff time.Duration // first retry delay (default 2s), doubled per attempt with jitter
	MaxBackoff  time.Duration // cap (default 15m)
	Batch       int           // items claimed per pass (default 5)
	Interval    time.Duration // pause between passes when idle (default 1s)
	Logger      *slog.Logger  // default: discard
}

// Worker delivers the outbox. Delivery is at least once: the claim is a
// lease, so a worker that dies mid-send leaves the item to be claimed
// again after the lease; providers without idempotency keys (Twilio
// Messaging) may then see a second send, never a lost one. Several workers
// (replicas) may run at once: claims never overlap.
type Worker struct {
	store    Store
	ledger   Ledger
	repliers map[channels.Kind]channels.Replier
	opts     Options
	logger   *slog.Logger
}

// New returns the outbox worker over store, recording outcomes in ledger
// and sending through repliers, one per configured channel.
func New(store Store, ledger Ledger, repliers map[channels.Kind]channels.Replier, opts Options) *Worker {
	if opts.Lease <= 0 {
		opts.Lease = 2 * time.Minute
	}
	if opts.SendTimeout <= 0 {
		opts.SendTimeout = 20 * time.Second
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = 24 * time.Hour
	}
	if opts.BaseBackoff <= 0 {
		opts.BaseBackoff = 2 * time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 15 * time.Minute
	}
	if opts.Batch <= 0 {
		opts.Batch = 5
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Worker{store: store, ledger: ledger, repliers: repliers, opts: opts, logger: logger.With("component", "outbox")}
}

// Run sends until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	for {
		n, err := w.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			w.logger.Warn("outbox pass failed", "err", err)
		}
		if n > 0 && err == nil {
			continue // more may be due
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(w.opts.Interval):
		}
	}
}

// RunOnce claims one batch of due items and tries each once. It returns
// how many it handled.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	items, err := w.store.ClaimOutbox(ctx, w.ledger.Now(), w.opts.Lease, w.opts.Batch)
	if err != nil {
		return 0, fmt.Errorf("claim outbox: %w", err)
	}
	var errs []error
	for _, it := range items {
		// An item whose claim could run out mid-send is left alone: another
		// worker may claim it then, and two sends must not overlap.
		if w.ledger.Now().Add(w.opts.SendTimeout).After(it.LeaseUntil) {
			continue
		}
		if ctx.Err() != nil {
			break // shutting down: the lease hands the rest to a later claim
		}
		errs = append(errs, w.send(ctx, it))
	}
	return len(items), errors.Join(errs...)
}

// send makes one attempt. Once started, the attempt and the record of its
// outcome run to the end even if ctx is cancelled (SIGTERM), bounded by
// SendTimeout: abandoning a send Twilio may have accepted would make the
// next claim send it again.
func (w *Worker) send(parent context.Context, it ownership.OutboxItem) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), w.opts.SendTimeout)
	defer cancel()
	kind := channels.Kind(it.Channel)
	r, ok := w.repliers[kind]
	if !ok {
		return w.dead(ctx, it, "channel "+it.Channel+" is not configured")
	}
	if kind == channels.SMS && it.Purpose != ownership.PurposeNotify {
		out, err := w.ledger.OptedOut(ctx, it.To)
		if err != nil {
			return err
		}
		if out {
			return w.dead(ctx, it, "the customer opted out of texts (STOP)")
		}
	}
	ref, err := r.Send(ctx, outbound(it))
	now := w.ledger.Now()
	var ra *channels.RetryAfterError
	switch {
	case err == nil:
		return w.sent(ctx, it, ref, now)
	case channels.IsPermanent(err):
		return w.dead(ctx, it, err.Error())
	case now.Sub(it.CreatedAt) > w.opts.MaxAge:
		// Giving up by age, not by attempts, so rate limiting or a
		// provider outage of a few hours never loses a message.
		return w.dead(ctx, it, fmt.Sprintf("still failing %s after it was queued (%d attempts): %v",
			now.Sub(it.CreatedAt).Round(time.Minute), it.Attempts, err))
	case errors.As(err, &ra):
		return w.retry(ctx, it, now.Add(max(ra.After, time.Second)), err)
	default:
		return w.retry(ctx, it, now.Add(w.backoff(it.Attempts)), err)
	}
}

// outbound is what the channel sends for it. Anything not for a customer
// (a rep's notification, a manager's alert, a Slack mirror, whatever
// purpose comes next) quotes customer text to staff, so its subject and
// body have their control and bidi characters shown as markers
// (display.Neutralize); the outbox keeps them as queued. What goes to a
// customer (a rep's reply, the auto-acknowledgement) is sent as written.
func outbound(it ownership.OutboxItem) channels.Outbound {
	o := channels.Outbound{ID: it.ID, TicketID: it.TicketID, Kind: channels.Kind(it.Channel), To: it.To,
		Subject: it.Subject, Body: it.Body, Purpose: string(it.Purpose), Attempt: it.Attempts, Headers: it.Headers}
	if it.Purpose != ownership.PurposeReply && it.Purpose != ownership.PurposeAutoAck {
		o.Subject, o.Body = display.Neutralize(o.Subject), display.Neutralize(o.Body)
	}
	return o
}

// backoff is exponential with full jitter in its upper half.
func (w *Worker) backoff(attempt int) time.Duration {
	d := w.opts.BaseBackoff << min(attempt-1, 20)
	if d <= 0 || d > w.opts.MaxBackoff {
		d = w.opts.MaxBackoff
	}
	return d/2 + rand.N(d/2+1)
}

func (w *Worker) sent(ctx context.Context, it ownership.OutboxItem, ref string, now time.Time) error {
	if err := w.ledger.RecordRef(ctx, it, ref); err != nil {
		return err
	}
	if err := w.store.FinishOutbox(ctx, it.ID, it.Attempts, ownership.OutboxResult{State: ownership.OutboxSent, ProviderRef: ref, At: now}); err != nil {
		return fmt.Errorf("record %s sent: %w", it.ID, err)
	}
	w.ledger.CountSend(it.Channel, "sent")
	return w.ledger.RecordSent(ctx, it, ref)
}

func (w *Worker) retry(ctx context.Context, it ownership.OutboxItem, at time.Time, cause error) error {
	w.logger.Info("outbox send failed; will retry", "outbox", it.ID, "ticket", it.TicketID, "attempt", it.Attempts, "retry_at", at, "err", cause)
	w.ledger.CountSend(it.Channel, "retry")
	return w.store.FinishOutbox(ctx, it.ID, it.Attempts, ownership.OutboxResult{State: ownership.OutboxPending, NextAt: at, Error: cause.Error(), At: w.ledger.Now()})
}

func (w *Worker) dead(ctx context.Context, it ownership.OutboxItem, reason string) error {
	w.logger.Warn("outbox message dead-lettered", "outbox", it.ID, "ticket", it.TicketID, "channel", it.Channel, "reason", reason)
	w.ledger.CountSend(it.Channel, "dead")
	if err := w.store.FinishOutbox(ctx, it.ID, it.Attempts, ownership.OutboxResult{State: ownership.OutboxDead, Error: reason, At: w.ledger.Now()}); err != nil {
		return err
	}
	return w.ledger.RecordDead(ctx, it, reason)
}
