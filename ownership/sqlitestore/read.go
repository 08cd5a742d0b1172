package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/intakehq/intake/ownership"
)

// Ticket implements ownership.Store.
func (s *Store) Ticket(ctx context.Context, id string) (ownership.Ticket, error) {
	n, err := ownership.ParseID(id)
	if err != nil {
		return ownership.Ticket{}, fmt.Errorf("%w: %v", ownership.ErrNotFound, err)
	}
	var raw string
	err = s.r.QueryRowContext(ctx, `SELECT json FROM tickets WHERE num = ?`, n).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return ownership.Ticket{}, fmt.Errorf("ticket %s: %w", id, ownership.ErrNotFound)
	}
	if err != nil {
		return ownership.Ticket{}, fmt.Errorf("sqlite: read ticket %s: %w", id, err)
	}
	return decodeTicket(raw)
}

// Events implements ownership.Store.
func (s *Store) Events(ctx context.Context, id string) ([]ownership.Event, error) {
	n, err := ownership.ParseID(id)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ownership.ErrNotFound, err)
	}
	// One read transaction, so the existence check and the timeline agree.
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("sqlite: begin read: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	var one int
	if err := tx.QueryRowContext(ctx, `SELECT 1 FROM tickets WHERE num = ?`, n).Scan(&one); errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("ticket %s: %w", id, ownership.ErrNotFound)
	} else if err != nil {
		return nil, fmt.Errorf("sqlite: read ticket %s: %w", id, err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT json FROM events WHERE num = ? ORDER BY seq`, n)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read timeline of %s: %w", id, err)
	}
	defer rows.Close()
	var evs []ownership.Event
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return nil, fmt.Errorf("sqlite: read timeline of %s: %w", id, err)
		}
		var ev ownership.Event
		if err := json.Unmarshal([]byte(raw), &ev); err != nil {
			return nil, fmt.Errorf("sqlite: decode event of %s: %w", id, err)
		}
		evs = append(evs, ev)
	}
	return evs, rows.Err()
}

// List implements ownership.Store.
func (s *Store) List(ctx context.Context, f ownership.Filter) (ownership.Page, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 1000)
	var (
		where []string
		args  []any
	)
	if f.Cursor != "" {
		n, err := strconv.ParseInt(f.Cursor, 10, 64)
		if err != nil || n <= 0 {
			return ownership.Page{}, fmt.Errorf("invalid cursor %q", f.Cursor)
		}
		where, args = append(where, "num < ?"), append(args, n)
	}
	if len(f.Statuses) > 0 {
		where = append(where, "status IN ("+strings.TrimSuffix(strings.Repeat("?,", len(f.Statuses)), ",")+")")
		for _, st := range f.Statuses {
			args = append(args, string(st))
		}
	}
	for col, v := range map[string]string{"owner": f.Owner, "channel": f.Channel, "org": f.Org} {
		if v != "" {
			where, args = append(where, col+" = ?"), append(args, v)
		}
	}
	if f.Unowned {
		where = append(where, "owner = '' AND status != 'closed'")
	}
	if f.Contact != "" {
		where, args = append(where, "num IN (SELECT num FROM ticket_contacts WHERE key = ?)"), append(args, f.Contact)
	}
	if f.Scope != nil {
		w, a := scopeWhere(f.Scope)
		where, args = append(where, w), append(args, a...)
	}
	q := "SELECT num, json FROM tickets"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY num DESC LIMIT ?"
	args = append(args, limit+1) // one more tells whether there is a next page
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return ownership.Page{}, fmt.Errorf("sqlite: list tickets: %w", err)
	}
	defer rows.Close()
	var page ownership.Page
	for rows.Next() {
		var num int64
		var raw string
		if err := rows.Scan(&num, &raw); err != nil {
			return ownership.Page{}, fmt.Errorf("sqlite: list tickets: %w", err)
		}
		if len(page.Tickets) == limit {
			page.Next = strconv.FormatInt(page.Tickets[limit-1].Number, 10)
			break
		}
		t, err := decodeTicket(raw)
		if err != nil {
			return ownership.Page{}, err
		}
		page.Tickets = append(page.Tickets, t)
	}
	return page, rows.Err()
}

// LookupDedup implements ownership.Store.
func (s *Store) LookupDedup(ctx context.Context, key string) (string, error) {
	var id string
	err := s.r.QueryRowContext(ctx, `SELECT ticket FROM dedup WHERE key = ?`, key).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("dedup key: %w", ownership.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("sqlite: read dedup key: %w", err)
	}
	return id, nil
}

// RepStates implements ownership.Store.
func (s *Store) RepStates(ctx context.Context) (map[string]ownership.RepState, error) {
	out := map[string]ownership.RepState{}
	rows, err := s.r.QueryContext(ctx, `SELECT id, availability, last_assigned FROM reps`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read reps: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, avail string
		var last int64
		if err := rows.Scan(&id, &avail, &last); err != nil {
			return nil, fmt.Errorf("sqlite: read reps: %w", err)
		}
		st := ownership.RepState{Availability: avail}
		if last != 0 {
			st.LastAssigned = time.Unix(0, last).UTC()
		}
		out[id] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: read reps: %w", err)
	}
	load, err := s.r.QueryContext(ctx, `SELECT owner, COUNT(*) FROM tickets WHERE status IN ('open', 'pending') AND owner != '' GROUP BY owner`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: count load: %w", err)
	}
	defer load.Close()
	for load.Next() {
		var id string
		var n int
		if err := load.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("sqlite: count load: %w", err)
		}
		st := out[id]
		st.Open = n
		out[id] = st
	}
	return out, load.Err()
}

func decodeTicket(raw string) (ownership.Ticket, error) {
	t, err := ownership.UnmarshalStored([]byte(raw))
	if err != nil {
		return ownership.Ticket{}, fmt.Errorf("sqlite: decode ticket: %w", err)
	}
	return t, nil
}
