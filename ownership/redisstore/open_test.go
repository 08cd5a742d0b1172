package redisstore

import (
	"bytes"
	"context"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/intakehq/intake/ownership"
	"github.com/stretchr/testify/require"
)

// Opening a store: the URL, secrets kept out of errors, the schema version.

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
