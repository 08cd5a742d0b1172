package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/intakehq/intake/ownership"
)

// RecordFailure implements ownership.Store. It also drops the counts that
// were forgotten by now.
func (s *Store) RecordFailure(ctx context.Context, key string, now time.Time, ttl time.Duration) (ownership.Failures, error) {
	ms := now.UnixMilli()
	var f ownership.Failures
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM throttle WHERE expires <= ?`, ms); err != nil {
			return fmt.Errorf("drop forgotten counts: %w", err)
		}
		var n int
		err := tx.QueryRowContext(ctx, `SELECT count FROM throttle WHERE key = ?`, key).Scan(&n)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		f = ownership.Failures{Count: n + 1, Last: time.UnixMilli(ms).UTC()}
		_, err = tx.ExecContext(ctx, `INSERT INTO throttle(key, count, last, expires) VALUES(?, ?, ?, ?)
			ON CONFLICT(key) DO UPDATE SET count = excluded.count, last = excluded.last, expires = excluded.expires`,
			key, f.Count, ms, now.Add(ttl).UnixMilli())
		return err
	})
	if err != nil {
		return ownership.Failures{}, fmt.Errorf("sqlite: record failure: %w", err)
	}
	return f, nil
}

// Failures implements ownership.Store.
func (s *Store) Failures(ctx context.Context, key string, now time.Time) (ownership.Failures, error) {
	var n int
	var last, exp int64
	err := s.r.QueryRowContext(ctx, `SELECT count, last, expires FROM throttle WHERE key = ?`, key).Scan(&n, &last, &exp)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && exp <= now.UnixMilli()) {
		return ownership.Failures{}, nil
	}
	if err != nil {
		return ownership.Failures{}, fmt.Errorf("sqlite: failures: %w", err)
	}
	return ownership.Failures{Count: n, Last: time.UnixMilli(last).UTC()}, nil
}

// ClearFailures implements ownership.Store.
func (s *Store) ClearFailures(ctx context.Context, key string) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM throttle WHERE key = ?`, key); err != nil {
		return fmt.Errorf("sqlite: clear failures: %w", err)
	}
	return nil
}
