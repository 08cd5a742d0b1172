package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/api"
	"github.com/intakehq/intake/ownership/ownershiptest"
	"github.com/intakehq/intake/routing"
	"github.com/stretchr/testify/require"
)

const (
	managerToken = "mgr-0123456789abcdef"
	techToken    = "dana-0123456789abcdef"
	leeToken     = "lee-0123456789abcdef"
)

type env struct {
	f   *ownershiptest.Fixture
	srv *httptest.Server
}

func newEnv(t testing.TB) *env {
	f := ownershiptest.New(t)
	h := api.New(f.Service, api.Options{MaxBody: 4096, Tokens: []api.Token{
		{Name: "maria", Secret: managerToken, Role: routing.RoleManager},
		{Name: "dana-laptop", Secret: techToken, Role: routing.RoleTech, Rep: "dana"},
		{Name: "lee", Secret: leeToken, Role: routing.RoleTech},
	}})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{f: f, srv: srv}
}

// do sends a request and decodes the JSON answer into a map.
func (e *env) do(t *testing.T, method, path, token, body string, hdr ...string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Host" {
			req.Host = hdr[i+1] // the client sends req.Host, not a Host header
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"), "body: %s", raw)
	var out map[string]any
	require.NoError(t, json.Unmarshal(raw, &out), "body: %s", raw)
	return resp.StatusCode, out
}

func (e *env) ticketCount(t testing.TB) int {
	p, err := e.f.Store.List(context.Background(), ownership.Filter{Limit: 1000})
	require.NoError(t, err)
	return len(p.Tickets)
}

const newTicket = `{"subject":"Email down","body":"Outlook says disconnected","contact":{"name":"Pat","email":"pat@acme.test"},"priority":"high"}`

func TestCreateGetList(t *testing.T) {
	e := newEnv(t)
	code, tk := e.do(t, "POST", "/api/v1/tickets", techToken, newTicket)
	require.Equal(t, 201, code, "%v", tk)
	require.Equal(t, "T-1", tk["id"])
	require.Equal(t, "kim", tk["owner"], "acme's account manager is sticky")
	require.Equal(t, "high", tk["priority"])
	require.Equal(t, "web", tk["channel"])
	require.Equal(t, "acme", tk["org"])
	for _, k := range []string{"subject", "status", "team", "contact", "version", "created_at", "updated_at"} {
		require.Contains(t, tk, k)
	}

	code, got := e.do(t, "GET", "/api/v1/tickets/T-1", techToken, "")
	require.Equal(t, 200, code)
	evs := got["events"].([]any)
	require.Len(t, evs, 2)
	require.Equal(t, "message_in", evs[0].(map[string]any)["type"])
	assigned := evs[1].(map[string]any)
	require.Equal(t, "assigned", assigned["type"])
	require.Contains(t, assigned["reason"], "sticky")

	code, list := e.do(t, "GET", "/api/v1/tickets?status=open&owner=kim", techToken, "")
	require.Equal(t, 200, code)
	require.Len(t, list["tickets"], 1)
	require.Equal(t, "", list["next"])

	code, sum := e.do(t, "GET", "/api/v1/summary", techToken, "")
	require.Equal(t, 200, code)
	require.Equal(t, float64(1), sum["open"])
	require.Equal(t, float64(0), sum["unowned"])
	require.Equal(t, map[string]any{"kim": float64(1)}, sum["by_owner"])
}

func TestIdempotencyKey(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 3; i++ {
		code, tk := e.do(t, "POST", "/api/v1/tickets", techToken, newTicket, "Idempotency-Key", "form-42")
		require.Equal(t, 201, code)
		require.Equal(t, "T-1", tk["id"])
	}
	require.Equal(t, 1, e.ticketCount(t))
}

