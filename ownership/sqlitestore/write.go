package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/intakehq/intake/ownership"
)

// CreateTicket implements ownership.Store.
func (s *Store) CreateTicket(ctx context.Context, req ownership.CreateRequest) (ownership.Ticket, bool, error) {
	t := req.Ticket
	if t.Owner == "" && t.Status != ownership.StatusClosed {
		return ownership.Ticket{}, false, ownership.ErrNoOwner
	}
	if err := checkItems(req.Outbox); err != nil {
		return ownership.Ticket{}, false, fmt.Errorf("sqlite: create ticket: %w", err)
	}
	var existing string
	created := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if req.DedupKey != "" {
			err := tx.QueryRowContext(ctx, `SELECT ticket FROM dedup WHERE key = ?`, req.DedupKey).Scan(&existing)
			if err == nil {
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("read dedup key: %w", err)
			}
		}
		if req.OwnerCapacity > 0 && t.Status.Active() {
			if err := checkCapacity(ctx, tx, t.Owner, req.OwnerCapacity); err != nil {
				return err
			}
		}
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(num), 0) + 1 FROM tickets`).Scan(&t.Number); err != nil {
			return fmt.Errorf("next ticket number: %w", err)
		}
		t.ID, t.Version, t.Rev = ownership.FormatID(t.Number), 1, 1
		if err := insertTicket(ctx, tx, t); err != nil {
			return err
		}
		if err := appendEvents(ctx, tx, t.Number, 0, req.Events); err != nil {
			return err
		}
		if err := touchRep(ctx, tx, "", t); err != nil {
			return err
		}
		if err := enqueueTx(ctx, tx, req.Outbox, t.ID); err != nil {
			return err
		}
		created = true
		return recordDedup(ctx, tx, req.DedupKey, t.ID)
	})
	if err != nil {
		return ownership.Ticket{}, false, fmt.Errorf("sqlite: create ticket: %w", err)
	}
	if !created {
		t, err := s.Ticket(ctx, existing)
		return t, false, err
	}
	return t, true, nil
}

// UpdateTicket implements ownership.Store.
func (s *Store) UpdateTicket(ctx context.Context, req ownership.UpdateRequest) (ownership.Ticket, error) {
	t := req.Ticket
	if t.Owner == "" && t.Status != ownership.StatusClosed {
		return ownership.Ticket{}, ownership.ErrNoOwner
	}
	if err := checkItems(req.Outbox); err != nil {
		return ownership.Ticket{}, fmt.Errorf("sqlite: update %s: %w", t.ID, err)
	}
	var replayed bool
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var owner, lastop, raw string
		err := tx.QueryRowContext(ctx, `SELECT owner, lastop, json FROM tickets WHERE num = ?`, t.Number).
			Scan(&owner, &lastop, &raw)
		if errors.Is(err, sql.ErrNoRows) {
			return ownership.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", t.ID, err)
		}
		if req.OpID != "" && lastop == req.OpID {
			replayed = true
			return nil
		}
		if req.DedupKey != "" {
			var id string
			err := tx.QueryRowContext(ctx, `SELECT ticket FROM dedup WHERE key = ?`, req.DedupKey).Scan(&id)
			if err == nil {
				return fmt.Errorf("dedup key already on %s: %w", id, ownership.ErrDuplicate)
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("read dedup key: %w", err)
			}
		}
		old, err := decodeTicket(raw)
		if err != nil {
			return err
		}
		if old.Rev != t.Rev {
			return fmt.Errorf("%s is at revision %d, change was made from %d: %w", t.ID, old.Rev, t.Rev, ownership.ErrConflict)
		}
		if req.OwnerCapacity > 0 && t.Owner != owner && t.Status.Active() {
			if err := checkCapacity(ctx, tx, t.Owner, req.OwnerCapacity); err != nil {
				return err
			}
		}
		t.Rev = old.Rev + 1
		if err := replaceTicket(ctx, tx, old, t, req.OpID); err != nil {
			return err
		}
		var seq int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM events WHERE num = ?`, t.Number).Scan(&seq); err != nil {
			return fmt.Errorf("read timeline length: %w", err)
		}
		if err := appendEvents(ctx, tx, t.Number, seq, req.Events); err != nil {
			return err
		}
		if err := touchRep(ctx, tx, owner, t); err != nil {
			return err
		}
		if err := enqueueTx(ctx, tx, req.Outbox, ownership.FormatID(t.Number)); err != nil {
			return err
		}
		return recordDedup(ctx, tx, req.DedupKey, t.ID)
	})
	if err != nil {
		return ownership.Ticket{}, fmt.Errorf("sqlite: update %s: %w", t.ID, err)
	}
	if replayed {
		return s.Ticket(ctx, t.ID)
	}
	return t, nil
}

