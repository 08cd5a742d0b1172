package redisstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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

func TestCluster(t *testing.T) {
	ctx := context.Background()
	addrs := startCluster(t)
	base := "redis://" + addrs[0] + "?cluster=true&addr=" + addrs[1] + "&addr=" + addrs[2]
	newClient := func() redis.UniversalClient { return redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs}) }

	// Without cluster=true, a prefix whose slot another node owns fails
	// with MOVED; with it, the same prefix works.
	var moved string
	for i := 0; i < 30 && moved == ""; i++ {
		prefix := fmt.Sprintf("moved-%d", i)
		if _, err := Open(ctx, "redis://"+addrs[0]+"?prefix="+prefix, nil); err != nil && strings.Contains(err.Error(), "MOVED") {
			moved = prefix
		}
	}
	require.NotEmpty(t, moved, "no prefix hashed to another node")
	s, err := Open(ctx, base+"&prefix="+moved, nil)
	require.NoError(t, err)
	_, _, err = s.CreateTicket(ctx, ownership.CreateRequest{Ticket: sampleTicket("dana")})
	require.NoError(t, err)
	_, fsync, err := s.Durability(ctx)
	require.NoError(t, err, "durability on a cluster")
	require.Contains(t, []string{"always", "everysec", "no"}, fsync)
	require.NoError(t, s.Close())
	deleteKeys(t, newClient(), moved)

	storetest.RunTests(t, func(t *testing.T) ownership.Store {
		s, _ := openTestStore(t, newClient(), base)
		return s
	})
}

// startCluster starts a 3-master Redis Cluster from the redis-server binary
// on free ports and returns its node addresses; the nodes are killed when
// the test ends.
func startCluster(t *testing.T) []string {
	server, err1 := exec.LookPath("redis-server")
	cli, err2 := exec.LookPath("redis-cli")
	if err1 != nil || err2 != nil {
		skipOrFail(t, "!!! redis-server or redis-cli not in PATH: Redis Cluster test NOT RUN; set INTAKE_REQUIRE_REDIS=1 to fail instead")
	}
	dir := t.TempDir()
	var addrs []string
	for range 3 {
		p := freeClusterPort(t)
		cmd := exec.Command(server, "--port", p, "--bind", "127.0.0.1", "--cluster-enabled", "yes",
			"--cluster-config-file", filepath.Join(dir, "nodes-"+p+".conf"), "--save", "", "--appendonly", "no", "--dir", dir)
		require.NoError(t, cmd.Start())
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		addrs = append(addrs, "127.0.0.1:"+p)
	}
	nodeInfo := func(addr string) string {
		c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
		defer c.Close()
		return c.ClusterInfo(context.Background()).Val()
	}
	for _, a := range addrs {
		require.Eventually(t, func() bool { return nodeInfo(a) != "" }, 5*time.Second, 20*time.Millisecond, "node %s did not start", a)
	}
	out, err := exec.Command(cli, append(append([]string{"--cluster", "create"}, addrs...), "--cluster-replicas", "0", "--cluster-yes")...).CombinedOutput()
	require.NoError(t, err, "redis-cli --cluster create: %s", out)
	require.Eventually(t, func() bool {
		return !slices.ContainsFunc(addrs, func(a string) bool { return !strings.Contains(nodeInfo(a), "cluster_state:ok") })
	}, 10*time.Second, 50*time.Millisecond, "cluster_state never became ok")
	return addrs
}

// freeClusterPort returns a free port P whose cluster bus port P+10000 is
// free as well.
func freeClusterPort(t *testing.T) string {
	for range 100 {
		p := 20000 + mrand.IntN(20000)
		l1, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue
		}
		l2, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p+10000))
		_ = l1.Close()
		if err != nil {
			continue
		}
		_ = l2.Close()
		return strconv.Itoa(p)
	}
	t.Fatal("no free port pair for a cluster node")
	return ""
}

