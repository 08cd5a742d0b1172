package ownership_test

import (
	"context"
	"testing"
	"time"

	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/ownershiptest"
	"github.com/intakehq/intake/routing"
	"github.com/stretchr/testify/require"
)

func TestSummaryAckOverdue(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := f.create(t, "a@globex.test")
	f.create(t, "b@globex.test")
	_, err := f.svc.Ack(ctx, ownership.Actor{ID: a.Owner}, a.ID, nil)
	require.NoError(t, err)
	f.clock.Add(61 * time.Minute)
	sum, err := f.svc.Summary(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, sum.Open)
	require.Equal(t, 1, sum.AckOverdue)
	require.Equal(t, 0, sum.Unowned)
	require.Equal(t, map[string]int{"dana": 1, "lee": 1}, sum.ByOwner)
	audit, err := f.svc.Audit(ctx)
	require.NoError(t, err)
	require.Len(t, audit.AckOverdue, 1)
	require.Equal(t, "T-2", audit.AckOverdue[0].ID)
}

// TestSLAInBusinessHours: DESIGN's example — a ticket opened Friday 17:55
// with a 1-hour business-hours target is due Monday 08:55 (New York, across
// the DST change of Sunday 2026-03-08).
func TestSLAInBusinessHours(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	shift, err := routing.ParseShift("mon-fri 08:00-18:00")
	require.NoError(t, err)
	f := ownershiptest.New(t)
	router := f.Service.Router()
	c := ownershiptest.NewClock(time.Date(2026, 3, 6, 17, 55, 0, 0, ny))
	svc, err := ownership.NewService(ownership.Options{
		Store: f.Store, Router: router, Now: c.Now,
		Orgs: []ownership.Org{{ID: "acme", Plan: "break_fix", Domains: []string{"acme.test"}}},
		Policy: ownership.Policy{
			Calendar: routing.Calendar{Hours: routing.Hours{Location: ny, Shifts: []routing.Shift{shift}}},
			Plans: map[string]ownership.PlanSLA{"break_fix": {
				BusinessHours: true,
				FirstResponse: map[ownership.Priority]time.Duration{ownership.PriorityNormal: time.Hour},
			}},
		},
	})
	require.NoError(t, err)
	tk, _, err := svc.CreateTicket(context.Background(), ownership.NewTicket{Subject: "printer", Contact: ownership.Contact{Email: "x@acme.test"}})
	require.NoError(t, err)
	require.NotNil(t, tk.FirstResponseDue)
	require.Equal(t, time.Date(2026, 3, 9, 8, 55, 0, 0, ny).UTC(), *tk.FirstResponseDue)
	require.Equal(t, "2026-03-09 08:55 EDT", tk.FirstResponseDue.In(ny).Format("2006-01-02 15:04 MST"))
}
