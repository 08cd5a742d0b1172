package redisstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/intakehq/intake/ownership"
	"github.com/redis/go-redis/v9"
)

const (
	defaultLimit = 50
	maxLimit     = 1000
	maxBatch     = 1000 // candidates fetched per round trip, at most
)

// List returns the tickets matching f, newest first. It walks the smallest
// index zset (or union of status zsets) that covers the filter, from the
// cursor down, and applies the rest of the filter to the tickets it reads.
// Page.Next is the number of the last ticket returned; it is "" exactly
// when no further ticket matches.
func (s *Store) List(ctx context.Context, f ownership.Filter) (ownership.Page, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = defaultLimit
	}
	limit = min(limit, maxLimit)
	upper := "+inf"
	if f.Cursor != "" {
		n, err := strconv.ParseInt(f.Cursor, 10, 64)
		if err != nil || n <= 0 {
			return ownership.Page{}, fmt.Errorf("redisstore: list: cursor %q is not one this store returned", f.Cursor)
		}
		upper = "(" + f.Cursor
	}
	src, err := s.source(ctx, f)
	if err != nil {
		return ownership.Page{}, fmt.Errorf("redisstore: list: %w", err)
	}
	var out []ownership.Ticket
	batch := limit + 1 // one more than a page tells whether there is a next one
	for len(out) <= limit {
		nums, more, err := s.candidates(ctx, src, upper, batch)
		if err != nil {
			return ownership.Page{}, fmt.Errorf("redisstore: list: %w", err)
		}
		ts, err := s.tickets(ctx, nums)
		if err != nil {
			return ownership.Page{}, fmt.Errorf("redisstore: list: %w", err)
		}
		for _, t := range ts {
			if match(f, t) {
				out = append(out, t)
			}
		}
		if !more {
			break
		}
		upper = "(" + strconv.FormatInt(nums[len(nums)-1], 10)
		batch = min(batch*2, maxBatch)
	}
	var p ownership.Page
	if len(out) > limit {
		out = out[:limit]
		p.Next = strconv.FormatInt(out[limit-1].Number, 10)
	}
	p.Tickets = out
	return p, nil
}

// source picks the index zsets to walk: of the indexes the filter names,
// the one with the fewest members; idx:all when it names none.
func (s *Store) source(ctx context.Context, f ownership.Filter) ([]string, error) {
	var opts [][]string
	if len(f.Statuses) > 0 {
		var ks []string
		for _, st := range f.Statuses {
			if k := s.k.idxStatus(st); !slices.Contains(ks, k) {
				ks = append(ks, k)
			}
		}
		opts = append(opts, ks)
	}
	if f.Owner != "" {
		opts = append(opts, []string{s.k.idxOwner(f.Owner)})
	}
	if f.Channel != "" {
		opts = append(opts, []string{s.k.idxChannel(f.Channel)})
	}
	if f.Org != "" {
		opts = append(opts, []string{s.k.idxOrg(f.Org)})
	}
	if f.Contact != "" {
		opts = append(opts, []string{s.k.idxContact(f.Contact)})
	}
	switch len(opts) {
	case 0:
		return []string{s.k.idxAll()}, nil
	case 1:
		return opts[0], nil
	}
	cards := make([][]*redis.IntCmd, len(opts))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, ks := range opts {
			for _, k := range ks {
				cards[i] = append(cards[i], p.ZCard(ctx, k))
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("index sizes: %w", err)
	}
	best, bestN := 0, int64(-1)
	for i, cs := range cards {
		var n int64
		for _, c := range cs {
			n += c.Val()
		}
		if bestN < 0 || n < bestN {
			best, bestN = i, n
		}
	}
	return opts[best], nil
}

// candidates returns, newest first, ticket numbers below upper from the
// union of the zsets in src: up to batch from each, cut where the union is
// still complete. more reports whether lower numbers may remain.
func (s *Store) candidates(ctx context.Context, src []string, upper string, batch int) (nums []int64, more bool, _ error) {
	cmds := make([]*redis.StringSliceCmd, len(src))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range src {
			cmds[i] = p.ZRevRangeByScore(ctx, k, &redis.ZRangeBy{Max: upper, Min: "-inf", Count: int64(batch)})
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("read index: %w", err)
	}
	// A zset that filled its batch may hold more below its last member, so
	// the union is complete only down to the highest such last member.
	var floor int64
	for _, c := range cmds {
		for _, m := range c.Val() {
			n, err := strconv.ParseInt(m, 10, 64)
			if err != nil {
				return nil, false, fmt.Errorf("read index: member %q is not a ticket number", m)
			}
			nums = append(nums, n)
		}
		if len(c.Val()) == batch {
			more = true
			floor = max(floor, nums[len(nums)-1])
		}
	}
	slices.SortFunc(nums, func(a, b int64) int { return cmp.Compare(b, a) })
	nums = slices.Compact(nums)
	if i := slices.IndexFunc(nums, func(n int64) bool { return n < floor }); i >= 0 {
		nums = nums[:i]
	}
	return nums, more, nil
}

// tickets reads tickets by number, in order, skipping any that vanished.
func (s *Store) tickets(ctx context.Context, nums []int64) ([]ownership.Ticket, error) {
	cmds := make([]*redis.StringCmd, len(nums))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, n := range nums {
			cmds[i] = p.HGet(ctx, s.k.ticket(n), "json")
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read tickets: %w", err)
	}
	out := make([]ownership.Ticket, 0, len(nums))
	for i, c := range cmds {
		js, err := c.Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read ticket T-%d: %w", nums[i], err)
		}
		t, err := decodeTicket(js)
		if err != nil {
			return nil, fmt.Errorf("read ticket T-%d: %w", nums[i], err)
		}
		out = append(out, t)
	}
	return out, nil
}

// match applies the whole filter to one ticket. Unowned selects tickets
// that are not closed and have no owner: the broken invariant an audit
// looks for (a closed ticket may legitimately have none).
func match(f ownership.Filter, t ownership.Ticket) bool {
	switch {
	case len(f.Statuses) > 0 && !slices.Contains(f.Statuses, t.Status),
		f.Owner != "" && t.Owner != f.Owner,
		f.Unowned && (t.Owner != "" || t.Status == ownership.StatusClosed),
		f.Channel != "" && t.Channel != f.Channel,
		f.Org != "" && t.Org != f.Org,
		f.Contact != "" && !slices.Contains(t.Contact.Keys(), f.Contact),
		!f.Scope.Allows(t): // a rep's scope, applied while scanning
		return false
	}
	return true
}
