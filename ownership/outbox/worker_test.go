package outbox

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/ownershiptest"
)

// recorder is a channels.Replier that records what it was asked to send
// and answers with the next queued result (success with "SM<n>" when none).
type recorder struct {
	mu      sync.Mutex
	sent    []channels.Outbound
	results []error
}

func (r *recorder) Send(_ context.Context, o channels.Outbound) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, o)
	if len(r.results) > 0 {
		err := r.results[0]
		r.results = r.results[1:]
		if err != nil {
			return "", err
		}
	}
	return "SM" + o.ID, nil
}

func (r *recorder) got() []channels.Outbound {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]channels.Outbound(nil), r.sent...)
}

// bench is a worker over a real SQLite ledger with one ticket, sending SMS
// and email through recorders; Slack is on, so dead letters reach the
// ticket's thread.
type bench struct {
	fx     *ownershiptest.Fixture
	reg    *prometheus.Registry
	sms    *recorder
	email  *recorder
	w      *Worker
	ticket string
}

func newBench(t *testing.T, opts Options) *bench {
	t.Helper()
	b := &bench{sms: &recorder{}, email: &recorder{}, reg: prometheus.NewRegistry()}
	b.fx = ownershiptest.NewWithOptions(t, func(o *ownership.Options) {
		o.Metrics = ownership.NewMetrics(b.reg)
		o.Outbound = map[channels.Kind]bool{channels.SMS: true, channels.Email: true, channels.Slack: true}
	})
	tk, _, err := b.fx.Service.CreateTicket(context.Background(), ownership.NewTicket{Subject: "printer", Body: "jammed", Channel: "sms",
		Contact: ownership.Contact{Name: "Pat", Phone: "+15557770101"}, DedupKey: "t1"})
	require.NoError(t, err)
	b.ticket = tk.ID
	// Creating the ticket queued its own notices; they are not this test's.
	_, err = b.fx.Store.ClaimOutbox(context.Background(), b.fx.Clock.Now().Add(time.Hour), 24*time.Hour, 100)
	require.NoError(t, err)
	b.w = New(b.fx.Store, b.fx.Service, map[channels.Kind]channels.Replier{channels.SMS: b.sms, channels.Email: b.email}, opts)
	return b
}

// queue stores one pending item on the bench's ticket, due now.
func (b *bench) queue(t *testing.T, it ownership.OutboxItem) ownership.OutboxItem {
	t.Helper()
	now := b.fx.Clock.Now()
	if it.TicketID == "" {
		it.TicketID = b.ticket
	}
	if it.To == "" {
		it.To = "+15557770101"
	}
	it.NextAt, it.CreatedAt, it.UpdatedAt = now, now, now
	require.NoError(t, b.fx.Store.Enqueue(context.Background(), it))
	return it
}

func (b *bench) item(t *testing.T, id string) ownership.OutboxItem {
	t.Helper()
	it, err := b.fx.Store.OutboxItem(context.Background(), id)
	require.NoError(t, err)
	return it
}

// lastEvent is the newest event on the bench's ticket.
func (b *bench) lastEvent(t *testing.T) ownership.Event {
	t.Helper()
	evs, err := b.fx.Service.Events(context.Background(), b.ticket)
	require.NoError(t, err)
	require.NotEmpty(t, evs)
	return evs[len(evs)-1]
}

