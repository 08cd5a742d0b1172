package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/intakehq/intake/ownership"
)

// CreateSession implements ownership.Store. It also drops the sessions
// that expired by now, so the table holds live ones only.
func (s *Store) CreateSession(ctx context.Context, sess ownership.Session, now time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires <= ?`, now.UnixMilli()); err != nil {
			return fmt.Errorf("drop expired sessions: %w", err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions(id, kind, name, expires) VALUES(?, ?, ?, ?)
			ON CONFLICT(id) DO UPDATE SET kind = excluded.kind, name = excluded.name, expires = excluded.expires`,
			sess.ID, sess.Kind, sess.Name, sess.Expires.UnixMilli())
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: create session: %w", err)
	}
	return nil
}

// Session implements ownership.Store.
func (s *Store) Session(ctx context.Context, id string, now time.Time) (ownership.Session, error) {
	sess := ownership.Session{ID: id}
	var exp int64
	err := s.r.QueryRowContext(ctx, `SELECT kind, name, expires FROM sessions WHERE id = ?`, id).Scan(&sess.Kind, &sess.Name, &exp)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && exp <= now.UnixMilli()) {
		return ownership.Session{}, fmt.Errorf("sqlite: session: %w", ownership.ErrNotFound)
	}
	if err != nil {
		return ownership.Session{}, fmt.Errorf("sqlite: session: %w", err)
	}
	sess.Expires = time.UnixMilli(exp).UTC()
	return sess, nil
}

// DeleteSession implements ownership.Store.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, id); err != nil {
		return fmt.Errorf("sqlite: delete session: %w", err)
	}
	return nil
}
