package dashboard_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/ownershiptest"
	"github.com/stretchr/testify/require"
)

// Customer text that must never run: the subject and body of a mail.
const (
	xssSubject = `Printer <script>window.__xss=2</script> broken`
	xssBody    = "Hi,\n<script>window.__xss=3</script>\n<img src=x onerror=\"window.__xss=1\">\nthe printer is broken again."
	xssName    = `"><b>Mallory</b>`
)

// seeded names the tickets seed made.
type seeded struct {
	XSS   string // the mail whose subject and body hold markup
	Dana  string // an open ticket owned by dana
	Dead  string // the outbox item that failed for good
	Total int
}

// seed fills the ledger as two weeks of a small helpdesk would: tickets by
// every channel over the last 13 days (most of them closed), a few open
// ones past their ack and SLA clocks, a hostile mail, and a dead letter.
// It leaves the clock 90 minutes after ownershiptest.Start.
func seed(t *testing.T, f *ownershiptest.Fixture) seeded { return seedDays(t, f, 13) }

// seedDays is seed with days of history before today (0: today's tickets only).
func seedDays(t *testing.T, f *ownershiptest.Fixture, days int) seeded {
	t.Helper()
	ctx := context.Background()
	var s seeded
	channels := []string{"email", "sms", "voice", "web", "slack", "email", "sms"}
	body := map[string]string{xssSubject: xssBody}
	open := func(ch string, n int, c ownership.Contact, subject string, p ownership.Priority) ownership.Ticket {
		tk, created, err := f.Service.CreateTicket(ctx, ownership.NewTicket{Subject: subject, Body: or(body[subject], "Details of "+subject),
			Channel: ch, Contact: c, Priority: p, DedupKey: fmt.Sprintf("seed-%d", n)})
		require.NoError(t, err)
		require.True(t, created)
		s.Total++
		return tk
	}
	f.Clock.Add(-time.Duration(days) * 24 * time.Hour)
	n := 0
	for day := range days {
		for i := range 1 + (day*5)%4 {
			n++
			ch := channels[(day+i)%len(channels)]
			c := ownership.Contact{Name: fmt.Sprintf("Customer %d", n), Email: fmt.Sprintf("c%d@acme.test", n)}
			if ch == "sms" || ch == "voice" {
				c = ownership.Contact{Name: fmt.Sprintf("Caller %d", n), Phone: fmt.Sprintf("+1555010%04d", n)}
			}
			tk := open(ch, n, c, fmt.Sprintf("Issue %d: %s", n, []string{"VPN down", "Password reset", "New laptop", "Email bounce", "Printer jam"}[n%5]), ownership.PriorityNormal)
			if day < days-1 || i > 0 {
				_, err := f.Service.SetStatus(ctx, ownershiptest.Maria, tk.ID, ownership.StatusClosed, "done", nil)
				require.NoError(t, err)
			}
		}
		f.Clock.Add(24 * time.Hour)
	}
	f.Clock.Add(ownershiptest.Start.Sub(f.Clock.Now()))

	xss := open("email", 1001, ownership.Contact{Name: xssName, Email: "mallory@evil.test"}, xssSubject, ownership.PriorityNormal)
	s.XSS = xss.ID
	_, _, err := f.Service.CreateTicket(ctx, ownership.NewTicket{Subject: "Server room too hot", Body: "Alarm going off",
		Channel: "voice", Contact: ownership.Contact{Name: "Ops", Phone: "+15550109999"}, Priority: ownership.PriorityUrgent})
	require.NoError(t, err)
	s.Total++
	for i := range 3 {
		tk := open("sms", 2000+i, ownership.Contact{Name: fmt.Sprintf("Texter %d", i), Phone: fmt.Sprintf("+1555020%04d", i)}, "Wifi slow", ownership.PriorityNormal)
		if tk.Owner == "dana" && s.Dana == "" {
			s.Dana = tk.ID
		}
	}
	require.NotEmpty(t, s.Dana, "least_loaded gave dana one of the three")
	_, err = f.Service.Note(ctx, ownershiptest.Dana, s.Dana, "Asked the customer to restart the router.", "", nil)
	require.NoError(t, err)
	_, err = f.Service.Ack(ctx, ownershiptest.Dana, s.Dana, nil)
	require.NoError(t, err)

	// A reply that bounced for good.
	now := f.Clock.Now()
	s.Dead = "reply:" + s.XSS + ":seed"
	require.NoError(t, f.Store.Enqueue(ctx, ownership.OutboxItem{ID: s.Dead, TicketID: s.XSS, Channel: "email", To: "mallory@evil.test",
		Subject: "Re: " + xssSubject, Body: "We are on it <b>today</b>.", Purpose: "reply", NextAt: now, CreatedAt: now, UpdatedAt: now}))
	items, err := f.Store.ClaimOutbox(ctx, now, time.Minute, 10)
	require.NoError(t, err)
	require.Len(t, items, 1)
	require.NoError(t, f.Store.FinishOutbox(ctx, s.Dead, items[0].Attempts, ownership.OutboxResult{State: ownership.OutboxDead,
		Error: "550 5.1.1 <mallory@evil.test>: mailbox unavailable", At: now}))

	f.Clock.Add(90 * time.Minute) // unacknowledged normal tickets are now past their 1h ack clock
	return s
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