func TestParseURL(t *testing.T) {
	tg, err := parseURL("redis://127.0.0.1:6380/2?prefix=acme&dial_timeout=3s")
	require.NoError(t, err)
	require.Nil(t, tg.cluster)
	require.Equal(t, "acme", tg.prefix)
	require.Equal(t, "127.0.0.1:6380", tg.single.Addr)
	require.Equal(t, 2, tg.single.DB)
	require.Equal(t, 3*time.Second, tg.single.DialTimeout)
	require.Equal(t, "redis://127.0.0.1:6380", tg.display)

	tg, err = parseURL("redis://127.0.0.1:6379/0?cluster=false")
	require.NoError(t, err)
	require.Nil(t, tg.cluster)
	require.Equal(t, DefaultPrefix, tg.prefix)

	tg, err = parseURL("redis://ops:pw@10.0.0.1:7000/0?cluster=true&addr=10.0.0.2:7001&prefix=acme&addr=10.0.0.3:7002&dial_timeout=2s")
	require.NoError(t, err)
	require.Nil(t, tg.single)
	require.Equal(t, []string{"10.0.0.1:7000", "10.0.0.2:7001", "10.0.0.3:7002"}, tg.cluster.Addrs)
	require.Equal(t, "ops", tg.cluster.Username)
	require.Equal(t, "pw", tg.cluster.Password)
	require.Equal(t, 2*time.Second, tg.cluster.DialTimeout)
	require.Equal(t, "acme", tg.prefix)
	require.Equal(t, "redis://10.0.0.1:7000", tg.display)

	for _, bad := range []string{
		"redis://127.0.0.1:6379/0?bogus=1",
		"redis://127.0.0.1:7000/1?cluster=true",
		"redis://127.0.0.1:7000?cluster=true&db=1",
		"redis://127.0.0.1:7000?cluster=maybe",
		"unix:///tmp/redis.sock?cluster=true",
	} {
		_, err := parseURL(bad)
		require.Error(t, err, bad)
	}
	for _, bad := range []string{"", "a{b", "a}b", "a*", "a b"} {
		_, err := newKeys(bad)
		require.Error(t, err, "prefix %q", bad)
	}
	_, err = Open(context.Background(), "redis://127.0.0.1:6379/0?prefix=a%7Bb", nil)
	require.Error(t, err)
}

// TestOpenHidesSecrets checks that no error or log line of Open repeats the
// URL's password, whole or in part, for URLs that are malformed or that
// fail later.
func TestOpenHidesSecrets(t *testing.T) {
	const secret = "s3cr3t"
	for _, tc := range []struct{ url, shown string }{
		{"redis://:s3cr3t pass@db.example:6379/0", "redis://db.example:6379"},    // space in userinfo
		{"redis://:s3cr3t%zz@db.example:6379/0", "redis://db.example:6379"},      // bad escape
		{"redis://ops:s3cr3t\x7f@db.example:6379", "redis://db.example:6379"},    // control character
		{"redis://ops:s3cr3t/x@db.example:6379/0", unparseable},                  // unescaped '/' cuts the host short
		{"redis://:s3cr3t?x@db.example:6379", unparseable},                       // unescaped '?'
		{"redis://:s3cr3t#x@db.example:6379", unparseable},                       // unescaped '#'
		{"redis://:1234/s3cr3t@db.example:6379", unparseable},                    // … even when the rest parses
		{"redis://:s3cr3t@db.example:notaport/0", "redis://db.example:notaport"}, // bad port
		{"redis://:s3cr3t@db.example:6379/zero", "redis://db.example:6379"},      // bad database (go-redis)
		{"redis://:s3cr3t@db.example:6379/0?bogus=1", "redis://db.example:6379"},
		{"redis://:s3cr3t@db.example:6379/0?dial_timeout=s3cr3t", "redis://db.example:6379"},
		{"redis://:s3cr3t@db.example:6379/3?cluster=true", "redis://db.example:6379"},
		{"redis://:s3cr3t@db.example:6379?cluster=true&addr=nope", "redis://db.example:6379"},
		{"foo://:s3cr3t@db.example:6379", "foo://db.example:6379"},
		{"unix://:s3cr3t@/tmp/redis.sock?db=x", "unix:///tmp/redis.sock"},
		{":s3cr3t@db.example:6379", unparseable},
		{"redis://:s3cr3t@db.example:6379/0?prefix=a%7Bb", "redis://db.example:6379"},           // bad prefix
		{"redis://:s3cr3t@127.0.0.1:1/0?dial_timeout=1s&max_retries=-1", "redis://127.0.0.1:1"}, // ping fails
	} {
		var logs bytes.Buffer
		logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		_, err := Open(context.Background(), tc.url, logger)
		require.Error(t, err, tc.url)
		require.NotContains(t, err.Error(), secret, tc.url)
		require.NotContains(t, logs.String(), secret, tc.url)
		require.Contains(t, err.Error(), "open "+tc.shown+":", tc.url)
		t.Logf("%s\n\t→ %v", tc.url, err)
	}
}

