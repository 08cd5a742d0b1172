package twilio_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/channels/channeltest"
	"github.com/intakehq/intake/channels/twilio"
	"github.com/intakehq/intake/channels/twilio/twiliotest"
	"github.com/intakehq/intake/ownership/sqlitestore"
	"github.com/stretchr/testify/require"
)

const (
	otherCustomer = "+15553334444"
	otherNumber   = "+15550002222" // another of the account's numbers
)

func reconcileChannel(t *testing.T, srv *twiliotest.Server, sink channels.Sink) *twilio.Channel {
	t.Helper()
	cfg := testConfig()
	cfg.APIURL = srv.URL()
	c, err := twilio.New(cfg, sink, nil)
	require.NoError(t, err)
	return c
}

// sid is a Twilio-shaped SID ending in n.
func sid(prefix string, n int) string { return fmt.Sprintf("%s%032x", prefix, n) }

// smsFormFor is the webhook Twilio sends for an inbound text.
func smsFormFor(messageSID, from, body string) url.Values {
	f := smsForm(body)
	for _, k := range []string{"MessageSid", "SmsMessageSid", "SmsSid"} {
		f.Set(k, messageSID)
	}
	f.Set("From", from)
	return f
}

// smsCore is what the webhook and the reconciler must agree on.
type smsCore struct {
	Kind        channels.Kind
	Event       string
	ExternalID  string
	From        channels.Contact
	To          string
	Text        string
	Attachments []channels.Attachment
	DedupKey    string
}

func core(m channels.Message) smsCore {
	return smsCore{Kind: m.Kind, Event: m.Event, ExternalID: m.ExternalID, From: m.From, To: m.To, Text: m.Text,
		Attachments: m.Attachments, DedupKey: m.DedupKey()}
}

