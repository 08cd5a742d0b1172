package ownership_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/ownershiptest"
	"github.com/intakehq/intake/routing"
	"github.com/stretchr/testify/require"
)

func urgentTicket(t *testing.T, f *ownershiptest.Fixture) ownership.Ticket {
	t.Helper()
	tk, _, err := f.Service.CreateTicket(context.Background(), ownership.NewTicket{Subject: "Server room flooding", Body: "Water on the floor",
		Channel: "web", Contact: ownership.Contact{Email: "pat@acme.test"}, Priority: ownership.PriorityUrgent})
	require.NoError(t, err)
	return tk
}

// alertsTo returns the outbox items with purpose alert to phone.
func alertsTo(t *testing.T, f *ownershiptest.Fixture, phone string) []ownership.OutboxItem {
	t.Helper()
	var out []ownership.OutboxItem
	for _, it := range outbox(t, f) {
		if it.Purpose == "alert" && it.To == phone {
			out = append(out, it)
		}
	}
	return out
}

// Must-show: an urgent ticket not acknowledged within 15 minutes goes to
// the next rep, then the next, then the fallback, each step an escalated
// event with a notification to the new owner and one alert to the
// manager; with the fallback it stays, and the manager is reminded every
// 30 minutes, once.
func TestEscalationInSimulatedTime(t *testing.T) {
	f := smsFixture(t)
	ctx := context.Background()
	tk := urgentTicket(t, f)
	chain := []string{tk.Owner}
	n, err := f.Service.Escalate(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "not due yet")

	for step := 1; step <= 3; step++ {
		f.Clock.Add(14 * time.Minute)
		n, err = f.Service.Escalate(ctx)
		require.NoError(t, err)
		require.Zero(t, n, "14 minutes is within the 15-minute timeout")
		f.Clock.Add(2 * time.Minute)
		n, err = f.Service.Escalate(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n, "step %d", step)
		cur := ticket(t, f, tk.ID)
		require.NotContains(t, chain, cur.Owner, "never back to someone it escalated away from")
		last := events(t, f, tk.ID)[len(events(t, f, tk.ID))-1]
		require.Equal(t, ownership.EventEscalated, last.Type)
		require.Equal(t, chain[len(chain)-1], last.From)
		require.Equal(t, cur.Owner, last.To)
		require.Contains(t, last.Reason, "did not acknowledge within 15m0s (urgent priority)")
		chain = append(chain, cur.Owner)
		require.Len(t, alertsTo(t, f, "+15551230001"), step, "one manager alert per step")
		n, err = f.Service.Escalate(ctx)
		require.NoError(t, err)
		require.Zero(t, n, "the new owner's clock starts now")
	}
	require.Equal(t, "maria", chain[3], "the fallback comes last")
	require.ElementsMatch(t, []string{"dana", "lee", "kim"}, chain[:3])
	var notified []string
	for _, it := range outbox(t, f) {
		if it.Purpose == "notify" && strings.HasPrefix(it.ID, "notify:esc:") {
			notified = append(notified, it.To)
		}
	}
	require.Len(t, notified, 3, "each new owner is told")

	// Stuck with the fallback: reminders, at most one per 30 minutes.
	f.Clock.Add(16 * time.Minute)
	n, err = f.Service.Escalate(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
	require.Len(t, alertsTo(t, f, "+15551230001"), 4)
	_, err = f.Service.Escalate(ctx)
	require.NoError(t, err)
	require.Len(t, alertsTo(t, f, "+15551230001"), 4, "deduplicated")

	// Acking stops it.
	_, err = f.Service.Ack(ctx, ownershiptest.Maria, tk.ID, nil)
	require.NoError(t, err)
	f.Clock.Add(time.Hour)
	n, err = f.Service.Escalate(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
	require.Len(t, alertsTo(t, f, "+15551230001"), 4)
}

func TestAckInTimeStopsEscalation(t *testing.T) {
	f := smsFixture(t)
	ctx := context.Background()
	tk := urgentTicket(t, f)
	f.Clock.Add(10 * time.Minute)
	_, err := f.Service.Ack(ctx, ownership.Actor{ID: tk.Owner, Role: routing.RoleTech}, tk.ID, nil)
	require.NoError(t, err)
	f.Clock.Add(time.Hour)
	n, err := f.Service.Escalate(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
	require.Equal(t, tk.Owner, ticket(t, f, tk.ID).Owner)
	require.Empty(t, alertsTo(t, f, "+15551230001"))
}

// Must-show: a rep set away with 5 open tickets hands all 5 on by the
// rules, and at no instant is any ticket without an owner.
func TestAwayHandsTicketsOnNeverUnowned(t *testing.T) {
	f := smsFixture(t)
	ctx := context.Background()
	var ids []string
	for i := 0; i < 5; i++ {
		tk := urgentTicket(t, f)
		if tk.Owner != "dana" {
			_, err := f.Service.Assign(ctx, ownershiptest.Maria, tk.ID, "dana", "", nil)
			require.NoError(t, err)
		}
		ids = append(ids, tk.ID)
	}
	var polls, bad atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			sum, err := f.Service.Summary(ctx)
			if err != nil || sum.Unowned != 0 {
				bad.Add(1)
			}
			polls.Add(1)
		}
	}()
	_, err := f.Service.SetAvailability(ctx, ownershiptest.Dana, "dana", routing.Away)
	close(stop)
	wg.Wait()
	require.NoError(t, err)
	require.Zero(t, bad.Load(), "summary never saw an unowned ticket (%d polls)", polls.Load())
	for _, id := range ids {
		tk := ticket(t, f, id)
		require.NotEqual(t, "dana", tk.Owner)
		evs := events(t, f, id)
		last := evs[len(evs)-1]
		require.Equal(t, ownership.EventAssigned, last.Type)
		require.Equal(t, "dana", last.From)
		require.True(t, strings.HasPrefix(last.Reason, "dana is away; "), last.Reason)
	}
}

// Must-show: SLA clocks count business hours in the calendar's zone: a
// ticket opened Friday 17:55 with a 1-hour business-hours target is due
// Monday 08:55.
func TestSLAClockInBusinessHours(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	shift, err := routing.ParseShift("mon-fri 08:00-18:00")
	require.NoError(t, err)
	f := ownershiptest.NewWithOptions(t, func(o *ownership.Options) {
		o.Policy.Plans = map[string]ownership.PlanSLA{"managed": {BusinessHours: true,
			FirstResponse: map[ownership.Priority]time.Duration{ownership.PriorityNormal: time.Hour}}}
		o.Policy.Calendar = routing.Calendar{Hours: routing.Hours{Location: ny, Shifts: []routing.Shift{shift}}}
		o.Outbound = map[channels.Kind]bool{}
	})
	f.Clock.Set(time.Date(2026, 3, 6, 17, 55, 0, 0, ny)) // a Friday
	tk, _, err := f.Service.CreateTicket(context.Background(), ownership.NewTicket{Subject: "Printer", Channel: "web",
		Contact: ownership.Contact{Email: "pat@acme.test"}})
	require.NoError(t, err)
	require.NotNil(t, tk.FirstResponseDue)
	require.Equal(t, time.Date(2026, 3, 9, 8, 55, 0, 0, ny), tk.FirstResponseDue.In(ny))
}

// With an alert channel, every manager alert also goes there.
func TestEscalationAlertsTheAlertChannel(t *testing.T) {
	f := ownershiptest.NewWithOptions(t, func(o *ownership.Options) {
		o.Outbound = map[channels.Kind]bool{channels.SMS: true, channels.Slack: true}
		o.Policy.AlertTo = ownership.Destination{Kind: channels.Slack, To: "C0ALERTS"}
	})
	ctx := context.Background()
	tk := urgentTicket(t, f)
	f.Clock.Add(16 * time.Minute)
	n, err := f.Service.Escalate(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	var toChannel []ownership.OutboxItem
	for _, it := range outbox(t, f) {
		if it.Purpose == "alert" && it.To == "C0ALERTS" {
			toChannel = append(toChannel, it)
		}
	}
	require.Len(t, toChannel, 1)
	require.Equal(t, "slack", toChannel[0].Channel)
	require.Contains(t, toChannel[0].Body, "Escalation 1 on "+tk.ID)
}

// A breached SLA alerts managers, again every 30 minutes while it lasts.
func TestBreachedSLAReAlerts(t *testing.T) {
	f := smsFixture(t)
	ctx := context.Background()
	tk, _, err := f.Service.CreateTicket(ctx, ownership.NewTicket{Subject: "Backup failed", Channel: "web",
		Contact: ownership.Contact{Email: "pat@acme.test"}})
	require.NoError(t, err)
	require.NotNil(t, tk.FirstResponseDue, "acme is on the managed plan: 4h first response")
	_, err = f.Service.Ack(ctx, ownership.Actor{ID: tk.Owner, Role: routing.RoleTech}, tk.ID, nil)
	require.NoError(t, err)
	breachAlerts := func() int {
		n := 0
		for _, it := range alertsTo(t, f, "+15551230001") {
			if strings.Contains(it.Body, "SLA breached on "+tk.ID) {
				n++
			}
		}
		return n
	}
	f.Clock.Add(3 * time.Hour)
	_, err = f.Service.Escalate(ctx)
	require.NoError(t, err)
	require.Zero(t, breachAlerts())
	f.Clock.Add(61 * time.Minute)
	_, err = f.Service.Escalate(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, breachAlerts())
	_, err = f.Service.Escalate(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, breachAlerts(), "deduplicated within the half hour")
	f.Clock.Add(31 * time.Minute)
	_, err = f.Service.Escalate(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, breachAlerts(), "re-sent while it lasts")
}