// TestUpdateReplayAfterOtherUpdate: replica A's update is applied but its
// reply is lost, replica B updates the ticket, then A's script is sent
// again. The resend is a replay (the current ticket, nothing written), not
// a conflict.
func TestUpdateReplayAfterOtherUpdate(t *testing.T) {
	ctx := context.Background()
	s, prefix := newTestStore(t)
	defer s.Close()
	tk, _, err := s.CreateTicket(ctx, ownership.CreateRequest{Ticket: sampleTicket("dana")})
	require.NoError(t, err)

	a := tk
	a.Owner = "lee"
	reqA := ownership.UpdateRequest{Ticket: a, OpID: "a",
		Events: []ownership.Event{{Type: ownership.EventAssigned, Actor: "maria", From: "dana", To: "lee"}}}
	v2, err := s.UpdateTicket(ctx, reqA)
	require.NoError(t, err)
	require.Equal(t, int64(2), v2.Rev)

	b := v2
	b.Status = ownership.StatusPending
	reqB := ownership.UpdateRequest{Ticket: b, OpID: "b",
		Events: []ownership.Event{{Type: ownership.EventStatus, Actor: "lee", From: "open", To: "pending"}}}
	v3, err := s.UpdateTicket(ctx, reqB)
	require.NoError(t, err)
	require.Equal(t, int64(3), v3.Rev)

	again, err := s.UpdateTicket(ctx, reqA)
	require.NoError(t, err, "A re-sent after B's update is a replay, not a conflict")
	require.Equal(t, v3, again, "a replay answers with the current ticket")
	reqA.Ticket.Rev = 0 // a caller retrying without the revision
	again, err = s.UpdateTicket(ctx, reqA)
	require.NoError(t, err)
	require.Equal(t, v3, again)

	evs, err := s.Events(ctx, tk.ID)
	require.NoError(t, err)
	require.Len(t, evs, 2, "A's and B's events, once each")
	require.Equal(t, "lee", evs[0].To)
	require.Equal(t, "pending", evs[1].To)
	st, err := s.RepStates(ctx)
	require.NoError(t, err)
	require.Equal(t, 0, st["dana"].Open)
	require.Equal(t, 1, st["lee"].Open)

	rdb := testClient(t)
	defer rdb.Close()
	ttl, err := rdb.TTL(ctx, "{"+prefix+"}:op:a").Result()
	require.NoError(t, err)
	require.True(t, ttl > 23*time.Hour && ttl <= 24*time.Hour, "op key TTL %v", ttl)

	// An OpID reused on another ticket is not a replay of the first change.
	other, _, err := s.CreateTicket(ctx, ownership.CreateRequest{Ticket: sampleTicket("dana")})
	require.NoError(t, err)
	other.Owner = "kim"
	got, err := s.UpdateTicket(ctx, ownership.UpdateRequest{Ticket: other, OpID: "a"})
	require.NoError(t, err)
	require.Equal(t, int64(2), got.Rev)
	require.Equal(t, "kim", got.Owner)
}

