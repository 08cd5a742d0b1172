package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/ownership"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

const exampleConfig = "../../configs/intake.example.yaml"

// backend is a store URL a test server runs on.
type backend struct {
	name string
	url  func(t *testing.T) string
}

// backends returns SQLite always and Redis when one is reachable (or
// required by INTAKE_REQUIRE_REDIS=1, as in CI).
func backends() []backend {
	return []backend{
		{"sqlite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "intake.db") }},
		{"redis", func(t *testing.T) string { return redisURL(t) }},
	}
}

func redisAddr() string {
	if a := os.Getenv("INTAKE_TEST_REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

// redisURL returns a URL with a fresh key prefix on the test Redis, and
// deletes the prefix's keys when the test ends.
func redisURL(t testing.TB) string {
	t.Helper()
	addr := redisAddr()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		if os.Getenv("INTAKE_REQUIRE_REDIS") == "1" {
			t.Fatalf("Redis at %s is required (INTAKE_REQUIRE_REDIS=1) but unreachable: %v", addr, err)
		}
		t.Skipf("SKIPPING Redis backend: no Redis at %s (%v); set INTAKE_TEST_REDIS_ADDR or start redis-server", addr, err)
	}
	prefix := fmt.Sprintf("test%x", rand.Uint64())
	t.Cleanup(func() {
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, "{"+prefix+"}:*", 1000).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
		_ = rdb.Close()
	})
	return fmt.Sprintf("redis://%s/0?prefix=%s", addr, prefix)
}

// server is an in-process `intake serve`.
type server struct {
	url  string
	logs *syncWriter
	stop func() error
}

// startServer runs serve with the flags until the test ends, and checks
// it stops cleanly.
func startServer(t *testing.T, f serveFlags) *server {
	t.Helper()
	if f.addr == "" {
		f.addr = "127.0.0.1:0"
	}
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncWriter{w: &bytes.Buffer{}}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, f, logger, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("serve: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("serve did not start in 30s")
	}
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { require.NoError(t, stop(), "serve must stop cleanly") })
	return &server{url: "http://" + addr, logs: logs, stop: stop}
}

// freePort returns a TCP port free on loopback right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// fetchTicket reads one ticket and its timeline through the API.
func fetchTicket(t *testing.T, c *apiClient, id string) (ownership.Ticket, []ownership.Event) {
	t.Helper()
	var got struct {
		ownership.Ticket
		Events []ownership.Event `json:"events"`
	}
	_, err := c.do(context.Background(), "GET", "/api/v1/tickets/"+id, nil, &got)
	require.NoError(t, err)
	return got.Ticket, got.Events
}

// listTickets reads up to 1000 tickets through the API, newest first.
func listTickets(t *testing.T, c *apiClient) []ownership.Ticket {
	t.Helper()
	var l struct {
		Tickets []ownership.Ticket `json:"tickets"`
	}
	_, err := c.do(context.Background(), "GET", "/api/v1/tickets?limit=1000", nil, &l)
	require.NoError(t, err)
	return l.Tickets
}

// postBody POSTs body to url with headers and returns the status and body.
func postBody(t *testing.T, url, body string, headers map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	require.NoError(t, err)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
