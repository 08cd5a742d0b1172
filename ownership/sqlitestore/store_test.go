package sqlitestore_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/sqlitestore"
	"github.com/intakehq/intake/ownership/storetest"
	"github.com/stretchr/testify/require"
)

func open(t testing.TB, path string) *sqlitestore.Store {
	t.Helper()
	s, err := sqlitestore.Open(context.Background(), path, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	return s
}

func TestConformance(t *testing.T) {
	storetest.RunTests(t, func(t *testing.T) ownership.Store {
		return open(t, filepath.Join(t.TempDir(), "intake.db"))
	})
}

func TestReopenKeepsTicketsAndTimelines(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "intake.db")
	s := open(t, path)
	tk := ownership.Ticket{Subject: "VPN down", Status: ownership.StatusOpen, Priority: ownership.PriorityHigh, Channel: "web", Owner: "dana"}
	ev := []ownership.Event{{Type: ownership.EventAssigned, Actor: "router", To: "dana", Reason: "least_loaded: dana had 0 open"}}
	created, _, err := s.CreateTicket(ctx, ownership.CreateRequest{Ticket: tk, Events: ev, DedupKey: "api:1"})
	require.NoError(t, err)
	require.NoError(t, s.Close())

	s = open(t, path)
	defer s.Close()
	got, err := s.Ticket(ctx, created.ID)
	require.NoError(t, err)
	require.Equal(t, created, got)
	evs, err := s.Events(ctx, created.ID)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	id, err := s.LookupDedup(ctx, "api:1")
	require.NoError(t, err)
	require.Equal(t, created.ID, id)
}

func TestRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "intake.db")
	require.NoError(t, open(t, path).Close())
	db, err := sql.Open("sqlite", "file:"+path)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `UPDATE meta SET value = '99' WHERE key = 'schema_version'`)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	_, err = sqlitestore.Open(ctx, path, slog.New(slog.DiscardHandler))
	require.ErrorContains(t, err, "schema version 99 is newer")
}

// TestUnownedFindsCorruption writes an owner-less open ticket behind the
// store's back (the store itself refuses to) and checks the audit filter
// finds it.
func TestUnownedFindsCorruption(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "intake.db")
	s := open(t, path)
	defer s.Close()
	for i := 0; i < 3; i++ {
		_, _, err := s.CreateTicket(ctx, ownership.CreateRequest{Ticket: ownership.Ticket{Status: ownership.StatusOpen, Owner: "dana"}})
		require.NoError(t, err)
	}
	db, err := sql.Open("sqlite", "file:"+path)
	require.NoError(t, err)
	defer db.Close()
	_, err = db.ExecContext(ctx, `UPDATE tickets SET owner = '', json = json_set(json, '$.owner', '') WHERE num = 2`)
	require.NoError(t, err)
	p, err := s.List(ctx, ownership.Filter{Unowned: true})
	require.NoError(t, err)
	require.Len(t, p.Tickets, 1)
	require.Equal(t, "T-2", p.Tickets[0].ID)
}

func BenchmarkCreateTicket(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "intake.db"))
	defer s.Close()
	reps := []string{"dana", "lee", "kim", "sam", "maria"}
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			i := n.Add(1)
			owner := reps[i%int64(len(reps))]
			tk := ownership.Ticket{Subject: "Outlook keeps asking for a password", Status: ownership.StatusOpen, Priority: ownership.PriorityNormal,
				Channel: "web", Owner: owner, Contact: ownership.Contact{Email: fmt.Sprintf("user%d@acme.test", i)}}
			ev := []ownership.Event{
				{Type: ownership.EventMessageIn, Actor: tk.Contact.Email, Channel: "web", Body: "Since this morning Outlook asks for my password every few minutes."},
				{Type: ownership.EventAssigned, Actor: "router", To: owner, Reason: "least_loaded: " + owner + " had 3 open"},
			}
			if _, _, err := s.CreateTicket(ctx, ownership.CreateRequest{Ticket: tk, Events: ev, DedupKey: fmt.Sprintf("bench:%d", i), OwnerCapacity: 1 << 30}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tickets/s")
}
