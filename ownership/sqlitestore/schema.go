package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/intakehq/intake/ownership"
)

// migrations[i] brings the schema from version i to i+1. The full ticket is
// kept as JSON; the columns beside it are what queries filter on.
//
// The outbox and flags tables were added to migration 1 itself rather than
// as a migration 2: no version-1 file existed outside development when they
// came (intake was unreleased), and ownership.SchemaVersion stayed 1. The
// outbox keeps each item whole as JSON (exact times, RFC 3339 with
// nanoseconds); next_at, lease_until and created_at are unix nanoseconds
// (0 for a zero time), for the due, lease and listing queries only.
//
// Migration 2 adds the leases (ownership.Lease): one row per lease name,
// never deleted, so a fence is never handed out twice. holder is "" once
// released; until is unix nanoseconds. It also adds tickets_load, an
// index that covers the rep-load count (status, owner), so routing each
// new ticket reads the index alone and never the tickets' JSON.
//
// Migration 3 adds sessions (ownership.Session) and throttle (failure
// counts by key); expires, last are unix milliseconds. (Ticket.Rev lives in
// the tickets' JSON; a ticket written before it reads its Version as Rev.)
var migrations = []string{
	`CREATE TABLE tickets (
		num     INTEGER PRIMARY KEY,
		version INTEGER NOT NULL,
		status  TEXT NOT NULL,
		owner   TEXT NOT NULL,
		channel TEXT NOT NULL,
		org     TEXT NOT NULL,
		lastop  TEXT NOT NULL DEFAULT '',
		json    TEXT NOT NULL
	);
	CREATE INDEX tickets_owner ON tickets(owner, num);
	CREATE INDEX tickets_status ON tickets(status, num);
	CREATE INDEX tickets_channel ON tickets(channel, num);
	CREATE INDEX tickets_org ON tickets(org, num);
	CREATE TABLE ticket_contacts (
		key TEXT NOT NULL,
		num INTEGER NOT NULL REFERENCES tickets(num),
		PRIMARY KEY (key, num)
	) WITHOUT ROWID;
	CREATE TABLE events (
		num  INTEGER NOT NULL REFERENCES tickets(num),
		seq  INTEGER NOT NULL,
		json TEXT NOT NULL,
		PRIMARY KEY (num, seq)
	) WITHOUT ROWID;
	CREATE TABLE dedup (
		key    TEXT PRIMARY KEY,
		ticket TEXT NOT NULL
	) WITHOUT ROWID;
	CREATE TABLE reps (
		id            TEXT PRIMARY KEY,
		availability  TEXT NOT NULL DEFAULT '',
		last_assigned INTEGER NOT NULL DEFAULT 0
	) WITHOUT ROWID;
	CREATE TABLE outbox (
		id          TEXT PRIMARY KEY,
		ticket      TEXT NOT NULL,
		state       TEXT NOT NULL,
		next_at     INTEGER NOT NULL,
		lease_until INTEGER NOT NULL,
		attempts    INTEGER NOT NULL,
		created_at  INTEGER NOT NULL,
		json        TEXT NOT NULL
	);
	CREATE INDEX outbox_due ON outbox(state, next_at, id);
	CREATE INDEX outbox_lease ON outbox(state, lease_until);
	CREATE INDEX outbox_created ON outbox(created_at, id);
	CREATE INDEX outbox_state_created ON outbox(state, created_at, id);
	CREATE TABLE flags (
		key   TEXT PRIMARY KEY,
		value TEXT NOT NULL
	) WITHOUT ROWID;`,
	`CREATE TABLE leases (
		name   TEXT PRIMARY KEY,
		holder TEXT NOT NULL,
		fence  INTEGER NOT NULL,
		until  INTEGER NOT NULL
	) WITHOUT ROWID;
	CREATE INDEX tickets_load ON tickets(status, owner);`,
	`CREATE TABLE sessions (
		id      TEXT PRIMARY KEY,
		kind    TEXT NOT NULL,
		name    TEXT NOT NULL,
		expires INTEGER NOT NULL
	) WITHOUT ROWID;
	CREATE INDEX sessions_expires ON sessions(expires);
	CREATE TABLE throttle (
		key     TEXT PRIMARY KEY,
		count   INTEGER NOT NULL,
		last    INTEGER NOT NULL,
		expires INTEGER NOT NULL
	) WITHOUT ROWID;
	CREATE INDEX throttle_expires ON throttle(expires);`,
}

// migrate applies the migrations the file has not seen, each in its own
// transaction, and refuses a file written by a newer version of intake.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("create meta table: %w", err)
	}
	var raw string
	err := s.w.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'schema_version'`).Scan(&raw)
	current := 0
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return fmt.Errorf("read schema version: %w", err)
	default:
		if current, err = strconv.Atoi(raw); err != nil {
			return fmt.Errorf("schema version %q: %w", raw, err)
		}
	}
	if len(migrations) != ownership.SchemaVersion {
		return fmt.Errorf("built with %d migrations for schema version %d", len(migrations), ownership.SchemaVersion)
	}
	if current > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this intake understands (%d); upgrade intake", current, len(migrations))
	}
	for v := current; v < len(migrations); v++ {
		if err := s.inTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES('schema_version', ?)
				ON CONFLICT(key) DO UPDATE SET value = excluded.value`, strconv.Itoa(v+1))
			return err
		}); err != nil {
			return fmt.Errorf("migrate schema to version %d: %w", v+1, err)
		}
		s.logger.Info("sqlite schema migrated", "version", v+1)
	}
	return nil
}

// inTx runs fn in a write transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