// SetAvailability implements ownership.Store.
func (s *Store) SetAvailability(ctx context.Context, rep, availability string) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO reps(id, availability) VALUES(?, ?)
		ON CONFLICT(id) DO UPDATE SET availability = excluded.availability`, rep, availability)
	if err != nil {
		return fmt.Errorf("sqlite: set availability of %s: %w", rep, err)
	}
	return nil
}

func checkCapacity(ctx context.Context, tx *sql.Tx, owner string, capacity int) error {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM tickets WHERE owner = ? AND status IN ('open', 'pending')`, owner).Scan(&n)
	if err != nil {
		return fmt.Errorf("count tickets of %s: %w", owner, err)
	}
	if n >= capacity {
		return fmt.Errorf("%s has %d active tickets: %w", owner, n, ownership.ErrOwnerFull)
	}
	return nil
}

func insertTicket(ctx context.Context, tx *sql.Tx, t ownership.Ticket) error {
	raw, err := ownership.MarshalStored(t)
	if err != nil {
		return fmt.Errorf("encode ticket: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO tickets(num, version, status, owner, channel, org, json)
		VALUES(?, ?, ?, ?, ?, ?, ?)`, t.Number, t.Version, t.Status, t.Owner, t.Channel, t.Org, raw); err != nil {
		return fmt.Errorf("insert %s: %w", t.ID, err)
	}
	for _, k := range t.Contact.Keys() {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO ticket_contacts(key, num) VALUES(?, ?)`, k, t.Number); err != nil {
			return fmt.Errorf("index contact of %s: %w", t.ID, err)
		}
	}
	return nil
}

func replaceTicket(ctx context.Context, tx *sql.Tx, old, t ownership.Ticket, opID string) error {
	raw, err := ownership.MarshalStored(t)
	if err != nil {
		return fmt.Errorf("encode ticket: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tickets SET version = ?, status = ?, owner = ?, channel = ?, org = ?, lastop = ?, json = ?
		WHERE num = ?`, t.Version, t.Status, t.Owner, t.Channel, t.Org, opID, raw, t.Number); err != nil {
		return fmt.Errorf("update %s: %w", t.ID, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM ticket_contacts WHERE num = ?`, t.Number); err != nil {
		return fmt.Errorf("reindex contact of %s: %w", t.ID, err)
	}
	for _, k := range t.Contact.Keys() {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO ticket_contacts(key, num) VALUES(?, ?)`, k, t.Number); err != nil {
			return fmt.Errorf("index contact of %s: %w", t.ID, err)
		}
	}
	return nil
}

func appendEvents(ctx context.Context, tx *sql.Tx, num, after int64, evs []ownership.Event) error {
	for i, ev := range evs {
		ev.Seq = after + int64(i) + 1
		raw, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("encode event: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO events(num, seq, json) VALUES(?, ?, ?)`, num, ev.Seq, raw); err != nil {
			return fmt.Errorf("append event %d to %s: %w", ev.Seq, ownership.FormatID(num), err)
		}
	}
	return nil
}

// touchRep records when t's owner got it, if the owner changed.
func touchRep(ctx context.Context, tx *sql.Tx, oldOwner string, t ownership.Ticket) error {
	if t.Owner == "" || t.Owner == oldOwner {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO reps(id, last_assigned) VALUES(?, ?)
		ON CONFLICT(id) DO UPDATE SET last_assigned = MAX(last_assigned, excluded.last_assigned)`, t.Owner, t.AssignedAt.UnixNano())
	if err != nil {
		return fmt.Errorf("record assignment of %s: %w", t.Owner, err)
	}
	return nil
}

func recordDedup(ctx context.Context, tx *sql.Tx, key, id string) error {
	if key == "" {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO dedup(key, ticket) VALUES(?, ?)`, key, id); err != nil {
		return fmt.Errorf("record dedup key: %w", err)
	}
	return nil
}
