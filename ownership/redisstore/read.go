package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/intakehq/intake/ownership"
	"github.com/redis/go-redis/v9"
)

// Ticket returns one ticket; ids are case-insensitive ("t-1" is T-1).
func (s *Store) Ticket(ctx context.Context, id string) (ownership.Ticket, error) {
	n, err := ownership.ParseID(id)
	if err != nil {
		return ownership.Ticket{}, fmt.Errorf("redisstore: ticket %q: %w", id, ownership.ErrNotFound)
	}
	js, err := s.rdb.HGet(ctx, s.k.ticket(n), "json").Result()
	if errors.Is(err, redis.Nil) {
		return ownership.Ticket{}, fmt.Errorf("redisstore: ticket %s: %w", id, ownership.ErrNotFound)
	}
	if err != nil {
		return ownership.Ticket{}, fmt.Errorf("redisstore: ticket %s: %w", id, err)
	}
	t, err := decodeTicket(js)
	if err != nil {
		return ownership.Ticket{}, fmt.Errorf("redisstore: ticket %s: %w", id, err)
	}
	return t, nil
}

// Events returns a ticket's timeline in order.
func (s *Store) Events(ctx context.Context, id string) ([]ownership.Event, error) {
	n, err := ownership.ParseID(id)
	if err != nil {
		return nil, fmt.Errorf("redisstore: events %q: %w", id, ownership.ErrNotFound)
	}
	var exists *redis.IntCmd
	var list *redis.StringSliceCmd
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		exists = p.Exists(ctx, s.k.ticket(n))
		list = p.LRange(ctx, s.k.events(n), 0, -1)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("redisstore: events %s: %w", id, err)
	}
	if exists.Val() == 0 {
		return nil, fmt.Errorf("redisstore: events %s: %w", id, ownership.ErrNotFound)
	}
	evs := make([]ownership.Event, len(list.Val()))
	for i, js := range list.Val() {
		if err := json.Unmarshal([]byte(js), &evs[i]); err != nil {
			return nil, fmt.Errorf("redisstore: events %s: decode event %d: %w", id, i+1, err)
		}
	}
	return evs, nil
}

// LookupDedup returns the ticket id recorded for a dedup key.
func (s *Store) LookupDedup(ctx context.Context, key string) (string, error) {
	id, err := s.rdb.Get(ctx, s.k.dedup(key)).Result()
	if errors.Is(err, redis.Nil) {
		return "", fmt.Errorf("redisstore: dedup key %q: %w", key, ownership.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("redisstore: dedup key %q: %w", key, err)
	}
	return id, nil
}

// RepStates merges the load, last-assignment and availability hashes: every
// rep present in any of them is in the result.
func (s *Store) RepStates(ctx context.Context) (map[string]ownership.RepState, error) {
	var load, last, avail *redis.MapStringStringCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		load = p.HGetAll(ctx, s.k.load())
		last = p.HGetAll(ctx, s.k.lastAssigned())
		avail = p.HGetAll(ctx, s.k.avail())
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("redisstore: rep states: %w", err)
	}
	out := map[string]ownership.RepState{}
	for rep, v := range load.Val() {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("redisstore: rep states: load of %q is %q: %w", rep, v, err)
		}
		st := out[rep]
		st.Open = n
		out[rep] = st
	}
	for rep, v := range last.Val() {
		ns, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("redisstore: rep states: last assignment of %q is %q: %w", rep, v, err)
		}
		st := out[rep]
		st.LastAssigned = time.Unix(0, ns).UTC()
		out[rep] = st
	}
	for rep, v := range avail.Val() {
		st := out[rep]
		st.Availability = v
		out[rep] = st
	}
	return out, nil
}

// SetAvailability records a rep's availability.
func (s *Store) SetAvailability(ctx context.Context, rep, availability string) error {
	if err := s.rdb.HSet(ctx, s.k.avail(), rep, availability).Err(); err != nil {
		return fmt.Errorf("redisstore: set availability of %q: %w", rep, err)
	}
	return nil
}
