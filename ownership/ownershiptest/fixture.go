// Package ownershiptest builds a Service over a real SQLite store with a
// small roster and a settable clock, for tests of the ledger and of what is
// built on it.
package ownershiptest

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/sqlitestore"
	"github.com/intakehq/intake/routing"
)

// Clock is a settable time source.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock set to t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Add moves the clock forward by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Start is the fixture clock's initial time: a Friday afternoon, UTC.
var Start = time.Date(2026, 3, 6, 14, 0, 0, 0, time.UTC)

// Actors of the fixture roster.
var (
	Maria = ownership.Actor{ID: "maria", Role: routing.RoleManager}
	Dana  = ownership.Actor{ID: "dana", Role: routing.RoleTech}
	Lee   = ownership.Actor{ID: "lee", Role: routing.RoleTech}
	Kim   = ownership.Actor{ID: "kim", Role: routing.RoleTech}
)

// Fixture is a Service, its store and its clock.
type Fixture struct {
	Service *ownership.Service
	Store   ownership.Store
	Clock   *Clock
}

// Roster is the fixture's routing config: dana, lee and kim (techs,
// capacity 3, always on shift) in team helpdesk; maria, manager and
// fallback.
func Roster() routing.Config {
	return routing.Config{
		Reps: []routing.Rep{
			{ID: "dana", Name: "Dana", Role: routing.RoleTech, Capacity: 3},
			{ID: "lee", Name: "Lee", Role: routing.RoleTech, Capacity: 3},
			{ID: "kim", Name: "Kim", Role: routing.RoleTech, Capacity: 3},
			{ID: "maria", Name: "Maria", Role: routing.RoleManager},
		},
		Teams: []routing.Team{{ID: "helpdesk", Members: []string{"dana", "lee", "kim"}, Strategy: routing.LeastLoaded, Fallback: "maria"}},
	}
}

// Policy is the fixture's timing: normal tickets must be acked in an hour,
// urgent ones in 15 minutes; managed orgs get a 4h first response and 24h
// resolution on normal tickets.
func Policy() ownership.Policy {
	return ownership.Policy{
		AckTimeout:    map[ownership.Priority]time.Duration{ownership.PriorityNormal: time.Hour, ownership.PriorityUrgent: 15 * time.Minute},
		TransferOffer: 30 * time.Minute,
		Plans: map[string]ownership.PlanSLA{"managed": {
			FirstResponse: map[ownership.Priority]time.Duration{ownership.PriorityNormal: 4 * time.Hour},
			Resolution:    map[ownership.Priority]time.Duration{ownership.PriorityNormal: 24 * time.Hour},
		}},
	}
}

// New builds a fixture; mutate may change the roster first.
func New(t testing.TB, mutate ...func(*routing.Config)) *Fixture {
	t.Helper()
	return NewWithOptions(t, nil, mutate...)
}

// NewWithOptions is New with a chance to change the Service options (the
// store, router and clock are set already).
func NewWithOptions(t testing.TB, opts func(*ownership.Options), mutate ...func(*routing.Config)) *Fixture {
	t.Helper()
	cfg := Roster()
	for _, m := range mutate {
		m(&cfg)
	}
	router, err := routing.New(cfg)
	if err != nil {
		t.Fatalf("routing.New: %v", err)
	}
	store, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "intake.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("sqlitestore.Open: %v", err)
	}
	t.Cleanup(func() { _ = store.Close() })
	c := NewClock(Start)
	o := ownership.Options{
		Store:  store,
		Router: router,
		Orgs:   []ownership.Org{{ID: "acme", Plan: "managed", Domains: []string{"acme.test"}, AccountManager: "kim"}},
		Policy: Policy(),
		Now:    c.Now,
		RepContacts: map[string]ownership.RepContact{
			"dana": {Name: "Dana Whitfield", Phone: "+15551230002"}, "lee": {Name: "Lee Chen", Phone: "+15551230003"},
			"kim": {Name: "Kim Park", Phone: "+15551230004"}, "maria": {Name: "Maria Santos", Phone: "+15551230001"},
		},
	}
	if opts != nil {
		opts(&o)
	}
	svc, err := ownership.NewService(o)
	if err != nil {
		t.Fatalf("ownership.NewService: %v", err)
	}
	return &Fixture{Service: svc, Store: store, Clock: c}
}
