package ownership_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/ownershiptest"
	"github.com/stretchr/testify/require"
)

// TestWritesRaceAcrossReplicas: two Services over one store (two
// replicas, so no ticket lock in common) take the same customer's texts,
// each delivered to both at once, and their STARTs, and assign the ticket,
// all at the same time. Every write lands exactly once: a conflict is
// re-read and re-applied, never lost, and a delivery both replicas take
// is recorded once.
func TestWritesRaceAcrossReplicas(t *testing.T) {
	a := smsFixture(t)
	b := ownershiptest.NewWithOptions(t, func(o *ownership.Options) {
		o.Store = a.Store
		o.Outbound = map[channels.Kind]bool{channels.SMS: true}
	})
	replicas := []*ownership.Service{a.Service, b.Service}
	ctx := context.Background()
	const phone, n = "+15557770101", 12
	first, err := a.Service.Accept(ctx, sms("SM-first", phone, "printer down"))
	require.NoError(t, err)

	var wg sync.WaitGroup
	run := func(name string, fn func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}()
	}
	owners := []string{"dana", "lee", "kim"}
	for i := 0; i < n; i++ {
		text := sms(fmt.Sprintf("SM-text-%d", i), phone, fmt.Sprintf("still down (%d)", i))
		start := withEvent(sms(fmt.Sprintf("SM-start-%d", i), phone, "START"), channels.EventOptIn)
		for _, r := range replicas {
			run("join", func() error { _, err := r.Accept(ctx, text); return err })
			run("append", func() error { _, err := r.Accept(ctx, start); return err })
		}
		r := replicas[i%2]
		run("assign", func() error {
			_, err := r.Assign(ctx, ownershiptest.Maria, first.ID, owners[i%len(owners)], "round", nil)
			return err
		})
	}
	wg.Wait()

	evs, err := a.Store.Events(ctx, first.ID)
	require.NoError(t, err)
	byProvider := map[string]int{}
	assigned := 0
	for _, ev := range evs {
		if ev.ProviderID != "" {
			byProvider[ev.ProviderID]++
		}
		if ev.Type == ownership.EventAssigned && ev.Actor == "maria" {
			assigned++
		}
	}
	for i := 0; i < n; i++ {
		require.Equal(t, 1, byProvider[fmt.Sprintf("SM-text-%d", i)], "text %d recorded once", i)
		require.Equal(t, 1, byProvider[fmt.Sprintf("SM-start-%d", i)], "START %d recorded once", i)
	}
	require.Equal(t, n, assigned, "every assign recorded")
	cur, err := a.Store.Ticket(ctx, first.ID)
	require.NoError(t, err)
	require.Equal(t, int64(1+3*n), cur.Rev, "one write per text, per START and per assign")
}