func TestSchemaVersion(t *testing.T) {
	ctx := context.Background()
	s, prefix := newTestStore(t)
	defer s.Close()
	rdb := testClient(t)
	defer rdb.Close()
	key := "{" + prefix + "}:schema"
	stored := func() string {
		t.Helper()
		v, err := rdb.Get(ctx, key).Result()
		require.NoError(t, err)
		return v
	}
	require.Equal(t, "3", stored())
	require.Equal(t, strconv.Itoa(ownership.SchemaVersion), stored())

	again, err := Open(ctx, storeURL(prefix), nil)
	require.NoError(t, err, "reopening the same schema")
	require.NoError(t, again.Close())

	// A version-1 installation (no lease keys yet) is upgraded in place.
	require.NoError(t, rdb.Set(ctx, key, "1", 0).Err())
	upgraded, err := Open(ctx, storeURL(prefix), nil)
	require.NoError(t, err, "opening a version-1 installation")
	require.Equal(t, "3", stored())
	l, err := upgraded.AcquireLease(ctx, "imap:support", "replica-a", time.Now(), time.Minute)
	require.NoError(t, err)
	require.Equal(t, int64(1), l.Fence)
	require.NoError(t, upgraded.Close())

	for _, bad := range []struct{ value, err string }{
		{strconv.Itoa(ownership.SchemaVersion + 1), "newer"},
		{"garbage", "not a version"},
		{"0", "not a version"},
		{"", "not a version"},
	} {
		require.NoError(t, rdb.Set(ctx, key, bad.value, 0).Err())
		_, err = Open(ctx, storeURL(prefix), nil)
		require.ErrorContains(t, err, bad.err, "schema %q", bad.value)
		require.Equal(t, bad.value, stored(), "a refused schema %q is left as it is", bad.value)
	}
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

	now := time.Date(2026, 3, 6, 15, 0, 0, 0, time.UTC)
	item := func(id string) ownership.OutboxItem {
		return ownership.OutboxItem{ID: id, Channel: "sms", To: "+1555", Body: "hi", Purpose: "reply", NextAt: now, CreatedAt: now}
	}
	create, err := s.createCall(ownership.CreateRequest{Ticket: sampleTicket("d{a}na"), DedupKey: "sms:{SM1}", Events: []ownership.Event{{Type: ownership.EventNote}},
		Outbox: []ownership.OutboxItem{item("{ack}")}})
	require.NoError(t, err)
	next := sampleTicket("}lee")
	next.ID, next.Version = "T-1", 1
	update, err := s.updateCall(ownership.UpdateRequest{Ticket: next, DedupKey: "{x}", OpID: "op", Outbox: []ownership.OutboxItem{item("}reply{")}})
	require.NoError(t, err)
	enqueue, err := s.enqueueCall([]ownership.OutboxItem{item("a{b}c")})
	require.NoError(t, err)
	claim, err := s.claimCall(now, time.Minute, 10)
	require.NoError(t, err)
	finish, err := s.finishCall("{ack}", 1, ownership.OutboxResult{State: ownership.OutboxDead, At: now})
	require.NoError(t, err)
	acquire, err := s.acquireCall("imap:{support}", "replica-a", now, time.Minute)
	require.NoError(t, err)
	fenced := s.flagFencedCall("imap:{support}", 1, "imap:}uid", "42")
	keys := slices.Concat(create.keys, update.keys, enqueue.keys, claim.keys, finish.keys, acquire.keys, fenced.keys)
	keys = append(keys, s.k.ticket(1), s.k.ticketIdx(1), s.k.events(1), s.k.op("tok"), s.k.schema(), s.k.avail(),
		s.k.idxStatus(ownership.StatusClosed), s.k.idxOwner("{"), s.k.idxContact("email:}"),
		s.k.obItem("{"), s.k.obState(ownership.OutboxSent), s.k.obClaim("tok"), s.k.flag("{f}"))
	for _, k := range keys {
		require.Equal(t, want, slot(k), "key %q", k)
	}

	tk, _, err := s.CreateTicket(ctx, ownership.CreateRequest{Ticket: sampleTicket("d{a}na"), DedupKey: "sms:{SM1}", Events: []ownership.Event{{Type: ownership.EventNote}},
		Outbox: []ownership.OutboxItem{item("{ack}")}})
	require.NoError(t, err)
	next = tk
	next.Owner = "}lee"
	_, err = s.UpdateTicket(ctx, ownership.UpdateRequest{Ticket: next, DedupKey: "{x}", OpID: "op", Events: []ownership.Event{{Type: ownership.EventAssigned}},
		Outbox: []ownership.OutboxItem{item("}reply{")}})
	require.NoError(t, err)
	require.NoError(t, s.SetAvailability(ctx, "kim", "away"))
	later := item("later}")
	later.NextAt = now.Add(time.Hour)
	require.NoError(t, s.Enqueue(ctx, item("a{b}c"), later))
	got, err := s.ClaimOutbox(ctx, now, time.Minute, 3)
	require.NoError(t, err)
	require.Len(t, got, 3) // the third stays sending
	require.NoError(t, s.FinishOutbox(ctx, got[0].ID, 1, ownership.OutboxResult{State: ownership.OutboxDead, At: now}))
	require.NoError(t, s.FinishOutbox(ctx, got[1].ID, 1, ownership.OutboxResult{State: ownership.OutboxSent, At: now}))
	require.NoError(t, s.SetFlag(ctx, "optout:{+1555}", "1"))
	l, err := s.AcquireLease(ctx, "imap:{support}", "replica-a", now, time.Minute)
	require.NoError(t, err)
	require.NoError(t, s.SetFlagFenced(ctx, "imap:{support}", l.Fence, "imap:}uid", "42"))
	require.NoError(t, s.ReleaseLease(ctx, "imap:{support}", "replica-a", l.Fence))
	rdb := testClient(t)
	defer rdb.Close()
	written := scanKeys(t, rdb, prefix)
	for _, k := range []string{s.k.ticket(1), s.k.events(1), s.k.dedup("{x}"), s.k.obItem("{ack}"), s.k.obItem("}reply{"), s.k.obItem("a{b}c"),
		s.k.obDue(), s.k.obLease(), s.k.obAll(), s.k.obState(ownership.OutboxPending), s.k.obState(ownership.OutboxSent),
		s.k.obState(ownership.OutboxDead), s.k.flag("optout:{+1555}"), s.k.lease("imap:{support}"), s.k.flag("imap:}uid")} {
		require.Contains(t, written, k)
	}
	require.True(t, slices.ContainsFunc(written, func(k string) bool { return strings.HasPrefix(k, s.k.p+"obclaim:") }), "claim record written")
	for _, k := range written {
		require.Equal(t, want, slot(k), "key %q", k)
	}
}