func TestReconcileTakesInWhatTheWebhookMissed(t *testing.T) {
	srv := twiliotest.NewServer()
	defer srv.Close()
	sink := channeltest.NewLedgerRecorder()
	c := reconcileChannel(t, srv, sink)
	ctx := context.Background()

	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	delivered, missed, stop := sid("SM", 1), sid("SM", 2), sid("SM", 3)
	srv.AddInbound(delivered, customer, ourNumber, "hello", t0)
	srv.AddInbound(missed, otherCustomer, ourNumber, "  My printer is on fire  ", t0.Add(time.Minute))
	srv.AddInbound(stop, customer, ourNumber, " Stop ", t0.Add(2*time.Minute))
	srv.AddInbound(sid("SM", 4), customer, otherNumber, "to another of our numbers", t0.Add(time.Minute))
	start, help := sid("SM", 5), sid("SM", 6)
	srv.AddInbound(start, otherCustomer, ourNumber, "start", t0.Add(3*time.Minute))
	srv.AddInbound(help, otherCustomer, ourNumber, "HELP", t0.Add(4*time.Minute))
	// Outbound: our reply to the customer, and a text to our number from
	// another of the account's numbers (listed under To=ourNumber, but not
	// inbound).
	_, err := newReplier(t, srv).Send(ctx, reply(customer, "Ticket T-1 is with Dana"))
	require.NoError(t, err)
	other := testConfig()
	other.Number, other.APIURL = otherNumber, srv.URL()
	r2, err := twilio.NewReplier(other, nil)
	require.NoError(t, err)
	_, err = r2.Send(ctx, reply(ourNumber, "internal note"))
	require.NoError(t, err)

	// The webhook delivered the first text before the outage.
	twiml(t, post(t, c.Handler(), "/twilio/sms", smsFormFor(delivered, customer, "hello")))

	since := t0.Add(-time.Minute)
	n, err := c.Reconcile(ctx, since)
	require.NoError(t, err)
	require.Equal(t, 4, n)

	accepted, stored := sink.Accepted(), sink.Stored()
	require.Len(t, accepted, 6, "the webhook's delivery, then the five inbound texts to our number")
	for _, m := range accepted {
		require.Equal(t, ourNumber, m.To)
		require.NotContains(t, []string{"Ticket T-1 is with Dana", "internal note"}, m.Text, "outbound messages are ignored")
	}
	require.Len(t, stored, 5)
	require.Equal(t, []smsCore{
		{Kind: channels.SMS, Event: channels.EventMessage, ExternalID: help, From: channels.Contact{Phone: otherCustomer},
			To: ourNumber, Text: "HELP", DedupKey: "sms:message:" + help},
		{Kind: channels.SMS, Event: channels.EventOptIn, ExternalID: start, From: channels.Contact{Phone: otherCustomer},
			To: ourNumber, Text: "start", DedupKey: "sms:opt_in:" + start},
		{Kind: channels.SMS, Event: channels.EventOptOut, ExternalID: stop, From: channels.Contact{Phone: customer},
			To: ourNumber, Text: " Stop ", DedupKey: "sms:opt_out:" + stop},
		{Kind: channels.SMS, Event: channels.EventMessage, ExternalID: missed, From: channels.Contact{Phone: otherCustomer},
			To: ourNumber, Text: "  My printer is on fire  ", DedupKey: "sms:message:" + missed},
	}, []smsCore{core(stored[1]), core(stored[2]), core(stored[3]), core(stored[4])}, "newest first, as Twilio lists them")
	require.Equal(t, t0.Add(2*time.Minute), stored[3].ReceivedAt, "when Twilio first called the webhook")
	require.Equal(t, map[string]string{
		"message_sid": stop, "account_sid": accountSID, "num_segments": "1", "num_media": "0",
		"sms_status": "received", "source": "reconcile",
	}, stored[3].Meta)
	require.Equal(t, "help", stored[1].Meta[channels.MetaKeyword], "HELP is marked as the webhook marks it")

	// The query twilio-go sent: our number, and since as DateSent>.
	queries := srv.ListQueries()
	require.Len(t, queries, 1)
	require.Equal(t, ourNumber, queries[0].Get("To"))
	require.Equal(t, since.Format(time.RFC3339), queries[0].Get("DateSent>"))

	// The webhook, delivering the same texts late, builds the same messages:
	// the sink recognises both as duplicates.
	for i, m := range stored[1:] {
		twiml(t, post(t, c.Handler(), "/twilio/sms", smsFormFor(m.ExternalID, m.From.Phone, m.Text)))
		hook := sink.Last()
		require.Equal(t, core(m), core(hook), "message %d", i)
		require.Equal(t, m.Meta[channels.MetaKeyword], hook.Meta[channels.MetaKeyword], "message %d", i)
	}
	storedAfter := sink.Stored()
	require.Len(t, storedAfter, 5, "nothing stored twice")

	// A second sweep finds nothing new.
	n, err = c.Reconcile(ctx, since)
	require.NoError(t, err)
	require.Zero(t, n)
}

func TestReconcileSince(t *testing.T) {
	srv := twiliotest.NewServer()
	defer srv.Close()
	sink := channeltest.NewLedgerRecorder()
	c := reconcileChannel(t, srv, sink)

	t0 := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	for i := range 3 {
		srv.AddInbound(sid("SM", i), customer, ourNumber, fmt.Sprint("text ", i), t0.Add(time.Duration(i)*time.Minute))
	}
	// since is inclusive, whatever its time zone.
	since := t0.Add(time.Minute).In(time.FixedZone("UTC+5", 5*3600))
	n, err := c.Reconcile(context.Background(), since)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	stored := sink.Stored()
	require.Equal(t, []string{sid("SM", 2), sid("SM", 1)}, []string{stored[0].ExternalID, stored[1].ExternalID})

	n, err = c.Reconcile(context.Background(), t0.Add(3*time.Minute))
	require.NoError(t, err)
	require.Zero(t, n)
	accepted := sink.Accepted()
	require.Len(t, accepted, 2)
}

