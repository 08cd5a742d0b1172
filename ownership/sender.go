package ownership

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/channels/display"
)

// SenderOptions tune the outbox worker. Zero values take the defaults.
type SenderOptions struct {
	Lease       time.Duration // how long a claimed item is ours (default 2m)
	SendTimeout time.Duration // the longest one send may take (default 20s)
	MaxAge      time.Duration // a message still failing this long after it was queued is dead-lettered (default 24h)
	BaseBackoff time.Duration // first retry delay (default 2s), doubled per attempt with jitter
	MaxBackoff  time.Duration // cap (default 15m)
	Batch       int           // items claimed per pass (default 5)
	Interval    time.Duration // pause between passes when idle (default 1s)
}

// Sender delivers the outbox: it claims due items, hands each to its
// channel's Replier, and records the outcome. Delivery is at least once:
// the claim is a lease, so a worker that dies mid-send leaves the item to be
// claimed again after the lease; providers without idempotency keys (Twilio
// Messaging) may then see a second send, never a lost one. Several workers
// (replicas) may run at once: claims never overlap.
type Sender struct {
	svc      *Service
	repliers map[channels.Kind]channels.Replier
	opts     SenderOptions
	logger   *slog.Logger
}

// NewSender returns the outbox worker for svc's store.
func NewSender(svc *Service, repliers map[channels.Kind]channels.Replier, opts SenderOptions) *Sender {
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
	return &Sender{svc: svc, repliers: repliers, opts: opts, logger: svc.logger.With("component", "outbox")}
}

// Run sends until ctx ends.
func (w *Sender) Run(ctx context.Context) {
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
func (w *Sender) RunOnce(ctx context.Context) (int, error) {
	items, err := w.svc.store.ClaimOutbox(ctx, w.svc.now().UTC(), w.opts.Lease, w.opts.Batch)
	if err != nil {
		return 0, fmt.Errorf("claim outbox: %w", err)
	}
	var errs []error
	for _, it := range items {
		// An item whose claim could run out mid-send is left alone: another
		// worker may claim it then, and two sends must not overlap.
		if w.svc.now().Add(w.opts.SendTimeout).After(it.LeaseUntil) {
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
func (w *Sender) send(parent context.Context, it OutboxItem) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), w.opts.SendTimeout)
	defer cancel()
	kind := channels.Kind(it.Channel)
	r, ok := w.repliers[kind]
	if !ok {
		return w.dead(ctx, it, "channel "+it.Channel+" is not configured")
	}
	if kind == channels.SMS && it.Purpose != PurposeNotify {
		v, err := w.svc.store.Flag(ctx, optOutFlag(it.To))
		if err != nil {
			return err
		}
		if v != "" {
			return w.dead(ctx, it, "the customer opted out of texts (STOP)")
		}
	}
	ref, err := r.Send(ctx, outbound(it))
	now := w.svc.now().UTC()
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
func outbound(it OutboxItem) channels.Outbound {
	o := channels.Outbound{ID: it.ID, TicketID: it.TicketID, Kind: channels.Kind(it.Channel), To: it.To,
		Subject: it.Subject, Body: it.Body, Purpose: string(it.Purpose), Attempt: it.Attempts, Headers: it.Headers}
	if it.Purpose != PurposeReply && it.Purpose != PurposeAutoAck {
		o.Subject, o.Body = display.Neutralize(o.Subject), display.Neutralize(o.Body)
	}
	return o
}

// backoff is exponential with full jitter in its upper half.
func (w *Sender) backoff(attempt int) time.Duration {
	d := w.opts.BaseBackoff << min(attempt-1, 20)
	if d <= 0 || d > w.opts.MaxBackoff {
		d = w.opts.MaxBackoff
	}
	return d/2 + rand.N(d/2+1)
}

func (w *Sender) sent(ctx context.Context, it OutboxItem, ref string, now time.Time) error {
	// The provider's id is recorded first, so a delivery status arriving
	// right after the send finds its ticket.
	if ref != "" {
		if err := w.svc.store.SetFlag(ctx, refFlag(ref), it.ID+" "+it.TicketID); err != nil {
			return err
		}
	}
	if err := w.svc.store.FinishOutbox(ctx, it.ID, it.Attempts, OutboxResult{State: OutboxSent, ProviderRef: ref, At: now}); err != nil {
		return fmt.Errorf("record %s sent: %w", it.ID, err)
	}
	w.observe(it, "sent")
	switch it.Purpose {
	case PurposeNotify:
		return nil
	case PurposeReply:
		// The reply is on the timeline since it was queued; record that it left.
		ev := Event{Type: EventDelivery, Actor: "system", Channel: it.Channel, ProviderID: ref,
			Meta: map[string]string{"status": "sent", "outbox": it.ID, "to": it.To}}
		return w.svc.appendOnce(ctx, it.TicketID, "out:"+it.ID, ev)
	}
	ev := Event{Type: EventMessageOut, Actor: "system", Channel: it.Channel, Body: it.Body, ProviderID: ref,
		Meta: map[string]string{"outbox": it.ID, "purpose": string(it.Purpose), "to": it.To}}
	return w.svc.appendOnce(ctx, it.TicketID, "out:"+it.ID, ev)
}

func (w *Sender) retry(ctx context.Context, it OutboxItem, at time.Time, cause error) error {
	w.logger.Info("outbox send failed; will retry", "outbox", it.ID, "ticket", it.TicketID, "attempt", it.Attempts, "retry_at", at, "err", cause)
	w.observe(it, "retry")
	return w.svc.store.FinishOutbox(ctx, it.ID, it.Attempts, OutboxResult{State: OutboxPending, NextAt: at, Error: cause.Error(), At: w.svc.now().UTC()})
}

func (w *Sender) dead(ctx context.Context, it OutboxItem, reason string) error {
	w.logger.Warn("outbox message dead-lettered", "outbox", it.ID, "ticket", it.TicketID, "channel", it.Channel, "reason", reason)
	w.observe(it, "dead")
	if err := w.svc.store.FinishOutbox(ctx, it.ID, it.Attempts, OutboxResult{State: OutboxDead, Error: reason, At: w.svc.now().UTC()}); err != nil {
		return err
	}
	if it.TicketID == "" {
		return nil
	}
	if err := w.svc.reportDeadToSlack(ctx, it, reason); err != nil {
		return err
	}
	ev := Event{Type: EventDelivery, Actor: "system", Channel: it.Channel, Body: reason,
		Meta: map[string]string{"status": "dead", "outbox": it.ID, "purpose": string(it.Purpose), "to": it.To}}
	return w.svc.appendOnce(ctx, it.TicketID, "dead:"+it.ID, ev)
}

func (w *Sender) observe(it OutboxItem, result string) {
	if w.svc.m != nil {
		w.svc.m.outbound(it.Channel, result)
	}
}