// TestOutboxRetryIdempotent sends the very same claim, finish and
// enqueue-carrying create calls twice, as go-redis does when the reply to
// the first was lost after Redis ran it.
func TestOutboxRetryIdempotent(t *testing.T) {
	ctx := context.Background()
	s, prefix := newTestStore(t)
	defer s.Close()
	now := time.Date(2026, 3, 6, 15, 0, 0, 0, time.UTC)
	item := func(id string, due time.Time) ownership.OutboxItem {
		return ownership.OutboxItem{ID: id, Channel: "sms", To: "+1555", Body: "hi", Purpose: "reply", NextAt: due, CreatedAt: now}
	}

	c, err := s.createCall(ownership.CreateRequest{Ticket: sampleTicket("dana"), Outbox: []ownership.OutboxItem{item("ack", now)}})
	require.NoError(t, err)
	_, _, err = s.runCreate(ctx, c)
	require.NoError(t, err)
	_, _, err = s.runCreate(ctx, c)
	require.NoError(t, err)
	require.NoError(t, s.Enqueue(ctx, item("b", now.Add(time.Second)), item("c", now.Add(2*time.Second))))

	claim, err := s.claimCall(now.Add(time.Minute), time.Minute, 2)
	require.NoError(t, err)
	first, err := s.runClaim(ctx, claim)
	require.NoError(t, err)
	require.Equal(t, []string{"ack", "b"}, []string{first[0].ID, first[1].ID})
	again, err := s.runClaim(ctx, claim)
	require.NoError(t, err)
	require.Equal(t, first, again, "a re-sent claim answers with what it claimed")
	it, err := s.OutboxItem(ctx, "c")
	require.NoError(t, err)
	require.Equal(t, ownership.OutboxPending, it.State, "and claims nothing more")
	rdb := testClient(t)
	defer rdb.Close()
	ttl, err := rdb.PTTL(ctx, claim.keys[5]).Result()
	require.NoError(t, err)
	require.True(t, ttl > 0 && ttl <= time.Minute, "claim record TTL %v", ttl)

	fin, err := s.finishCall("ack", 1, ownership.OutboxResult{State: ownership.OutboxPending, NextAt: now.Add(time.Hour), Error: "503", At: now.Add(time.Minute)})
	require.NoError(t, err)
	require.NoError(t, s.runFinish(ctx, fin, "ack"))
	require.NoError(t, s.runFinish(ctx, fin, "ack"), "a re-sent finish is not a conflict")
	it, err = s.OutboxItem(ctx, "ack")
	require.NoError(t, err)
	require.Equal(t, ownership.OutboxPending, it.State)
	require.Equal(t, 1, it.Attempts)

	// Once another attempt claimed the item, the earlier claim's re-send
	// no longer hands it out.
	got, err := s.ClaimOutbox(ctx, now.Add(2*time.Hour), time.Minute, 10)
	require.NoError(t, err)
	require.Len(t, got, 3) // ack (retry), b (lease ended), c
	again, err = s.runClaim(ctx, claim)
	require.NoError(t, err)
	require.Empty(t, again)

	n, err := rdb.ZCard(ctx, "{"+prefix+"}:ob:all").Result()
	require.NoError(t, err)
	require.Equal(t, int64(3), n)
}