func TestReconcilePages(t *testing.T) {
	srv := twiliotest.NewServer()
	defer srv.Close()
	srv.SetMaxPageSize(2)
	sink := channeltest.NewLedgerRecorder()
	c := reconcileChannel(t, srv, sink)
	t0 := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	for i := range 5 {
		srv.AddInbound(sid("SM", i), customer, ourNumber, "hi", t0.Add(time.Duration(i)*time.Second))
	}
	n, err := c.Reconcile(context.Background(), t0)
	require.NoError(t, err)
	require.Equal(t, 5, n)
	require.Len(t, srv.ListQueries(), 3)
}

// TestReconcileCatchesUp: after an outage that left more texts in the
// window than one page holds (Twilio's cap is 1000), the schedule's sweep
// pages through all of them, so each is taken in once and the checkpoint
// advances; the next sweep, from it, finds nothing new.
func TestReconcileCatchesUp(t *testing.T) {
	ctx := context.Background()
	srv := twiliotest.NewServer()
	defer srv.Close()
	sink := channeltest.NewLedgerRecorder()
	c := reconcileChannel(t, srv, sink)
	store, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "intake.db"), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })

	const missed = 1100
	t0 := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	for i := range missed {
		srv.AddInbound(sid("SM", i), customer, ourNumber, fmt.Sprintf("text %d", i), t0.Add(time.Duration(i)*time.Second))
	}
	now := t0.Add(2 * time.Hour)
	var (
		news []int
		errs []error
	)
	reconcile := func(ctx context.Context, since time.Time) (int, error) {
		n, err := c.Reconcile(ctx, since)
		news, errs = append(news, n), append(errs, err)
		return n, err
	}
	s := channels.NewReconcileSchedule(map[string]channels.Reconciler{"twilio": reconcile}, store,
		channels.ReconcileOptions{Now: func() time.Time { return now }})

	s.RunOnce(ctx)
	require.NoError(t, errs[0], "a fully read window is a good sweep")
	require.Equal(t, missed, news[0], "every missed text is new")
	stored := sink.Stored()
	require.Len(t, stored, missed, "every missed text reaches the sink")
	ids := map[string]bool{}
	for _, m := range stored {
		ids[m.ExternalID] = true
	}
	require.Len(t, ids, missed, "each missed text is taken in once")
	require.Len(t, sink.Accepted(), missed, "no text is read twice")
	v, err := store.Flag(ctx, channels.CheckpointKey("twilio"))
	require.NoError(t, err)
	require.Equal(t, now.Format(time.RFC3339Nano), v, "the watermark advances")
	qs := srv.ListQueries()
	require.Len(t, qs, 2, "two pages of at most 1000")
	require.Equal(t, "1000", qs[0].Get("PageSize"))
	require.Equal(t, "1", qs[1].Get("Page"), "the next page is the one next_page_uri names")
	require.NotEmpty(t, qs[1].Get("PageToken"))

	now = now.Add(5 * time.Minute)
	s.RunOnce(ctx)
	require.NoError(t, errs[1])
	require.Zero(t, news[1], "the next sweep finds nothing new")
	require.Len(t, sink.Stored(), missed)
	v, err = store.Flag(ctx, channels.CheckpointKey("twilio"))
	require.NoError(t, err)
	require.Equal(t, now.Format(time.RFC3339Nano), v)
}

