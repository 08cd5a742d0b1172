package main

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/intakehq/intake/ownership"
	"github.com/stretchr/testify/require"

	_ "modernc.org/sqlite"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// TestServeWithNoConfig: a fresh install owns every ticket by the local
// admin and serves health, readiness, metrics and the dashboard.
func TestServeWithNoConfig(t *testing.T) {
	srv := startServer(t, serveFlags{store: "sqlite:" + filepath.Join(t.TempDir(), "intake.db")})
	cl := newAPIClient(srv.url, "", 1)
	ctx := context.Background()
	var tk ownership.Ticket
	code, err := cl.do(ctx, "POST", "/api/v1/tickets", map[string]any{"subject": "Printer jammed", "contact": map[string]string{"email": "pat@acme.test"}}, &tk)
	require.NoError(t, err)
	require.Equal(t, 201, code)
	require.Equal(t, "admin", tk.Owner)

	code, body := get(t, srv.url+"/healthz")
	require.Equal(t, 200, code)
	require.Contains(t, body, `"status":"ok"`)
	code, body = get(t, srv.url+"/readyz")
	require.Equal(t, 200, code)
	require.Contains(t, body, `"store":"ok"`)
	require.Contains(t, body, `"twilio":{"state":"disabled"`)
	code, body = get(t, srv.url+"/metrics")
	require.Equal(t, 200, code)
	require.Contains(t, body, "intake_tickets_open 1")
	require.Contains(t, body, "intake_tickets_unowned 0")
	require.Contains(t, body, `intake_tickets_created_total{channel="web",step=`)
	require.Contains(t, body, `intake_http_request_duration_seconds_count{code="201",route="POST /api/v1/tickets"} 1`)
	require.Contains(t, body, `route="GET /readyz"`)
	code, body = get(t, srv.url+"/")
	require.Equal(t, 200, code)
	require.Contains(t, body, "Printer jammed")
	code, body = get(t, srv.url+"/twilio/sms")
	require.Equal(t, 404, code)
	require.Contains(t, body, "not enabled")
}

func TestServeRefusesOpenAPIOffLoopback(t *testing.T) {
	err := serve(context.Background(), serveFlags{addr: "0.0.0.0:0", store: "sqlite:" + filepath.Join(t.TempDir(), "x.db")}, discardLogger(), nil)
	require.ErrorContains(t, err, `--addr: "0.0.0.0:0" is not a loopback address and no api.tokens are configured`)
}

func TestServeRejectsUnknownStore(t *testing.T) {
	err := serve(context.Background(), serveFlags{addr: "127.0.0.1:0", store: "postgres://x"}, discardLogger(), nil)
	require.ErrorContains(t, err, `--store: unknown store type "postgres"`)
}

// TestConcurrentCreates is DESIGN's first promise under load on each
// backend: 1,000 concurrent creates, each ticket with exactly one owner,
// none unowned, no rep above capacity.
func TestConcurrentCreates(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			srv := startServer(t, serveFlags{config: "../../configs/loadtest.yaml", store: b.url(t)})
			var out bytes.Buffer
			err := benchCreate(context.Background(), newAPIClient(srv.url, "", 100), 1000, 100, &out)
			t.Log(out.String())
			require.NoError(t, err)
			require.NotContains(t, srv.logs.String(), "level=ERROR")
		})
	}
}

// TestAssignRace: 200 concurrent assigns on one ticket, on each backend.
func TestAssignRace(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			srv := startServer(t, serveFlags{config: exampleConfig, store: b.url(t)})
			for _, withVersion := range []bool{true, false} {
				var out bytes.Buffer
				err := benchAssign(context.Background(), newAPIClient(srv.url, "", 50), 200, 50, withVersion, &out)
				t.Log(out.String())
				require.NoError(t, err, "with version: %v", withVersion)
			}
		})
	}
}

func TestCheckConfig(t *testing.T) {
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run(context.Background(), []string{"check-config", "--config", exampleConfig}, &stdout, &stderr), stderr.String())
	require.Contains(t, stdout.String(), "ok")

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, writeFile(bad, "listen: 127.0.0.1:8080\nreps:\n  - id: dana\n    name: Dana\n    capacity: -3\nteams:\n  - id: helpdesk\n    members: [dana]\n    fallback: bob\n"))
	stdout.Reset()
	stderr.Reset()
	require.Equal(t, 1, run(context.Background(), []string{"check-config", "--config", bad}, &stdout, &stderr))
	require.Contains(t, stderr.String(), "bad.yaml:5:")
	require.Contains(t, stderr.String(), "bad.yaml:9:")
}

// TestAuditFindsUnownedTicket writes an owner-less open ticket straight
// into the store (the ledger refuses to) and expects audit to exit 1.
func TestAuditFindsUnownedTicket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "intake.db")
	srv := startServer(t, serveFlags{config: exampleConfig, store: "sqlite:" + path})
	ctx := context.Background()
	cl := newAPIClient(srv.url, "", 1)
	for i := 0; i < 2; i++ {
		_, err := cl.do(ctx, "POST", "/api/v1/tickets", map[string]any{"subject": "VPN", "contact": map[string]string{"email": "x@example.org"}}, nil)
		require.NoError(t, err)
	}
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run(ctx, []string{"audit", "--server", srv.url}, &stdout, &stderr), stderr.String())
	require.Contains(t, stdout.String(), "UNOWNED: 0")

	breakOwner(t, path, 2)

	stdout.Reset()
	require.Equal(t, 1, run(ctx, []string{"audit", "--server", srv.url}, &stdout, &stderr), stderr.String())
	require.Contains(t, stdout.String(), "UNOWNED: 1")
	require.Contains(t, stdout.String(), "T-2")
	require.Contains(t, stdout.String(), "(no owner)")
	require.True(t, strings.Contains(stdout.String(), "FAIL"))
}

// breakOwner writes ticket number num of the SQLite store at path as
// having no owner, which the ledger itself refuses to do.
func breakOwner(t *testing.T, path string, num int) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	require.NoError(t, err)
	defer db.Close()
	_, err = db.ExecContext(context.Background(), `UPDATE tickets SET owner = '', json = json_set(json, '$.owner', '') WHERE num = ?`, num)
	require.NoError(t, err)
}

func TestStoreURLsNeverLeakPasswords(t *testing.T) {
	for _, raw := range []string{"redis://:s3cr3t@127.0.0.1:1/0", "redis://user:s3cr3t pass@host:1", "redis://:s3cr3t%zz@host", "s3cr3t"} {
		err := serve(context.Background(), serveFlags{addr: "127.0.0.1:0", store: raw}, discardLogger(), nil)
		require.Error(t, err)
		require.NotContains(t, err.Error(), "s3cr3t", raw)
	}
	require.Equal(t, "redis://10.0.0.1:6379", redact("redis://:s3cr3t@10.0.0.1:6379/0?prefix=x"))
}

func TestShortAdminTokenRefused(t *testing.T) {
	t.Setenv("INTAKE_ADMIN_TOKEN", "short")
	err := serve(context.Background(), serveFlags{addr: "127.0.0.1:0", store: "sqlite:" + filepath.Join(t.TempDir(), "x.db")}, discardLogger(), nil)
	require.ErrorContains(t, err, "INTAKE_ADMIN_TOKEN: is 5 characters")
}
