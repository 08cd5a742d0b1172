// Package storetest is the conformance suite every ownership.Store
// implementation must pass. A backend's test calls RunTests with a function
// that returns a fresh, empty store for each subtest.
//
// RunTests registers every test in one list; the tests live in files by
// concern: create.go, update.go, revision.go, reps.go, list.go,
// listscope.go, concurrency.go (tickets); outbox.go (enqueueing),
// outbox_claim.go, outbox_finish.go, outbox_list.go (the outbox);
// flags.go, lease.go, sessions.go (flags, leases, sessions and
// throttles).
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/intakehq/intake/ownership"
	"github.com/stretchr/testify/require"
)

// NewStore returns a fresh, empty store; the suite closes it.
type NewStore func(t *testing.T) ownership.Store

// RunTests runs the whole conformance suite against the stores newStore
// makes. The subtest names are the same for every backend, so their reports
// can be compared line by line.
func RunTests(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		run  func(t *testing.T, s ownership.Store)
	}{
		{"CreateSequentialIDs", testCreateSequentialIDs},
		{"CreateRoundTrip", testCreateRoundTrip},
		{"CreateDedup", testCreateDedup},
		{"CreateRequiresOwner", testCreateRequiresOwner},
		{"CreateCapacity", testCreateCapacity},
		{"NotFound", testNotFound},
		{"UpdateCompareAndSet", testUpdateCompareAndSet},
		{"UpdateRevisionNotVersion", testUpdateRevisionNotVersion},
		{"UpdateOpIDIdempotent", testUpdateOpIDIdempotent},
		{"UpdateDedup", testUpdateDedup},
		{"UpdateRequiresOwner", testUpdateRequiresOwner},
		{"UpdateCapacity", testUpdateCapacity},
		{"RepStatesTrackLoad", testRepStatesTrackLoad},
		{"Availability", testAvailability},
		{"ListFilters", testListFilters},
		{"ListPagination", testListPagination},
		{"ListScope", testListScope},
		{"ListScopePagination", testListScopePagination},
		{"ConcurrentCreateCapacity", testConcurrentCreateCapacity},
		{"ConcurrentCreateDedup", testConcurrentCreateDedup},
		{"ConcurrentUpdateOneWinner", testConcurrentUpdateOneWinner},
		{"OutboxEnqueueWithCreate", testOutboxEnqueueWithCreate},
		{"OutboxEnqueueIdempotent", testOutboxEnqueueIdempotent},
		{"OutboxNotEnqueuedOnConflict", testOutboxNotEnqueuedOnConflict},
		{"OutboxClaimDueOnly", testOutboxClaimDueOnly},
		{"OutboxClaimOrder", testOutboxClaimOrder},
		{"OutboxLeaseExpiry", testOutboxLeaseExpiry},
		{"OutboxFinishSent", testOutboxFinishSent},
		{"OutboxFinishRetry", testOutboxFinishRetry},
		{"OutboxFinishDead", testOutboxFinishDead},
		{"OutboxFinishFence", testOutboxFinishFence},
		{"OutboxList", testOutboxList},
		{"OutboxConcurrentClaim", testOutboxConcurrentClaim},
		{"Flags", testFlags},
		{"OutboxDeadAfterSent", testOutboxDeadAfterSent},
		{"OutboxHeaders", testOutboxHeaders},
		{"LeaseAcquireRenew", testLeaseAcquireRenew},
		{"LeaseExpiry", testLeaseExpiry},
		{"LeaseRelease", testLeaseRelease},
		{"LeaseFencedFlag", testLeaseFencedFlag},
		{"LeaseConcurrentAcquire", testLeaseConcurrentAcquire},
		{"Sessions", testSessions},
		{"Throttle", testThrottle},
		{"ThrottleConcurrent", testThrottleConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			t.Cleanup(func() { _ = s.Close() })
			tc.run(t, s)
		})
	}
}

var t0 = time.Date(2026, 3, 6, 14, 30, 0, 0, time.UTC)

// newTicket returns a valid open ticket owned by owner.
func newTicket(owner string) ownership.Ticket {
	return ownership.Ticket{
		Subject:    "Printer on fire",
		Status:     ownership.StatusOpen,
		Priority:   ownership.PriorityNormal,
		Channel:    "web",
		Owner:      owner,
		Team:       "helpdesk",
		Contact:    ownership.Contact{Name: "Pat Lee", Email: "pat@acme.test", Phone: "+15557770101"},
		Org:        "acme",
		CreatedAt:  t0,
		UpdatedAt:  t0,
		AssignedAt: t0,
	}
}

func created(owner string) []ownership.Event {
	return []ownership.Event{
		{Type: ownership.EventMessageIn, At: t0, Actor: "pat@acme.test", Channel: "web", Body: "It is on fire."},
		{Type: ownership.EventAssigned, At: t0, Actor: "router", To: owner, Reason: "least_loaded: " + owner + " had 0 open"},
	}
}

func mustCreate(t *testing.T, s ownership.Store, req ownership.CreateRequest) ownership.Ticket {
	t.Helper()
	tk, ok, err := s.CreateTicket(context.Background(), req)
	require.NoError(t, err)
	require.True(t, ok, "CreateTicket created = false, want true")
	return tk
}
