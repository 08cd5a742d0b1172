package sqlitestore

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/intakehq/intake/ownership"
	"github.com/stretchr/testify/require"
)

// TestUpgradeFromVersion1 writes a version-1 file the way a version-1
// intake left it (migration 1 only, a ticket and a flag in it), opens it
// with the current code, and checks it migrated, kept its data and has
// working leases.
func TestUpgradeFromVersion1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "intake.db")
	db, err := sql.Open("sqlite", "file:"+path)
	require.NoError(t, err)
	tx, err := db.BeginTx(ctx, nil)
	require.NoError(t, err)
	for _, q := range []string{`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`, migrations[0],
		`INSERT INTO meta(key, value) VALUES('schema_version', '1')`,
		`INSERT INTO flags(key, value) VALUES('imap:support:uid', '42')`} {
		_, err := tx.ExecContext(ctx, q)
		require.NoError(t, err, q)
	}
	t0 := time.Date(2026, 3, 6, 14, 30, 0, 0, time.UTC)
	old := ownership.Ticket{ID: "T-1", Number: 1, Version: 1, Subject: "VPN down", Status: ownership.StatusOpen, Channel: "email",
		Owner: "dana", CreatedAt: t0, UpdatedAt: t0}
	require.NoError(t, insertTicket(ctx, tx, old))
	require.NoError(t, tx.Commit())
	require.NoError(t, db.Close())

	s, err := Open(ctx, path, slog.New(slog.DiscardHandler))
	require.NoError(t, err, "opening a version-1 file")
	require.Equal(t, strconv.Itoa(ownership.SchemaVersion), schemaVersion(t, s))
	got, err := s.Ticket(ctx, "T-1")
	require.NoError(t, err)
	want := old
	want.Rev = old.Version // stored before revisions: its version was its revision
	require.Equal(t, want, got)
	got.Handles = map[string]string{"phone": "+15557770101"}
	got, err = s.UpdateTicket(ctx, ownership.UpdateRequest{Ticket: got})
	require.NoError(t, err, "an old ticket takes a compare-and-set write")
	require.Equal(t, int64(2), got.Rev)
	uid, err := s.Flag(ctx, "imap:support:uid")
	require.NoError(t, err)
	require.Equal(t, "42", uid)
	l, err := s.AcquireLease(ctx, "imap:support", "replica-a", t0, time.Minute)
	require.NoError(t, err)
	require.Equal(t, int64(1), l.Fence)
	require.NoError(t, s.SetFlagFenced(ctx, "imap:support", l.Fence, "imap:support:uid", "43"))
	require.NoError(t, s.Close())

	s, err = Open(ctx, path, slog.New(slog.DiscardHandler))
	require.NoError(t, err, "reopening the upgraded file")
	defer s.Close()
	require.Equal(t, strconv.Itoa(ownership.SchemaVersion), schemaVersion(t, s))
	_, err = s.AcquireLease(ctx, "imap:support", "replica-b", t0.Add(time.Second), time.Minute)
	require.ErrorIs(t, err, ownership.ErrLeaseHeld, "the lease survived the reopen")
	uid, err = s.Flag(ctx, "imap:support:uid")
	require.NoError(t, err)
	require.Equal(t, "43", uid)
}

func schemaVersion(t *testing.T, s *Store) string {
	t.Helper()
	var v string
	require.NoError(t, s.r.QueryRowContext(context.Background(), `SELECT value FROM meta WHERE key = 'schema_version'`).Scan(&v))
	return v
}
