package redisstore

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/storetest"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// Redis Cluster: a real three-node run, and every key of an installation in
// one hash slot.

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