func TestReconcileMMS(t *testing.T) {
	srv := twiliotest.NewServer()
	defer srv.Close()
	sink := channeltest.NewLedgerRecorder()
	c := reconcileChannel(t, srv, sink)
	t0 := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)

	mms, receiving := sid("MM", 1), sid("MM", 2)
	srv.AddInbound(mms, customer, ourNumber, "see photo", t0)
	me0 := srv.AddMedia(mms, "image/jpeg")
	me1 := srv.AddMedia(mms, "application/pdf")
	srv.AddInbound(receiving, customer, ourNumber, "more photos", t0.Add(time.Second))
	srv.AddMedia(receiving, "image/png")
	srv.SetStatus(receiving, "receiving")

	n, err := c.Reconcile(context.Background(), t0)
	require.Equal(t, 1, n)
	require.ErrorContains(t, err, receiving, "media still arriving: reported, so the window is swept again")
	stored := sink.Stored()
	require.Len(t, stored, 1)
	got := stored[0]
	require.Equal(t, "2", got.Meta["num_media"])
	base := "https://api.twilio.com/2010-04-01/Accounts/" + accountSID + "/Messages/" + mms + "/Media/"
	require.Equal(t, []channels.Attachment{
		{Name: "media0", ContentType: "image/jpeg", URL: base + me0},
		{Name: "media1", ContentType: "application/pdf", URL: base + me1},
	}, got.Attachments)

	// The webhook for the same MMS builds the same message.
	form := smsFormFor(mms, customer, "see photo")
	form.Set("NumMedia", "2")
	form.Set("MediaUrl0", base+me0)
	form.Set("MediaContentType0", "image/jpeg")
	form.Set("MediaUrl1", base+me1)
	form.Set("MediaContentType1", "application/pdf")
	twiml(t, post(t, c.Handler(), "/twilio/sms", form))
	require.Equal(t, core(got), core(sink.Last()))
	stored = sink.Stored()
	require.Len(t, stored, 1)
}

func TestReconcileSinkErrorDoesNotStopOthers(t *testing.T) {
	srv := twiliotest.NewServer()
	defer srv.Close()
	sink := channeltest.NewLedgerRecorder()
	diskFull := errors.New("disk full")
	sink.FailFor(sid("SM", 1), diskFull)
	c := reconcileChannel(t, srv, sink)
	t0 := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	for i := range 3 {
		srv.AddInbound(sid("SM", i), customer, ourNumber, "hi", t0.Add(time.Duration(i)*time.Second))
	}
	srv.AddInbound("SMnot-a-sid", customer, ourNumber, "hi", t0) // rejected as the webhook would reject it

	n, err := c.Reconcile(context.Background(), t0)
	require.Equal(t, 2, n)
	require.ErrorIs(t, err, diskFull)
	require.ErrorContains(t, err, sid("SM", 1))
	require.ErrorContains(t, err, "invalid MessageSid")
	stored := sink.Stored()
	require.Equal(t, []string{sid("SM", 2), sid("SM", 0)}, []string{stored[0].ExternalID, stored[1].ExternalID})
}

func TestReconcileRESTErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(*twiliotest.Server)
	}{
		{name: "500", setup: func(s *twiliotest.Server) { s.FailNext(1, 500, 20500, "") }},
		{name: "429", setup: func(s *twiliotest.Server) { s.FailNext(1, 429, 20429, "3") }},
		{name: "wrong credentials", setup: func(s *twiliotest.Server) {
			s.SetCredentials(accountSID, "ffffffffffffffffffffffffffffffff")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := twiliotest.NewServer()
			defer srv.Close()
			srv.AddInbound(sid("SM", 1), customer, ourNumber, "hi", time.Now())
			tc.setup(srv)
			sink := channeltest.NewLedgerRecorder()
			c := reconcileChannel(t, srv, sink)
			n, err := c.Reconcile(context.Background(), time.Now().Add(-time.Hour))
			require.Error(t, err)
			require.ErrorContains(t, err, "list messages")
			require.NotContains(t, err.Error(), authToken)
			require.Zero(t, n)
			accepted := sink.Accepted()
			require.Empty(t, accepted)
		})
	}
}

func TestReconcileRespectsContext(t *testing.T) {
	srv := twiliotest.NewServer()
	defer srv.Close()
	srv.AddInbound(sid("SM", 1), customer, ourNumber, "hi", time.Now())
	sink := channeltest.NewLedgerRecorder()
	c := reconcileChannel(t, srv, sink)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n, err := c.Reconcile(ctx, time.Now().Add(-time.Hour))
	require.ErrorIs(t, err, context.Canceled)
	require.Zero(t, n)
	require.Empty(t, srv.ListQueries())

	cfg := hangingAPI(t)
	c, err = twilio.New(cfg, sink, nil)
	require.NoError(t, err)
	ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.Reconcile(ctx, time.Now().Add(-time.Hour))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 5*time.Second, "bounded by ctx, not only by the 10 s client timeout")
}
