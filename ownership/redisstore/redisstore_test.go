package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/storetest"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// testAddr is the Redis the tests use: INTAKE_TEST_REDIS_ADDR or the local
// default.
func testAddr() string {
	if a := os.Getenv("INTAKE_TEST_REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

// testClient returns a raw client to the test Redis, or skips the test
// (fails it when INTAKE_REQUIRE_REDIS=1) if Redis cannot be reached.
func testClient(tb testing.TB) *redis.Client {
	tb.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: testAddr(), DialTimeout: time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		msg := fmt.Sprintf("!!! Redis not reachable at %s (%v): redisstore tests NOT RUN; set INTAKE_TEST_REDIS_ADDR, or INTAKE_REQUIRE_REDIS=1 to fail instead", testAddr(), err)
		if os.Getenv("INTAKE_REQUIRE_REDIS") == "1" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	return rdb
}

// newTestStore opens a store under a fresh random prefix and deletes its
// keys when the test ends.
func newTestStore(tb testing.TB) (*Store, string) {
	tb.Helper()
	rdb := testClient(tb)
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "test-" + hex.EncodeToString(b[:])
	tb.Cleanup(func() {
		deleteKeys(tb, rdb, prefix)
		_ = rdb.Close()
	})
	s, err := Open(context.Background(), storeURL(prefix), nil)
	require.NoError(tb, err)
	return s, prefix
}

func storeURL(prefix string) string { return "redis://" + testAddr() + "/0?prefix=" + prefix }

func deleteKeys(tb testing.TB, rdb *redis.Client, prefix string) {
	ctx := context.Background()
	keys := scanKeys(tb, rdb, prefix)
	for len(keys) > 0 {
		n := min(len(keys), 500)
		if err := rdb.Del(ctx, keys[:n]...).Err(); err != nil {
			tb.Errorf("cleanup of %s: %v", prefix, err)
			return
		}
		keys = keys[n:]
	}
}

func scanKeys(tb testing.TB, rdb *redis.Client, prefix string) []string {
	var keys []string
	it := rdb.Scan(context.Background(), 0, "{"+prefix+"}:*", 1000).Iterator()
	for it.Next(context.Background()) {
		keys = append(keys, it.Val())
	}
	if err := it.Err(); err != nil {
		tb.Errorf("scan %s: %v", prefix, err)
	}
	return keys
}

func TestConformance(t *testing.T) {
	storetest.RunTests(t, func(t *testing.T) ownership.Store {
		s, _ := newTestStore(t)
		return s
	})
}

func TestParseURL(t *testing.T) {
	opts, prefix, err := parseURL("redis://127.0.0.1:6380/2?prefix=acme&dial_timeout=3s")
	require.NoError(t, err)
	require.Equal(t, "acme", prefix)
	require.Equal(t, "127.0.0.1:6380", opts.Addr)
	require.Equal(t, 2, opts.DB)
	require.Equal(t, 3*time.Second, opts.DialTimeout)

	_, prefix, err = parseURL("redis://127.0.0.1:6379/0")
	require.NoError(t, err)
	require.Equal(t, DefaultPrefix, prefix)

	_, _, err = parseURL("redis://127.0.0.1:6379/0?bogus=1")
	require.Error(t, err)
	for _, bad := range []string{"", "a{b", "a}b", "a*", "a b"} {
		_, err := newKeys(bad)
		require.Error(t, err, "prefix %q", bad)
	}
	_, err = Open(context.Background(), "redis://127.0.0.1:6379/0?prefix=a%7Bb", nil)
	require.Error(t, err)
}

func TestSchemaVersion(t *testing.T) {
	ctx := context.Background()
	s, prefix := newTestStore(t)
	defer s.Close()
	rdb := testClient(t)
	defer rdb.Close()
	v, err := rdb.Get(ctx, "{"+prefix+"}:schema").Result()
	require.NoError(t, err)
	require.Equal(t, strconv.Itoa(ownership.SchemaVersion), v)

	again, err := Open(ctx, storeURL(prefix), nil)
	require.NoError(t, err, "reopening the same schema")
	require.NoError(t, again.Close())

	require.NoError(t, rdb.Set(ctx, "{"+prefix+"}:schema", ownership.SchemaVersion+1, 0).Err())
	_, err = Open(ctx, storeURL(prefix), nil)
	require.ErrorContains(t, err, "newer")
	require.NoError(t, rdb.Set(ctx, "{"+prefix+"}:schema", "garbage", 0).Err())
	_, err = Open(ctx, storeURL(prefix), nil)
	require.Error(t, err)
}

// crc16 is the CRC16-CCITT (XMODEM) Redis Cluster hashes keys with.
func crc16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc ^= uint16(c) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// slot is the Redis Cluster hash slot of key, honouring {hash tags}.
func slot(key string) uint16 {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	return crc16([]byte(key)) % 16384
}

func sampleTicket(owner string) ownership.Ticket {
	t0 := time.Date(2026, 3, 6, 14, 30, 0, 0, time.UTC)
	return ownership.Ticket{Subject: "x", Status: ownership.StatusOpen, Priority: ownership.PriorityNormal,
		Channel: "sms{1}", Owner: owner, Org: "}org{", Contact: ownership.Contact{Email: "a{b}@x.test", Phone: "+1555", SlackUser: "U{"},
		CreatedAt: t0, UpdatedAt: t0, AssignedAt: t0}
}

// TestKeySlots checks that every key the scripts touch for a sample ticket
// hashes to the installation's one cluster slot, statically (the keys the
// Go side builds, hostile names included) and on a live run (every key
// written).
func TestKeySlots(t *testing.T) {
	require.Equal(t, uint16(0x31C3), crc16([]byte("123456789")), "CRC16/XMODEM check value")
	require.Equal(t, slot("user1000"), slot("{user1000}.following"))

	ctx := context.Background()
	s, prefix := newTestStore(t)
	defer s.Close()
	want := slot("{" + prefix + "}")

	create, err := s.createCall(ownership.CreateRequest{Ticket: sampleTicket("d{a}na"), DedupKey: "sms:{SM1}", Events: []ownership.Event{{Type: ownership.EventNote}}})
	require.NoError(t, err)
	next := sampleTicket("}lee")
	next.ID, next.Version = "T-1", 1
	update, err := s.updateCall(ownership.UpdateRequest{Ticket: next, DedupKey: "{x}", OpID: "op"})
	require.NoError(t, err)
	keys := append(append([]string{}, create.keys...), update.keys...)
	keys = append(keys, s.k.ticket(1), s.k.ticketIdx(1), s.k.events(1), s.k.op("tok"), s.k.schema(), s.k.avail(),
		s.k.idxStatus(ownership.StatusClosed), s.k.idxOwner("{"), s.k.idxContact("email:}"))
	for _, k := range keys {
		require.Equal(t, want, slot(k), "key %q", k)
	}

	tk, _, err := s.CreateTicket(ctx, ownership.CreateRequest{Ticket: sampleTicket("d{a}na"), DedupKey: "sms:{SM1}", Events: []ownership.Event{{Type: ownership.EventNote}}})
	require.NoError(t, err)
	next = tk
	next.Owner = "}lee"
	_, err = s.UpdateTicket(ctx, ownership.UpdateRequest{Ticket: next, DedupKey: "{x}", OpID: "op", Events: []ownership.Event{{Type: ownership.EventAssigned}}})
	require.NoError(t, err)
	require.NoError(t, s.SetAvailability(ctx, "kim", "away"))
	rdb := testClient(t)
	defer rdb.Close()
	written := scanKeys(t, rdb, prefix)
	require.Contains(t, written, s.k.ticket(1))
	require.Contains(t, written, s.k.events(1))
	require.Contains(t, written, s.k.dedup("{x}"))
	for _, k := range written {
		require.Equal(t, want, slot(k), "key %q", k)
	}
}

// TestRetryIdempotent sends the very same script call twice, as go-redis
// does when the reply to the first was lost after Redis ran it.
func TestRetryIdempotent(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	defer s.Close()
	evs := []ownership.Event{{Type: ownership.EventMessageIn, Actor: "pat", Body: "help"}, {Type: ownership.EventAssigned, To: "dana"}}

	for _, dedup := range []string{"sms:SM1", ""} {
		c, err := s.createCall(ownership.CreateRequest{Ticket: sampleTicket("dana"), Events: evs, DedupKey: dedup})
		require.NoError(t, err)
		first, created1, err := s.runCreate(ctx, c)
		require.NoError(t, err)
		again, created2, err := s.runCreate(ctx, c)
		require.NoError(t, err)
		require.True(t, created1 && created2, "a retried create reports what the first run did")
		require.Equal(t, first, again)
	}
	p, err := s.List(ctx, ownership.Filter{})
	require.NoError(t, err)
	require.Len(t, p.Tickets, 2, "one ticket per create, retries included")
	st, err := s.RepStates(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, st["dana"].Open)

	_, created, err := s.CreateTicket(ctx, ownership.CreateRequest{Ticket: sampleTicket("dana"), DedupKey: "sms:SM1"})
	require.NoError(t, err)
	require.False(t, created, "a new call with a known dedup key is a duplicate")

	tk, err := s.Ticket(ctx, "T-1")
	require.NoError(t, err)
	for i, opID := range []string{"op-1", ""} { // "" gets a random OpID
		next := tk
		next.Owner = fmt.Sprintf("lee%d", i)
		c, err := s.updateCall(ownership.UpdateRequest{Ticket: next, OpID: opID, DedupKey: fmt.Sprintf("sms:SM%d", 10+i),
			Events: []ownership.Event{{Type: ownership.EventAssigned, To: next.Owner}}})
		require.NoError(t, err)
		first, err := s.runUpdate(ctx, c, tk.ID)
		require.NoError(t, err)
		again, err := s.runUpdate(ctx, c, tk.ID)
		require.NoError(t, err, "a retried update is not a conflict or duplicate")
		require.Equal(t, first, again)
		tk = first
	}
	require.Equal(t, int64(3), tk.Version)
	got, err := s.Events(ctx, "T-1")
	require.NoError(t, err)
	require.Len(t, got, 4)
	for i, e := range got {
		require.Equal(t, int64(i+1), e.Seq)
	}
	st, err = s.RepStates(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, st["dana"].Open)
	require.Equal(t, 0, st["lee0"].Open)
	require.Equal(t, 1, st["lee1"].Open)
}

// TestListUnion pages through a union of status zsets and a filter applied
// after the index.
func TestListUnion(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	defer s.Close()
	statuses := []ownership.Status{ownership.StatusOpen, ownership.StatusPending, ownership.StatusResolved}
	var want []int64
	for i := 1; i <= 30; i++ {
		tk := sampleTicket([]string{"dana", "lee"}[i%2])
		tk.Status = statuses[i%3]
		_, _, err := s.CreateTicket(ctx, ownership.CreateRequest{Ticket: tk})
		require.NoError(t, err)
		if i%3 != 2 && i%2 == 0 {
			want = append([]int64{int64(i)}, want...)
		}
	}
	f := ownership.Filter{Statuses: []ownership.Status{ownership.StatusOpen, ownership.StatusPending, ownership.StatusOpen}, Owner: "dana", Limit: 3}
	var got []int64
	for pages := 0; pages < 20; pages++ {
		p, err := s.List(ctx, f)
		require.NoError(t, err)
		for _, tk := range p.Tickets {
			got = append(got, tk.Number)
		}
		if p.Next == "" {
			break
		}
		f.Cursor = p.Next
	}
	require.Equal(t, want, got)
}

func TestDurability(t *testing.T) {
	s, _ := newTestStore(t)
	defer s.Close()
	aof, fsync, err := s.Durability(context.Background())
	require.NoError(t, err)
	require.Contains(t, []string{"always", "everysec", "no"}, fsync)
	t.Logf("appendonly=%v appendfsync=%s", aof, fsync)
}

// BenchmarkCreateTicket creates tickets from parallel goroutines, each with
// two events, a unique dedup key and one of five owners.
func BenchmarkCreateTicket(b *testing.B) {
	ctx := context.Background()
	s, _ := newTestStore(b)
	defer s.Close()
	reps := []string{"dana", "lee", "kim", "sam", "ari"}
	var seq atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			owner := reps[mrand.IntN(len(reps))]
			n := seq.Add(1)
			_, _, err := s.CreateTicket(ctx, ownership.CreateRequest{
				Ticket:   sampleTicket(owner),
				Events:   []ownership.Event{{Type: ownership.EventMessageIn, Actor: "pat", Body: "help"}, {Type: ownership.EventAssigned, Actor: "router", To: owner}},
				DedupKey: "bench:" + strconv.FormatInt(n, 10),
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tickets/s")
}
