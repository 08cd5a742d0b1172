package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/intakehq/intake/ownership"
)

// Leases: one row per name in the leases table (schema.go), read and
// written in one write transaction per call, so two acquires never both
// win. Rows are never deleted: the fence in them only grows.

// AcquireLease implements ownership.Store.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (ownership.Lease, error) {
	if err := checkLease(name, holder, ttl); err != nil {
		return ownership.Lease{}, fmt.Errorf("sqlite: acquire lease %q: %w", name, err)
	}
	var got ownership.Lease
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		cur, err := readLease(ctx, tx, name)
		if err != nil {
			return err
		}
		if cur.Holder != "" && cur.Holder != holder && unixNanos(cur.Until) > unixNanos(now) {
			got = cur
			return ownership.ErrLeaseHeld
		}
		got = ownership.Lease{Name: name, Holder: holder, Fence: cur.Fence, Until: nanoTime(unixNanos(now.Add(ttl)))}
		if cur.Holder != holder {
			got.Fence++
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO leases(name, holder, fence, until) VALUES(?, ?, ?, ?)
			ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, fence = excluded.fence, until = excluded.until`,
			name, holder, got.Fence, unixNanos(got.Until))
		return err
	})
	if errors.Is(err, ownership.ErrLeaseHeld) {
		return got, fmt.Errorf("sqlite: acquire lease %q: held by %q until %s: %w", name, got.Holder, got.Until.Format(time.RFC3339Nano), err)
	}
	if err != nil {
		return ownership.Lease{}, fmt.Errorf("sqlite: acquire lease %q: %w", name, err)
	}
	return got, nil
}

// checkLease refuses what AcquireLease cannot store: "" is the holder of a
// released lease, and a lease must outlive the call that takes it.
func checkLease(name, holder string, ttl time.Duration) error {
	switch {
	case name == "":
		return errors.New("empty lease name")
	case holder == "":
		return errors.New("empty holder")
	case ttl <= 0:
		return fmt.Errorf("ttl %v: want > 0", ttl)
	}
	return nil
}

// readLease returns lease name as stored; a lease never taken is the zero
// Lease with its name (no holder, fence 0).
func readLease(ctx context.Context, tx *sql.Tx, name string) (ownership.Lease, error) {
	l := ownership.Lease{Name: name}
	var until int64
	err := tx.QueryRowContext(ctx, `SELECT holder, fence, until FROM leases WHERE name = ?`, name).Scan(&l.Holder, &l.Fence, &until)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return l, nil
	case err != nil:
		return l, fmt.Errorf("read lease: %w", err)
	}
	l.Until = nanoTime(until)
	return l, nil
}

// ReleaseLease implements ownership.Store.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string, fence int64) error {
	if _, err := s.w.ExecContext(ctx, `UPDATE leases SET holder = '' WHERE name = ? AND holder = ? AND fence = ?`, name, holder, fence); err != nil {
		return fmt.Errorf("sqlite: release lease %q: %w", name, err)
	}
	return nil
}

// SetFlagFenced implements ownership.Store.
func (s *Store) SetFlagFenced(ctx context.Context, lease string, fence int64, key, value string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var cur int64
		err := tx.QueryRowContext(ctx, `SELECT fence FROM leases WHERE name = ?`, lease).Scan(&cur)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("lease %q never taken: %w", lease, ownership.ErrConflict)
		case err != nil:
			return fmt.Errorf("read lease: %w", err)
		case cur != fence:
			return fmt.Errorf("lease %q is at fence %d, not %d: %w", lease, cur, fence, ownership.ErrConflict)
		}
		return setFlag(ctx, tx, key, value)
	})
	if err != nil {
		return fmt.Errorf("sqlite: set flag %q fenced by lease %q: %w", key, lease, err)
	}
	return nil
}

// nanoTime is the time of a column holding unix nanoseconds, in UTC.
func nanoTime(n int64) time.Time { return time.Unix(0, n).UTC() }