// count is intake_outbox_sends_total{channel, result}, as scraped.
func (b *bench) count(t *testing.T, channel, result string) float64 {
	t.Helper()
	mfs, err := b.reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != "intake_outbox_sends_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["channel"] == channel && labels["result"] == result {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// What a sent item leaves depends on its purpose: text to staff is shown
// with markers, text to a customer as written; a reply gets a delivery
// record (it is on the timeline since it was queued), an auto-ack or an
// alert the message itself, a rep's notice nothing.
func TestWorkerSends(t *testing.T) {
	t.Parallel()
	const hostile = "pay \u202egnp.exe"
	cases := []struct {
		purpose  ownership.Purpose
		wantBody string
		event    ownership.EventType // the newest event's type afterwards ("" = nothing new)
	}{
		{ownership.PurposeReply, hostile, ownership.EventDelivery},
		{ownership.PurposeAutoAck, hostile, ownership.EventMessageOut},
		{ownership.PurposeAlert, "pay ⟨U+202E⟩gnp.exe", ownership.EventMessageOut},
		{ownership.PurposeNotify, "pay ⟨U+202E⟩gnp.exe", ""},
	}
	for _, tc := range cases {
		t.Run(string(tc.purpose), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			b := newBench(t, Options{})
			before := b.lastEvent(t)
			b.queue(t, ownership.OutboxItem{ID: "o1", Channel: "email", To: "pat@example.test", Subject: hostile, Body: hostile, Purpose: tc.purpose})

			n, err := b.w.RunOnce(ctx)
			require.NoError(t, err)
			require.Equal(t, 1, n)
			got := b.email.got()
			require.Len(t, got, 1)
			require.Equal(t, tc.wantBody, got[0].Body)
			require.Equal(t, tc.wantBody, got[0].Subject)
			require.Equal(t, "o1", got[0].ID)
			require.Equal(t, 1, got[0].Attempt)

			it := b.item(t, "o1")
			require.Equal(t, ownership.OutboxSent, it.State)
			require.Equal(t, "SMo1", it.ProviderRef)
			require.Equal(t, hostile, it.Body, "the outbox keeps the text as queued")
			require.Equal(t, 1.0, b.count(t, "email", "sent"))

			last := b.lastEvent(t)
			if tc.event == "" {
				require.Equal(t, before.Seq, last.Seq, "a rep's notice is not on the customer's timeline")
				return
			}
			require.Equal(t, tc.event, last.Type)
			require.Equal(t, "o1", last.Meta["outbox"])
			require.Equal(t, "SMo1", last.ProviderID)
		})
	}
}

// The provider's id is recorded before the item is marked sent, so its
// delivery status finds the ticket.
func TestWorkerRecordsRef(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newBench(t, Options{})
	b.queue(t, ownership.OutboxItem{ID: "r1", Channel: "sms", Body: "on it", Purpose: ownership.PurposeReply})
	_, err := b.w.RunOnce(ctx)
	require.NoError(t, err)

	ref, err := b.fx.Service.Accept(ctx, channels.Message{Kind: channels.SMS, Event: channels.EventStatus, ExternalID: "SMr1:delivered",
		Meta: map[string]string{"message_sid": "SMr1", "status": "delivered"}})
	require.NoError(t, err)
	require.Equal(t, b.ticket, ref.ID)
	last := b.lastEvent(t)
	require.Equal(t, "delivered", last.Meta["status"])
	require.Equal(t, "r1", last.Meta["outbox"])
}

// A failed attempt is retried: after Retry-After when the provider says
// (at least a second), else after a jittered backoff; by age, a message
// still failing after MaxAge is dead.
func TestWorkerRetries(t *testing.T) {
	t.Parallel()
	transient := errors.New("503 from provider")
	cases := []struct {
		name         string
		err          error
		age          time.Duration // how long ago the item was queued
		minAt, maxAt time.Duration // NextAt - now, for a retry
		dead         string        // substring of the dead letter's reason
	}{
		{name: "retry after", err: &channels.RetryAfterError{After: 90 * time.Second, Err: transient}, minAt: 90 * time.Second, maxAt: 90 * time.Second},
		{name: "retry after at least a second", err: &channels.RetryAfterError{After: 0, Err: transient}, minAt: time.Second, maxAt: time.Second},
		{name: "backoff", err: transient, minAt: 5 * time.Second, maxAt: 10 * time.Second},
		{name: "too old", err: transient, age: 25 * time.Hour, dead: "still failing 25h0m0s after it was queued (1 attempts): 503 from provider"},
		{name: "permanent", err: channels.Permanent(errors.New("21610 unsubscribed")), dead: "21610 unsubscribed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			b := newBench(t, Options{BaseBackoff: 10 * time.Second})
			b.queue(t, ownership.OutboxItem{ID: "x1", Channel: "sms", Body: "on it", Purpose: ownership.PurposeReply})
			b.fx.Clock.Add(tc.age)
			b.sms.results = []error{tc.err}

			_, err := b.w.RunOnce(ctx)
			require.NoError(t, err)
			it := b.item(t, "x1")
			if tc.dead != "" {
				require.Equal(t, ownership.OutboxDead, it.State)
				require.Contains(t, it.LastError, tc.dead)
				require.Equal(t, 1.0, b.count(t, "sms", "dead"))
				last := b.lastEvent(t)
				require.Equal(t, ownership.EventDelivery, last.Type)
				require.Equal(t, "dead", last.Meta["status"])
				require.Contains(t, last.Body, tc.dead)
				return
			}
			require.Equal(t, ownership.OutboxPending, it.State)
			require.Contains(t, it.LastError, "503 from provider")
			wait := it.NextAt.Sub(b.fx.Clock.Now())
			require.GreaterOrEqual(t, wait, tc.minAt)
			require.LessOrEqual(t, wait, tc.maxAt)
			require.Equal(t, 1.0, b.count(t, "sms", "retry"))
		})
	}
}