// TestLeaseRetryIdempotent sends the very same acquire call twice, as
// go-redis does when the reply to the first was lost after Redis ran it:
// the second answers with the lease the first took, fence unchanged.
func TestLeaseRetryIdempotent(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	defer s.Close()
	now := time.Date(2026, 3, 6, 15, 0, 0, 0, time.UTC)
	first, err := s.AcquireLease(ctx, "imap:support", "replica-a", now, time.Minute)
	require.NoError(t, err)

	c, err := s.acquireCall("imap:support", "replica-b", first.Until, time.Minute) // a takeover
	require.NoError(t, err)
	took, err := s.runAcquire(ctx, c, "imap:support")
	require.NoError(t, err)
	require.Equal(t, first.Fence+1, took.Fence)
	again, err := s.runAcquire(ctx, c, "imap:support")
	require.NoError(t, err, "a re-sent takeover is not refused")
	require.Equal(t, took, again, "and takes no further fence")
}

// leaseTime's strings sort as the times do, across the epoch and the
// int64 range it clamps to, and read back exactly.
func TestLeaseTime(t *testing.T) {
	times := []time.Time{
		{}, time.Unix(0, math.MinInt64).Add(-time.Hour), time.Unix(-1, 0), time.Unix(0, -1), time.Unix(0, 0), time.Unix(0, 1),
		time.Date(2026, 3, 6, 15, 0, 0, 999999999, time.UTC), time.Date(2026, 3, 6, 15, 0, 1, 0, time.UTC), time.Unix(0, math.MaxInt64),
	}
	for i, tm := range times {
		s := leaseTime(tm)
		require.Len(t, s, 20, "leaseTime(%v)", tm)
		if i > 0 {
			require.LessOrEqual(t, leaseTime(times[i-1]), s, "leaseTime(%v) vs leaseTime(%v)", times[i-1], tm)
		}
		back, err := parseLeaseTime(s)
		require.NoError(t, err)
		if i > 1 {
			require.True(t, back.Equal(tm), "parseLeaseTime(leaseTime(%v)) = %v", tm, back)
		}
	}
	_, err := parseLeaseTime("123")
	require.Error(t, err)
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
	require.Equal(t, int64(3), tk.Rev)
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
