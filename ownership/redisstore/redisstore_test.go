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
	"sync"
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

// skipOrFail skips the test with a loud message, or fails it when
// INTAKE_REQUIRE_REDIS=1.
func skipOrFail(tb testing.TB, msg string) {
	tb.Helper()
	if os.Getenv("INTAKE_REQUIRE_REDIS") == "1" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
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
		skipOrFail(tb, fmt.Sprintf("!!! Redis not reachable at %s (%v): redisstore tests NOT RUN; set INTAKE_TEST_REDIS_ADDR, or INTAKE_REQUIRE_REDIS=1 to fail instead", testAddr(), err))
	}
	return rdb
}

// newTestStore opens a store on the test Redis under a fresh random prefix
// and deletes its keys when the test ends.
func newTestStore(tb testing.TB) (*Store, string) {
	tb.Helper()
	return openTestStore(tb, testClient(tb), "redis://"+testAddr()+"/0")
}

// openTestStore opens a store at baseURL (no query, or one without prefix)
// under a fresh random prefix; rdb, which it closes, deletes the prefix's
// keys when the test ends.
func openTestStore(tb testing.TB, rdb redis.UniversalClient, baseURL string) (*Store, string) {
	tb.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "test-" + hex.EncodeToString(b[:])
	tb.Cleanup(func() {
		deleteKeys(tb, rdb, prefix)
		_ = rdb.Close()
	})
	sep := "?"
	if strings.Contains(baseURL, "?") {
		sep = "&"
	}
	s, err := Open(context.Background(), baseURL+sep+"prefix="+prefix, nil)
	require.NoError(tb, err)
	return s, prefix
}

func storeURL(prefix string) string { return "redis://" + testAddr() + "/0?prefix=" + prefix }

// deleteKeys deletes every key of prefix. They share one slot, so one DEL
// per batch works on a cluster too.
func deleteKeys(tb testing.TB, rdb redis.UniversalClient, prefix string) {
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

// scanKeys returns every key of prefix; on a cluster it scans every master
// (only the one owning the prefix's slot has any).
func scanKeys(tb testing.TB, rdb redis.UniversalClient, prefix string) []string {
	ctx := context.Background()
	var (
		mu   sync.Mutex
		keys []string
	)
	scan := func(ctx context.Context, c *redis.Client) error {
		it := c.Scan(ctx, 0, "{"+prefix+"}:*", 1000).Iterator()
		for it.Next(ctx) {
			mu.Lock()
			keys = append(keys, it.Val())
			mu.Unlock()
		}
		return it.Err()
	}
	var err error
	switch c := rdb.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(ctx, scan)
	case *redis.Client:
		err = scan(ctx, c)
	default:
		err = fmt.Errorf("scan: unsupported client %T", rdb)
	}
	if err != nil {
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

func sampleTicket(owner string) ownership.Ticket {
	t0 := time.Date(2026, 3, 6, 14, 30, 0, 0, time.UTC)
	return ownership.Ticket{Subject: "x", Status: ownership.StatusOpen, Priority: ownership.PriorityNormal,
		Channel: "sms{1}", Owner: owner, Org: "}org{", Contact: ownership.Contact{Email: "a{b}@x.test", Phone: "+1555", SlackUser: "U{"},
		CreatedAt: t0, UpdatedAt: t0, AssignedAt: t0}
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