// TestBadInput: each bad request gets a clear JSON error and stores nothing.
func TestBadInput(t *testing.T) {
	e := newEnv(t)
	_, tk := e.do(t, "POST", "/api/v1/tickets", managerToken, newTicket)
	version := tk["version"]
	tests := []struct {
		name, method, path, token, body string
		hdr                             []string
		code                            int
		msg                             string
	}{
		{"malformed JSON", "POST", "/api/v1/tickets", managerToken, `{"subject":`, nil, 400, "malformed JSON"},
		{"not an object", "POST", "/api/v1/tickets", managerToken, `[1,2]`, nil, 400, "malformed JSON"},
		{"trailing data", "POST", "/api/v1/tickets", managerToken, newTicket + `{}`, nil, 400, "more data after"},
		{"unknown field", "POST", "/api/v1/tickets", managerToken, `{"subject":"x","contact":{"email":"a@b.test"},"owner":"dana"}`, nil, 400, `unknown field "owner"`},
		{"wrong type", "POST", "/api/v1/tickets", managerToken, `{"subject":5}`, nil, 400, `field "subject" must be string`},
		{"empty body", "POST", "/api/v1/tickets", managerToken, ``, nil, 400, "empty"},
		{"no contact", "POST", "/api/v1/tickets", managerToken, `{"subject":"x"}`, nil, 400, "contact needs an email or a phone"},
		{"bad phone", "POST", "/api/v1/tickets", managerToken, `{"subject":"x","contact":{"phone":"555-1234"}}`, nil, 400, "E.164"},
		{"bad priority", "POST", "/api/v1/tickets", managerToken, `{"subject":"x","priority":"asap","contact":{"email":"a@b.test"}}`, nil, 400, "priority"},
		{"oversized body", "POST", "/api/v1/tickets", managerToken, `{"subject":"x","body":"` + strings.Repeat("a", 5000) + `"}`, nil, 413, "larger than 4096 bytes"},
		{"wrong content type", "POST", "/api/v1/tickets", managerToken, newTicket, []string{"Content-Type", "text/plain"}, 415, "application/json"},
		{"no content type", "POST", "/api/v1/tickets", managerToken, newTicket, []string{"Content-Type", ""}, 415, "application/json"},
		{"lower-case bearer works", "GET", "/api/v1/tickets/T-99", "", "", []string{"Authorization", "bearer " + managerToken}, 404, "T-99"},
		{"missing token", "POST", "/api/v1/tickets", "", newTicket, nil, 401, "bearer token"},
		{"wrong token", "POST", "/api/v1/tickets", "nope-nope-nope-nope", newTicket, nil, 401, "bearer token"},
		{"tech assigns", "POST", "/api/v1/tickets/T-1/assign", techToken, `{"owner":"lee"}`, nil, 403, "only managers"},
		{"unknown rep", "POST", "/api/v1/tickets/T-1/assign", managerToken, `{"owner":"bob"}`, nil, 400, `"bob" is not a rep`},
		{"missing owner", "POST", "/api/v1/tickets/T-1/assign", managerToken, `{}`, nil, 400, "owner is required"},
		{"unknown ticket", "POST", "/api/v1/tickets/T-99/assign", managerToken, `{"owner":"lee"}`, nil, 404, "T-99"},
		{"bad ticket id", "GET", "/api/v1/tickets/banana", managerToken, ``, nil, 404, "banana"},
		{"bad If-Match", "POST", "/api/v1/tickets/T-1/assign", managerToken, `{"owner":"lee"}`, []string{"If-Match", "abc"}, 400, "If-Match"},
		{"stale version", "POST", "/api/v1/tickets/T-1/ack", managerToken, `{"version":99}`, nil, 409, "version"},
		{"bad status", "POST", "/api/v1/tickets/T-1/status", managerToken, `{"status":"done"}`, nil, 400, "not one of"},
		{"bad time", "POST", "/api/v1/tickets/T-1/time", managerToken, `{"duration":"soon"}`, nil, 400, "duration"},
		{"patch unknown rep", "PATCH", "/api/v1/reps/bob", managerToken, `{"availability":"away"}`, nil, 404, "bob"},
		{"patch other rep as tech", "PATCH", "/api/v1/reps/lee", techToken, `{"availability":"away"}`, nil, 403, "only lee or a manager"},
		{"bad availability", "PATCH", "/api/v1/reps/dana", techToken, `{"availability":"asleep"}`, nil, 400, "not one of"},
		{"bad list filter", "GET", "/api/v1/tickets?status=nope", managerToken, ``, nil, 400, "status"},
		{"bad limit", "GET", "/api/v1/tickets?limit=0", managerToken, ``, nil, 400, "limit"},
		{"bad cursor", "GET", "/api/v1/tickets?cursor=xyz", managerToken, ``, nil, 400, "cursor"},
		{"unknown path", "GET", "/api/v1/nothing", managerToken, ``, nil, 404, "no such API path"},
		{"tech retries a dead letter", "POST", "/api/v1/outbox/x/retry", techToken, ``, nil, 403, "only managers"},
		{"retry an unknown message", "POST", "/api/v1/outbox/nope/retry", managerToken, ``, nil, 404, "not found"},
		{"tech lists the outbox", "GET", "/api/v1/outbox", techToken, ``, nil, 403, "for managers"},
		{"bad outbox state", "GET", "/api/v1/outbox?state=lost", managerToken, ``, nil, 400, "not one of"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out := e.do(t, tc.method, tc.path, tc.token, tc.body, tc.hdr...)
			require.Equal(t, tc.code, code, "%v", out)
			require.Contains(t, out["error"], tc.msg)
		})
	}
	require.Equal(t, 1, e.ticketCount(t), "bad input stores nothing")
	cur, err := e.f.Service.Ticket(context.Background(), "T-1")
	require.NoError(t, err)
	require.Equal(t, version, float64(cur.Version), "bad input changes nothing")
	evs, err := e.f.Service.Events(context.Background(), "T-1")
	require.NoError(t, err)
	require.Len(t, evs, 2)
}

