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

// The outbox. Each item is a hash (keys.go): the parts that never change
// as one JSON field written by Go, the rest as scalar fields the scripts
// update. Lua never encodes or decodes JSON; Go rebuilds an item from the
// fields (itemFromFields).

const (
	defaultOutboxLimit = 50
	maxOutboxLimit     = 1000
	// minClaimTTL bounds from below how long a claim call's record lives
	// (see claim.lua): long enough for go-redis to re-send it.
	minClaimTTL = 10 * time.Second
)

// obFixed is the immutable part of an item: the json field of its hash.
type obFixed struct {
	ID        string            `json:"id"`
	Channel   string            `json:"channel"`
	To        string            `json:"to"`
	Subject   string            `json:"subject,omitempty"`
	Body      string            `json:"body"`
	Purpose   ownership.Purpose `json:"purpose"`
	Headers   map[string]string `json:"headers,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
}

// obFields are the item hash fields read back, in the order claim.lua
// returns them after the id.
var obFields = []string{"ticket", "json", "state", "attempts", "next_at", "lease_until", "last_error", "provider_ref", "updated_at"}

// outboxArgs returns the item keys and the script arguments (OB_ARGS per
// item, see scripts/outbox_lib.lua) that enqueue items.
func (s *Store) outboxArgs(items []ownership.OutboxItem) (ks []string, args []any, _ error) {
	for i, it := range items {
		if it.ID == "" {
			return nil, nil, fmt.Errorf("outbox item %d has no ID", i+1)
		}
		fixed, err := json.Marshal(obFixed{ID: it.ID, Channel: it.Channel, To: it.To, Subject: it.Subject, Body: it.Body,
			Purpose: it.Purpose, Headers: it.Headers, CreatedAt: it.CreatedAt.UTC()})
		if err != nil {
			return nil, nil, fmt.Errorf("encode outbox item %q: %w", it.ID, err)
		}
		ks = append(ks, s.k.obItem(it.ID))
		args = append(args, it.ID, it.TicketID, string(fixed), strconv.Itoa(it.Attempts), timeText(it.NextAt),
			it.LastError, it.ProviderRef, timeText(it.UpdatedAt), ms(it.NextAt), ms(it.CreatedAt))
	}
	return ks, args, nil
}

// Enqueue stores the items not stored yet, pending, in one script.
func (s *Store) Enqueue(ctx context.Context, items ...ownership.OutboxItem) error {
	c, err := s.enqueueCall(items)
	if err != nil {
		return err
	}
	if len(items) == 0 {
		return nil
	}
	if _, _, err := reply(s.scripts.enqueue.Run(ctx, s.rdb, c.keys, c.args...).Result()); err != nil {
		return fmt.Errorf("redisstore: enqueue: %w", err)
	}
	return nil
}

func (s *Store) enqueueCall(items []ownership.OutboxItem) (call, error) {
	ks, args, err := s.outboxArgs(items)
	if err != nil {
		return call{}, fmt.Errorf("redisstore: enqueue: %w", err)
	}
	return call{keys: append([]string{s.k.obDue(), s.k.obAll(), s.k.obState(ownership.OutboxPending)}, ks...), args: args}, nil
}

// ClaimOutbox claims due items in one script (scripts/claim.lua).
func (s *Store) ClaimOutbox(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]ownership.OutboxItem, error) {
	if limit <= 0 {
		return nil, nil
	}
	c, err := s.claimCall(now, lease, limit)
	if err != nil {
		return nil, err
	}
	return s.runClaim(ctx, c)
}

func (s *Store) claimCall(now time.Time, lease time.Duration, limit int) (call, error) {
	token, err := newToken()
	if err != nil {
		return call{}, fmt.Errorf("redisstore: claim outbox: %w", err)
	}
	until := now.Add(lease)
	ttl := max(lease, minClaimTTL)
	return call{
		keys: []string{s.k.obDue(), s.k.obLease(), s.k.obState(ownership.OutboxPending), s.k.obState(ownership.OutboxSending),
			s.k.obAll(), s.k.obClaim(token)},
		args: []any{s.k.p, ms(now), limit, ms(until), timeText(until), timeText(now), ttl.Milliseconds()},
	}, nil
}

func (s *Store) runClaim(ctx context.Context, c call) ([]ownership.OutboxItem, error) {
	v, err := s.scripts.claim.Run(ctx, s.rdb, c.keys, c.args...).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstore: claim outbox: %w", err)
	}
	rows, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("redisstore: claim outbox: unexpected script reply %v", v)
	}
	out := make([]ownership.OutboxItem, 0, len(rows))
	for _, r := range rows {
		vals, ok := r.([]any)
		if !ok || len(vals) != 1+len(obFields) {
			return nil, fmt.Errorf("redisstore: claim outbox: unexpected script reply %v", r)
		}
		id, _ := vals[0].(string)
		it, err := itemFromFields(id, vals[1:])
		if err != nil {
			return nil, fmt.Errorf("redisstore: claim outbox: %w", err)
		}
		out = append(out, it)
	}
	return out, nil
}

// FinishOutbox records the end of an attempt in one script
// (scripts/finish.lua). An unknown id is ErrNotFound, and ErrConflict as
// well (no item is sending with that attempt).
func (s *Store) FinishOutbox(ctx context.Context, id string, attempt int, r ownership.OutboxResult) error {
	c, err := s.finishCall(id, attempt, r)
	if err != nil {
		return err
	}
	return s.runFinish(ctx, c, id)
}

func (s *Store) finishCall(id string, attempt int, r ownership.OutboxResult) (call, error) {
	from := ownership.OutboxSending
	if attempt == 0 { // out of band: sent → dead, or dead → pending
		from = ownership.OutboxSent
		if r.State == ownership.OutboxPending {
			from = ownership.OutboxDead
		}
	}
	switch r.State {
	case ownership.OutboxSent, ownership.OutboxPending, ownership.OutboxDead:
	default:
		return call{}, fmt.Errorf("redisstore: finish outbox item %q: result state %q: want %s, %s or %s",
			id, r.State, ownership.OutboxSent, ownership.OutboxPending, ownership.OutboxDead)
	}
	token, err := newToken()
	if err != nil {
		return call{}, fmt.Errorf("redisstore: finish outbox item %q: %w", id, err)
	}
	return call{
		keys: []string{s.k.obItem(id), s.k.obDue(), s.k.obLease(), s.k.obState(from), s.k.obState(r.State), s.k.obAll()},
		args: []any{id, strconv.Itoa(attempt), r.State, timeText(r.NextAt), ms(r.NextAt), r.Error, r.ProviderRef, timeText(r.At), token},
	}, nil
}

func (s *Store) runFinish(ctx context.Context, c call, id string) error {
	tag, _, err := reply(s.scripts.finish.Run(ctx, s.rdb, c.keys, c.args...).Result())
	if err != nil {
		return fmt.Errorf("redisstore: finish outbox item %q: %w", id, err)
	}
	switch tag {
	case tagOK:
		return nil
	case tagNotFound:
		return fmt.Errorf("redisstore: finish outbox item %q: %w: %w", id, ownership.ErrNotFound, ownership.ErrConflict)
	case tagConflict:
		return fmt.Errorf("redisstore: finish outbox item %q: not sending at attempt %s: %w", id, c.args[1], ownership.ErrConflict)
	}
	return fmt.Errorf("redisstore: finish outbox item %q: unexpected script reply %q", id, tag)
}

// OutboxItem returns one item.
func (s *Store) OutboxItem(ctx context.Context, id string) (ownership.OutboxItem, error) {
	vals, err := s.rdb.HMGet(ctx, s.k.obItem(id), obFields...).Result()
	if err != nil {
		return ownership.OutboxItem{}, fmt.Errorf("redisstore: outbox item %q: %w", id, err)
	}
	if vals[1] == nil {
		return ownership.OutboxItem{}, fmt.Errorf("redisstore: outbox item %q: %w", id, ownership.ErrNotFound)
	}
	it, err := itemFromFields(id, vals)
	if err != nil {
		return ownership.OutboxItem{}, fmt.Errorf("redisstore: outbox item %q: %w", id, err)
	}
	return it, nil
}

// ListOutbox returns items newest (latest CreatedAt, at millisecond
// granularity; ties: the greater ID) first; limit <= 0 means 50, and at
// most 1000.
func (s *Store) ListOutbox(ctx context.Context, state string, limit int) ([]ownership.OutboxItem, error) {
	if limit <= 0 {
		limit = defaultOutboxLimit
	}
	limit = min(limit, maxOutboxLimit)
	src := s.k.obAll()
	if state != "" {
		src = s.k.obState(state)
	}
	ids, err := s.rdb.ZRevRange(ctx, src, 0, int64(limit-1)).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstore: list outbox: %w", err)
	}
	cmds := make([]*redis.SliceCmd, len(ids))
	if len(ids) > 0 {
		_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, id := range ids {
				cmds[i] = p.HMGet(ctx, s.k.obItem(id), obFields...)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("redisstore: list outbox: %w", err)
		}
	}
	out := make([]ownership.OutboxItem, 0, len(ids))
	for i, c := range cmds {
		vals := c.Val()
		if len(vals) != len(obFields) || vals[1] == nil {
			continue // vanished
		}
		it, err := itemFromFields(ids[i], vals)
		if err != nil {
			return nil, fmt.Errorf("redisstore: list outbox: %w", err)
		}
		out = append(out, it)
	}
	return out, nil
}

// SetFlag stores value under key; "" deletes it.
func (s *Store) SetFlag(ctx context.Context, key, value string) error {
	var err error
	if value == "" {
		err = s.rdb.Del(ctx, s.k.flag(key)).Err()
	} else {
		err = s.rdb.Set(ctx, s.k.flag(key), value, 0).Err()
	}
	if err != nil {
		return fmt.Errorf("redisstore: set flag %q: %w", key, err)
	}
	return nil
}

// Flag returns the value under key, "" when there is none.
func (s *Store) Flag(ctx context.Context, key string) (string, error) {
	v, err := s.rdb.Get(ctx, s.k.flag(key)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("redisstore: read flag %q: %w", key, err)
	}
	return v, nil
}

// itemFromFields rebuilds item id from its hash fields, in obFields order.
func itemFromFields(id string, vals []any) (ownership.OutboxItem, error) {
	f := make([]string, len(obFields))
	for i, v := range vals {
		f[i], _ = v.(string) // a missing field reads as ""
	}
	var fixed obFixed
	if err := json.Unmarshal([]byte(f[1]), &fixed); err != nil {
		return ownership.OutboxItem{}, fmt.Errorf("decode outbox item %q: %w", id, err)
	}
	it := ownership.OutboxItem{ID: fixed.ID, TicketID: f[0], Channel: fixed.Channel, To: fixed.To, Subject: fixed.Subject,
		Body: fixed.Body, Purpose: fixed.Purpose, Headers: fixed.Headers, State: f[2], LastError: f[6], ProviderRef: f[7], CreatedAt: fixed.CreatedAt}
	var err error
	if it.Attempts, err = strconv.Atoi(f[3]); err != nil {
		return ownership.OutboxItem{}, fmt.Errorf("decode outbox item %q: attempts %q: %w", id, f[3], err)
	}
	for _, p := range []struct {
		dst *time.Time
		src string
	}{{&it.NextAt, f[4]}, {&it.LeaseUntil, f[5]}, {&it.UpdatedAt, f[8]}} {
		if *p.dst, err = parseTimeText(p.src); err != nil {
			return ownership.OutboxItem{}, fmt.Errorf("decode outbox item %q: %w", id, err)
		}
	}
	return it, nil
}

// timeText is a time as stored in an item hash: RFC 3339 with nanoseconds
// in UTC, "" for the zero time.
func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func parseTimeText(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q: %w", s, err)
	}
	return t, nil
}

// ms is a time as a zset score: unix milliseconds (exact in a float64 for
// any year a helpdesk will see).
func ms(t time.Time) int64 { return t.UnixMilli() }