// What cannot be sent is dead-lettered without an attempt: a text to a
// number that opted out (a rep's notice still goes), a channel that is not
// configured. A dead letter on a ticket is reported to its Slack thread.
func TestWorkerRefuses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		item    ownership.OutboxItem
		optOut  bool
		dead    string // the dead letter's reason; "" = sent
		toSlack bool   // the ticket's thread hears of it
	}{
		{name: "opted out", optOut: true, item: ownership.OutboxItem{Channel: "sms", Purpose: ownership.PurposeReply},
			dead: "the customer opted out of texts (STOP)", toSlack: true},
		{name: "opted out, auto-ack", optOut: true, item: ownership.OutboxItem{Channel: "sms", Purpose: ownership.PurposeAutoAck},
			dead: "the customer opted out of texts (STOP)", toSlack: true},
		{name: "opted out, rep notice", optOut: true, item: ownership.OutboxItem{Channel: "sms", Purpose: ownership.PurposeNotify}},
		{name: "opted in", item: ownership.OutboxItem{Channel: "sms", Purpose: ownership.PurposeReply}},
		{name: "no such channel", item: ownership.OutboxItem{Channel: "fax", Purpose: ownership.PurposeReply},
			dead: "channel fax is not configured", toSlack: true},
		{name: "no such channel, rep notice", item: ownership.OutboxItem{Channel: "fax", Purpose: ownership.PurposeNotify},
			dead: "channel fax is not configured"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			b := newBench(t, Options{})
			if tc.optOut {
				_, err := b.fx.Service.Accept(ctx, channels.Message{Kind: channels.SMS, Event: channels.EventOptOut, ExternalID: "SMstop",
					From: channels.Contact{Phone: "+15557770101"}, Text: "STOP"})
				require.NoError(t, err)
			}
			tc.item.ID, tc.item.Body = "d1", "on it"
			b.queue(t, tc.item)

			_, err := b.w.RunOnce(ctx)
			require.NoError(t, err)
			it := b.item(t, "d1")
			if tc.dead == "" {
				require.Equal(t, ownership.OutboxSent, it.State)
				require.Len(t, b.sms.got(), 1)
				return
			}
			require.Equal(t, ownership.OutboxDead, it.State)
			require.Equal(t, tc.dead, it.LastError)
			require.Empty(t, b.sms.got(), "nothing is attempted")
			require.Equal(t, 1.0, b.count(t, tc.item.Channel, "dead"))
			last := b.lastEvent(t)
			require.Equal(t, "dead", last.Meta["status"])
			require.Equal(t, tc.dead, last.Body)

			report, err := b.fx.Store.OutboxItem(ctx, "slack:mirror:dead:d1")
			if !tc.toSlack {
				require.ErrorIs(t, err, ownership.ErrNotFound)
				return
			}
			require.NoError(t, err)
			require.Contains(t, report.Body, tc.dead)
			require.Equal(t, b.ticket, report.TicketID)
		})
	}
}

// An item whose claim would run out before a send could finish is left
// for a later claim: two sends of one item must never overlap.
func TestWorkerLeavesShortClaims(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newBench(t, Options{Lease: 10 * time.Second, SendTimeout: 20 * time.Second})
	b.queue(t, ownership.OutboxItem{ID: "s1", Channel: "sms", Body: "on it", Purpose: ownership.PurposeReply})

	n, err := b.w.RunOnce(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Empty(t, b.sms.got())
	require.Equal(t, ownership.OutboxSending, b.item(t, "s1").State)
}

// An item on no ticket is finished like any other and records nothing.
func TestWorkerWithoutTicket(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newBench(t, Options{})
	before := b.lastEvent(t)
	require.NoError(t, b.fx.Store.Enqueue(ctx, ownership.OutboxItem{ID: "n1", Channel: "fax", To: "x", Body: "hi",
		Purpose: ownership.PurposeAlert, NextAt: b.fx.Clock.Now()}))

	_, err := b.w.RunOnce(ctx)
	require.NoError(t, err)
	require.Equal(t, ownership.OutboxDead, b.item(t, "n1").State)
	require.Equal(t, before.Seq, b.lastEvent(t).Seq)
}
