package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/intakehq/intake/ownership"
)

// Keys of schema version 3 (see keys.go):
//
//	{p}:sess:<id>           hash    session <id> (ownership.Session): kind,
//	                                name, exp (unix ms). TTL until exp, for
//	                                cleanup only: expiry is decided by the
//	                                caller's now
//	{p}:thr:<key>           hash    failure count under <key>: n, last, exp
//	                                (unix ms). TTL ttl, for cleanup only, as
//	                                for sessions
func (k keys) session(id string) string   { return k.p + "sess:" + id }
func (k keys) throttle(key string) string { return k.p + "thr:" + key }

// CreateSession implements ownership.Store.
func (s *Store) CreateSession(ctx context.Context, sess ownership.Session, now time.Time) error {
	key := s.k.session(sess.ID)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, key)
		p.HSet(ctx, key, "kind", sess.Kind, "name", sess.Name, "exp", strconv.FormatInt(sess.Expires.UnixMilli(), 10))
		p.PExpire(ctx, key, max(sess.Expires.Sub(now), time.Millisecond))
		return nil
	})
	if err != nil {
		return fmt.Errorf("redisstore: create session: %w", err)
	}
	return nil
}

// Session implements ownership.Store.
func (s *Store) Session(ctx context.Context, id string, now time.Time) (ownership.Session, error) {
	v, err := s.rdb.HMGet(ctx, s.k.session(id), "kind", "name", "exp").Result()
	if err != nil {
		return ownership.Session{}, fmt.Errorf("redisstore: session: %w", err)
	}
	kind, _ := v[0].(string)
	name, _ := v[1].(string)
	raw, _ := v[2].(string)
	exp, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || exp <= now.UnixMilli() {
		return ownership.Session{}, fmt.Errorf("redisstore: session: %w", ownership.ErrNotFound)
	}
	return ownership.Session{ID: id, Kind: kind, Name: name, Expires: time.UnixMilli(exp).UTC()}, nil
}

// DeleteSession implements ownership.Store.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	if err := s.rdb.Del(ctx, s.k.session(id)).Err(); err != nil {
		return fmt.Errorf("redisstore: delete session: %w", err)
	}
	return nil
}

// RecordFailure implements ownership.Store with one script, so concurrent
// failures on several replicas each count.
func (s *Store) RecordFailure(ctx context.Context, key string, now time.Time, ttl time.Duration) (ownership.Failures, error) {
	ms := now.UnixMilli()
	n, err := s.scripts.throttle.Run(ctx, s.rdb, []string{s.k.throttle(key)},
		ms, now.Add(ttl).UnixMilli(), max(ttl.Milliseconds(), 1)).Int()
	if err != nil {
		return ownership.Failures{}, fmt.Errorf("redisstore: record failure: %w", err)
	}
	return ownership.Failures{Count: n, Last: time.UnixMilli(ms).UTC()}, nil
}

// Failures implements ownership.Store.
func (s *Store) Failures(ctx context.Context, key string, now time.Time) (ownership.Failures, error) {
	v, err := s.rdb.HMGet(ctx, s.k.throttle(key), "n", "last", "exp").Result()
	if err != nil {
		return ownership.Failures{}, fmt.Errorf("redisstore: failures: %w", err)
	}
	var f [3]int64
	for i := range f {
		raw, _ := v[i].(string)
		if f[i], err = strconv.ParseInt(raw, 10, 64); err != nil {
			return ownership.Failures{}, nil // none
		}
	}
	if f[2] <= now.UnixMilli() {
		return ownership.Failures{}, nil
	}
	return ownership.Failures{Count: int(f[0]), Last: time.UnixMilli(f[1]).UTC()}, nil
}

// ClearFailures implements ownership.Store.
func (s *Store) ClearFailures(ctx context.Context, key string) error {
	if err := s.rdb.Del(ctx, s.k.throttle(key)).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("redisstore: clear failures: %w", err)
	}
	return nil
}
