package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/api"
	"github.com/intakehq/intake/ownership/ownershiptest"
	"github.com/intakehq/intake/ownership/redisstore"
	"github.com/intakehq/intake/routing"
)

// sharedRedis returns the URL of a fresh prefix on the test Redis, whose
// keys are deleted when the test ends; every store opened on it is one
// more replica of one installation.
func sharedRedis(t *testing.T) string {
	t.Helper()
	addr := os.Getenv("INTAKE_TEST_REDIS_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second})
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		_ = rdb.Close()
		if os.Getenv("INTAKE_REQUIRE_REDIS") != "" {
			t.Fatalf("Redis not reachable at %s: %v", addr, err)
		}
		t.Skipf("!!! Redis not reachable at %s (%v): set INTAKE_REQUIRE_REDIS=1 to fail instead", addr, err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "test-" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx := context.Background()
		keys, _ := rdb.Keys(ctx, "{"+prefix+"}:*").Result()
		if len(keys) > 0 {
			_ = rdb.Del(ctx, keys...).Err()
		}
		_ = rdb.Close()
	})
	return "redis://" + addr + "/0?prefix=" + prefix
}

// logBuffer is a concurrency-safe log sink.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// replica is one intake process's API over the shared store.
func replica(t *testing.T, storeURL string, clock *ownershiptest.Clock, reg prometheus.Registerer, logs *logBuffer) *httptest.Server {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(logs, nil))
	store, err := redisstore.Open(context.Background(), storeURL, logger)
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	f := ownershiptest.NewWithOptions(t, func(o *ownership.Options) { o.Store = store })
	throttle := api.NewThrottle(store, api.ThrottleOptions{Registerer: reg, Logger: logger, Now: clock.Now})
	srv := httptest.NewServer(api.New(f.Service, api.Options{Throttle: throttle, Logger: logger, Tokens: []api.Token{
		{Name: "maria", Secret: managerToken, Role: routing.RoleManager}}}))
	t.Cleanup(srv.Close)
	return srv
}

func counter(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// Wrong bearer tokens are throttled per client address, across replicas:
// five are free, then every attempt waits out a Retry-After that doubles
// with each further failure; a throttled attempt is refused unchecked, so
// even the right token gets 429 until the wait is over.
func TestWrongTokensAreThrottledAcrossReplicas(t *testing.T) {
	url := sharedRedis(t)
	clock := ownershiptest.NewClock(time.Now())
	regA, regB := prometheus.NewRegistry(), prometheus.NewRegistry()
	logs := &logBuffer{}
	replicas := []*httptest.Server{replica(t, url, clock, regA, logs), replica(t, url, clock, regB, logs)}
	get := func(i int, token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", replicas[i%2].URL+"/api/v1/summary", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Retry-After")
	}

	var codes []int
	for i := 0; i < 40; i++ {
		code, retry := get(i, fmt.Sprintf("wrong-token-%02d", i))
		codes = append(codes, code)
		if i >= 6 {
			require.Equal(t, http.StatusTooManyRequests, code, "attempt %d", i+1)
			require.Equal(t, "1", retry, "attempt %d", i+1)
		}
	}
	require.Equal(t, []int{401, 401, 401, 401, 401, 401}, codes[:6], "five free failures, the sixth checked too")
	code, _ := get(0, managerToken)
	require.Equal(t, http.StatusTooManyRequests, code, "while throttled, the right token is not even checked")

	for _, want := range []string{"2", "4", "8"} {
		wait, _ := strconv.Atoi(want)
		clock.Add(time.Duration(wait/2) * time.Second) // the previous Retry-After
		code, _ := get(1, "wrong-again")
		require.Equal(t, http.StatusUnauthorized, code, "after the wait, one attempt is checked")
		code, retry := get(0, "wrong-again")
		require.Equal(t, http.StatusTooManyRequests, code)
		require.Equal(t, want, retry, "the wait doubles with each failure")
	}
	clock.Add(8 * time.Second)
	code, _ = get(1, managerToken)
	require.Equal(t, http.StatusOK, code, "the right token after the wait")

	require.Equal(t, 9.0, counter(t, regA, "intake_auth_failures_total")+counter(t, regB, "intake_auth_failures_total"))
	require.Equal(t, 38.0, counter(t, regA, "intake_auth_throttled_total")+counter(t, regB, "intake_auth_throttled_total"))
	require.Contains(t, logs.String(), "authentication failed")
	require.Contains(t, logs.String(), "surface=api reason=bad_token")
	require.NotContains(t, logs.String(), "wrong-token-", "no secret in the log")
}
