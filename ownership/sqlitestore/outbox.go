package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/intakehq/intake/ownership"
)

// The outbox: one row per item, the whole item as JSON beside the columns
// the claim and list queries use. Every write goes through the single
// writer connection (inTx), so a claim — one write transaction that selects
// the due rows and marks them sending — can never hand an item to two
// callers.

const (
	defaultOutboxLimit = 50
	maxOutboxLimit     = 1000
)

// Enqueue implements ownership.Store.
func (s *Store) Enqueue(ctx context.Context, items ...ownership.OutboxItem) error {
	if err := checkItems(items); err != nil {
		return fmt.Errorf("sqlite: enqueue: %w", err)
	}
	if len(items) == 0 {
		return nil
	}
	if err := s.inTx(ctx, func(tx *sql.Tx) error { return enqueueTx(ctx, tx, items, "") }); err != nil {
		return fmt.Errorf("sqlite: enqueue: %w", err)
	}
	return nil
}

// checkItems refuses items a store cannot key.
func checkItems(items []ownership.OutboxItem) error {
	for i, it := range items {
		if it.ID == "" {
			return fmt.Errorf("outbox item %d has no ID", i+1)
		}
	}
	return nil
}

// enqueueTx inserts the items not stored yet, pending; an item without a
// ticket gets ticket (the ticket of the write that enqueues it, if any).
func enqueueTx(ctx context.Context, tx *sql.Tx, items []ownership.OutboxItem, ticket string) error {
	for _, it := range items {
		it = newItem(it, ticket)
		raw, err := json.Marshal(it)
		if err != nil {
			return fmt.Errorf("encode outbox item %q: %w", it.ID, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO outbox(id, ticket, state, next_at, lease_until, attempts, created_at, json)
			VALUES(?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`,
			it.ID, it.TicketID, it.State, unixNanos(it.NextAt), unixNanos(it.LeaseUntil), it.Attempts, unixNanos(it.CreatedAt), raw); err != nil {
			return fmt.Errorf("enqueue outbox item %q: %w", it.ID, err)
		}
	}
	return nil
}

// newItem is it as enqueued: pending, without a lease, times in UTC.
func newItem(it ownership.OutboxItem, ticket string) ownership.OutboxItem {
	if it.TicketID == "" {
		it.TicketID = ticket
	}
	it.State = ownership.OutboxPending
	it.LeaseUntil = time.Time{}
	it.NextAt, it.CreatedAt, it.UpdatedAt = it.NextAt.UTC(), it.CreatedAt.UTC(), it.UpdatedAt.UTC()
	return it
}

// ClaimOutbox implements ownership.Store.
func (s *Store) ClaimOutbox(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]ownership.OutboxItem, error) {
	if limit <= 0 {
		return nil, nil
	}
	now = now.UTC()
	until := now.Add(lease)
	var out []ownership.OutboxItem
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		out = nil
		rows, err := tx.QueryContext(ctx, `
			SELECT id, next_at, json FROM outbox WHERE state = 'pending' AND next_at <= ?1
			UNION ALL
			SELECT id, next_at, json FROM outbox WHERE state = 'sending' AND lease_until <= ?1
			ORDER BY 2, 1 LIMIT ?2`, unixNanos(now), limit)
		if err != nil {
			return fmt.Errorf("select due items: %w", err)
		}
		for rows.Next() {
			var id, raw string
			var nextAt int64
			if err := rows.Scan(&id, &nextAt, &raw); err != nil {
				rows.Close()
				return fmt.Errorf("select due items: %w", err)
			}
			it, err := decodeItem(raw)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, it)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("select due items: %w", err)
		}
		for i := range out {
			it := &out[i]
			it.State, it.Attempts, it.LeaseUntil, it.UpdatedAt = ownership.OutboxSending, it.Attempts+1, until, now
			if err := saveItem(ctx, tx, *it); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim outbox: %w", err)
	}
	return out, nil
}

// FinishOutbox implements ownership.Store. An unknown id is ErrNotFound,
// and ErrConflict as well (no item is sending with that attempt).
func (s *Store) FinishOutbox(ctx context.Context, id string, attempt int, r ownership.OutboxResult) error {
	if err := checkResult(r); err != nil {
		return fmt.Errorf("sqlite: finish outbox item %q: %w", id, err)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var raw string
		err := tx.QueryRowContext(ctx, `SELECT json FROM outbox WHERE id = ?`, id).Scan(&raw)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: %w", ownership.ErrNotFound, ownership.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		it, err := decodeItem(raw)
		if err != nil {
			return err
		}
		switch {
		case attempt == 0:
			// Out of band: a sent item the provider later reported
			// undeliverable, or a dead item a manager retries.
			ok := (it.State == ownership.OutboxSent && r.State == ownership.OutboxDead) ||
				(it.State == ownership.OutboxDead && r.State == ownership.OutboxPending)
			if !ok {
				return fmt.Errorf("item is %s; out of band only sent → dead or dead → pending: %w", it.State, ownership.ErrConflict)
			}
		case it.State != ownership.OutboxSending || it.Attempts != attempt:
			return fmt.Errorf("item is %s at attempt %d, not sending at attempt %d: %w", it.State, it.Attempts, attempt, ownership.ErrConflict)
		}
		return saveItem(ctx, tx, finished(it, r))
	})
	if err != nil {
		return fmt.Errorf("sqlite: finish outbox item %q: %w", id, err)
	}
	return nil
}

// checkResult refuses a result that is not an end of an attempt.
func checkResult(r ownership.OutboxResult) error {
	switch r.State {
	case ownership.OutboxSent, ownership.OutboxPending, ownership.OutboxDead:
		return nil
	}
	return fmt.Errorf("result state %q: want %s, %s or %s", r.State, ownership.OutboxSent, ownership.OutboxPending, ownership.OutboxDead)
}

// finished is it after an attempt ended with r: the lease is gone, the
// error is this attempt's ("" clears an earlier one), a provider reference
// replaces the stored one, a retry takes its NextAt.
func finished(it ownership.OutboxItem, r ownership.OutboxResult) ownership.OutboxItem {
	it.State, it.LeaseUntil, it.LastError, it.UpdatedAt = r.State, time.Time{}, r.Error, r.At.UTC()
	if r.ProviderRef != "" {
		it.ProviderRef = r.ProviderRef
	}
	if r.State == ownership.OutboxPending {
		it.NextAt = r.NextAt.UTC()
	}
	return it
}

func saveItem(ctx context.Context, tx *sql.Tx, it ownership.OutboxItem) error {
	raw, err := json.Marshal(it)
	if err != nil {
		return fmt.Errorf("encode outbox item %q: %w", it.ID, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE outbox SET state = ?, next_at = ?, lease_until = ?, attempts = ?, json = ? WHERE id = ?`,
		it.State, unixNanos(it.NextAt), unixNanos(it.LeaseUntil), it.Attempts, raw, it.ID); err != nil {
		return fmt.Errorf("update outbox item %q: %w", it.ID, err)
	}
	return nil
}

// OutboxItem implements ownership.Store.
func (s *Store) OutboxItem(ctx context.Context, id string) (ownership.OutboxItem, error) {
	var raw string
	err := s.r.QueryRowContext(ctx, `SELECT json FROM outbox WHERE id = ?`, id).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return ownership.OutboxItem{}, fmt.Errorf("outbox item %q: %w", id, ownership.ErrNotFound)
	}
	if err != nil {
		return ownership.OutboxItem{}, fmt.Errorf("sqlite: read outbox item %q: %w", id, err)
	}
	return decodeItem(raw)
}

// ListOutbox implements ownership.Store. Newest is the latest CreatedAt
// (ties: the greater ID first); limit <= 0 means 50, and at most 1000.
func (s *Store) ListOutbox(ctx context.Context, state string, limit int) ([]ownership.OutboxItem, error) {
	if limit <= 0 {
		limit = defaultOutboxLimit
	}
	limit = min(limit, maxOutboxLimit)
	q, args := `SELECT json FROM outbox ORDER BY created_at DESC, id DESC LIMIT ?`, []any{limit}
	if state != "" {
		q, args = `SELECT json FROM outbox WHERE state = ? ORDER BY created_at DESC, id DESC LIMIT ?`, []any{state, limit}
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list outbox: %w", err)
	}
	defer rows.Close()
	out := []ownership.OutboxItem{}
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return nil, fmt.Errorf("sqlite: list outbox: %w", err)
		}
		it, err := decodeItem(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list outbox: %w", err)
	}
	return out, nil
}

// SetFlag implements ownership.Store.
func (s *Store) SetFlag(ctx context.Context, key, value string) error {
	if err := setFlag(ctx, s.w, key, value); err != nil {
		return fmt.Errorf("sqlite: set flag %q: %w", key, err)
	}
	return nil
}

// execer is what setFlag writes through: the writer pool or a transaction.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// setFlag stores value under key; "" deletes it.
func setFlag(ctx context.Context, db execer, key, value string) error {
	var err error
	if value == "" {
		_, err = db.ExecContext(ctx, `DELETE FROM flags WHERE key = ?`, key)
	} else {
		_, err = db.ExecContext(ctx, `INSERT INTO flags(key, value) VALUES(?, ?)
			ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
	}
	return err
}

// Flag implements ownership.Store.
func (s *Store) Flag(ctx context.Context, key string) (string, error) {
	var v string
	err := s.r.QueryRowContext(ctx, `SELECT value FROM flags WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("sqlite: read flag %q: %w", key, err)
	}
	return v, nil
}

func decodeItem(raw string) (ownership.OutboxItem, error) {
	var it ownership.OutboxItem
	if err := json.Unmarshal([]byte(raw), &it); err != nil {
		return ownership.OutboxItem{}, fmt.Errorf("sqlite: decode outbox item: %w", err)
	}
	return it, nil
}

// Bounds of the times time.UnixNano can represent.
var (
	minNanoTime = time.Unix(0, math.MinInt64)
	maxNanoTime = time.Unix(0, math.MaxInt64)
)

// unixNanos is the column value of a time: 0 for the zero time (so a zero
// NextAt is due at once), clamped to the int64 range otherwise.
func unixNanos(t time.Time) int64 {
	switch {
	case t.IsZero():
		return 0
	case t.Before(minNanoTime):
		return math.MinInt64
	case t.After(maxNanoTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}