func TestConflictReturnsCurrentTicket(t *testing.T) {
	e := newEnv(t)
	e.do(t, "POST", "/api/v1/tickets", managerToken, newTicket)
	code, out := e.do(t, "POST", "/api/v1/tickets/T-1/assign", managerToken, `{"owner":"lee","version":1}`)
	require.Equal(t, 200, code, "%v", out)
	code, out = e.do(t, "POST", "/api/v1/tickets/T-1/assign", managerToken, `{"owner":"dana"}`, "If-Match", `"1"`)
	require.Equal(t, 409, code)
	require.Equal(t, "lee", out["ticket"].(map[string]any)["owner"])
	require.Equal(t, float64(2), out["ticket"].(map[string]any)["version"])
}

func TestHandoffOverAPI(t *testing.T) {
	e := newEnv(t)
	e.do(t, "POST", "/api/v1/tickets", managerToken, `{"subject":"VPN","contact":{"email":"x@globex.test"}}`) // dana
	code, out := e.do(t, "POST", "/api/v1/tickets/T-1/transfer", techToken, `{"to":"lee","reason":"network issue"}`)
	require.Equal(t, 200, code, "%v", out)
	require.Equal(t, "dana", out["owner"])
	code, out = e.do(t, "POST", "/api/v1/tickets/T-1/accept", leeToken, ``)
	require.Equal(t, 200, code, "%v", out)
	require.Equal(t, "lee", out["owner"])
	code, out = e.do(t, "POST", "/api/v1/tickets/T-1/status", leeToken, `{"status":"resolved"}`)
	require.Equal(t, 200, code, "%v", out)
	code, out = e.do(t, "POST", "/api/v1/tickets/T-1/time", leeToken, `{"duration":"1h30m","note":"remote session"}`)
	require.Equal(t, 200, code, "%v", out)
	code, out = e.do(t, "POST", "/api/v1/tickets/T-1/notes", techToken, `{"body":"thanks lee"}`)
	require.Equal(t, 200, code, "%v", out)
	code, out = e.do(t, "POST", "/api/v1/tickets/T-1/messages", leeToken, `{"body":"fixed?"}`)
	require.Equal(t, 409, code, "no outbound channel yet: %v", out)

	code, reps := e.do(t, "GET", "/api/v1/reps", techToken, "")
	require.Equal(t, 200, code)
	require.Len(t, reps["reps"], 4)
	first := reps["reps"].([]any)[0].(map[string]any)
	for _, k := range []string{"id", "name", "availability", "open", "capacity"} {
		require.Contains(t, first, k)
	}
	code, rep := e.do(t, "PATCH", "/api/v1/reps/dana", techToken, `{"availability":"away"}`)
	require.Equal(t, 200, code)
	require.Equal(t, "away", rep["availability"])
}

