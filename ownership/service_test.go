package ownership_test

import (
	"context"
	"testing"

	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/ownershiptest"
	"github.com/stretchr/testify/require"
)

var (
	maria = ownershiptest.Maria
	dana  = ownershiptest.Dana
	lee   = ownershiptest.Lee
	kim   = ownershiptest.Kim
)

type fixture struct {
	svc   *ownership.Service
	store ownership.Store
	clock *ownershiptest.Clock
}

func newFixture(t *testing.T) *fixture {
	f := ownershiptest.New(t)
	return &fixture{svc: f.Service, store: f.Store, clock: f.Clock}
}

func (f *fixture) create(t *testing.T, email string) ownership.Ticket {
	t.Helper()
	tk, created, err := f.svc.CreateTicket(context.Background(), ownership.NewTicket{Subject: "help", Body: "it broke", Contact: ownership.Contact{Email: email}})
	require.NoError(t, err)
	require.True(t, created)
	return tk
}

func (f *fixture) events(t *testing.T, id string) []ownership.Event {
	t.Helper()
	evs, err := f.store.Events(context.Background(), id)
	require.NoError(t, err)
	return evs
}

func ptr[T any](v T) *T { return &v }