// TestAssignRace: 200 concurrent assigns carrying the version they read;
// one wins, 199 get 409, one new assigned event.
func TestAssignRace(t *testing.T) {
	e := newEnv(t)
	e.do(t, "POST", "/api/v1/tickets", managerToken, newTicket)
	owners := []string{"dana", "lee", "maria"} // anyone but the current owner, kim
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	winner := ""
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			owner := owners[i%len(owners)]
			req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/tickets/T-1/assign", strings.NewReader(fmt.Sprintf(`{"owner":%q,"version":1}`, owner)))
			req.Header.Set("Authorization", "Bearer "+managerToken)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			mu.Lock()
			codes[resp.StatusCode]++
			if resp.StatusCode == 200 {
				winner = owner
			}
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	require.Equal(t, map[int]int{200: 1, 409: 199}, codes)
	cur, err := e.f.Service.Ticket(context.Background(), "T-1")
	require.NoError(t, err)
	require.Equal(t, winner, cur.Owner)
	evs, err := e.f.Service.Events(context.Background(), "T-1")
	require.NoError(t, err)
	require.Len(t, evs, 3)
	require.Equal(t, winner, evs[2].To)
}

// FuzzCreateTicket posts arbitrary bodies: the answer is 201 or a 4xx JSON
// error, never a 5xx, and a rejected body stores nothing.
func FuzzCreateTicket(f *testing.F) {
	f.Add(newTicket)
	f.Add(`{"subject":"x","contact":{"phone":"+15551234567"},"priority":"urgent"}`)
	f.Add(`{"subject":"\u0000","contact":{"email":"a@b"}}`)
	f.Add(`{"contact":{"email":"@@"}}`)
	f.Add(`[]`)
	e := newEnv(f)
	f.Fuzz(func(t *testing.T, body string) {
		before := e.ticketCount(t)
		req, err := http.NewRequest("POST", e.srv.URL+"/api/v1/tickets", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+managerToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var out map[string]any
		require.NoError(t, json.Unmarshal(raw, &out), "answer is JSON: %s", raw)
		after := e.ticketCount(t)
		switch {
		case resp.StatusCode == 201:
			require.Equal(t, before+1, after)
		case resp.StatusCode >= 400 && resp.StatusCode < 500:
			require.NotEmpty(t, out["error"])
			require.Equal(t, before, after, "a rejected body stores nothing")
		default:
			t.Fatalf("status %d for %q: %s", resp.StatusCode, body, raw)
		}
	})
}

// TestOpenModeOnlyServesThisMachine: without tokens the API acts as the
// local admin, so requests naming another host (DNS rebinding) or sent by a
// browser from another site are refused.
func TestOpenModeOnlyServesThisMachine(t *testing.T) {
	f := ownershiptest.New(t)
	srv := httptest.NewServer(api.New(f.Service, api.Options{}))
	t.Cleanup(srv.Close)
	e := &env{f: f, srv: srv}
	tests := []struct {
		name string
		hdr  []string
		code int
	}{
		{"loopback", nil, 201},
		{"localhost name", []string{"Host", "localhost:8080"}, 201},
		{"rebound name", []string{"Host", "evil.example"}, 401},
		{"cross-site browser", []string{"Sec-Fetch-Site", "cross-site"}, 401},
		{"foreign origin", []string{"Origin", "https://evil.example"}, 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out := e.do(t, "POST", "/api/v1/tickets", "", newTicket, tc.hdr...)
			require.Equal(t, tc.code, code, "%v", out)
		})
	}
	require.Equal(t, 2, e.ticketCount(t))
}
