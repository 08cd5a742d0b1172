package api_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/api"
	"github.com/intakehq/intake/ownership/ownershiptest"
	"github.com/intakehq/intake/routing"
	"github.com/stretchr/testify/require"
)

const tomToken = "tom-0123456789abcdef"

// newScopeEnv is the two-team roster (helpdesk: dana, lee, kim; infra:
// tom) under the default tech scope, with replies deliverable by email,
// T-1 on helpdesk owned by dana and T-2 on infra owned by tom.
func newScopeEnv(t *testing.T) *env {
	f := ownershiptest.NewWithOptions(t, func(o *ownership.Options) {
		o.Outbound = map[channels.Kind]bool{channels.Email: true}
	}, ownershiptest.TwoTeams)
	h := api.New(f.Service, api.Options{Tokens: []api.Token{
		{Name: "maria", Secret: managerToken, Role: routing.RoleManager},
		{Name: "dana-laptop", Secret: techToken, Role: routing.RoleTech, Rep: "dana"},
		{Name: "tom", Secret: tomToken, Role: routing.RoleTech},
	}})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	e := &env{f: f, srv: srv}
	for _, body := range []string{
		`{"subject":"Printer jammed","contact":{"email":"pat@globex.test"}}`,
		`{"subject":"Server down","contact":{"email":"sam@initech.test"}}`,
	} {
		code, out := e.do(t, "POST", "/api/v1/tickets", managerToken, body)
		require.Equal(t, 201, code, "%v", out)
	}
	for id, want := range map[string]string{"T-1": "dana/helpdesk", "T-2": "tom/infra"} {
		tk, err := f.Service.Ticket(context.Background(), id)
		require.NoError(t, err)
		require.Equal(t, want, tk.Owner+"/"+tk.Team)
	}
	return e
}

// TestTechScopeAPI has dana (helpdesk) try every ticket read and write on
// tom's infra ticket T-2: each is a 404 worded exactly as for a ticket
// that does not exist, and T-2 and its timeline are unchanged afterwards.
func TestTechScopeAPI(t *testing.T) {
	e := newScopeEnv(t)
	e.f.Clock.Add(3 * time.Hour) // T-2's ack is overdue: only the scope stops a take
	tests := []struct{ method, path, body string }{
		{"GET", "/api/v1/tickets/{id}", ``},
		{"POST", "/api/v1/tickets/{id}/messages", `{"body":"hi, this is dana"}`},
		{"POST", "/api/v1/tickets/{id}/notes", `{"body":"peek"}`},
		{"POST", "/api/v1/tickets/{id}/transfer", `{"to":"lee"}`},
		{"POST", "/api/v1/tickets/{id}/accept", ``},
		{"POST", "/api/v1/tickets/{id}/decline", ``},
		{"POST", "/api/v1/tickets/{id}/take", ``},
		{"POST", "/api/v1/tickets/{id}/take", `{"version":99}`}, // a stale version is not a 409 with the ticket
		{"POST", "/api/v1/tickets/{id}/ack", ``},
		{"POST", "/api/v1/tickets/{id}/ack", `{"version":1}`},
		{"POST", "/api/v1/tickets/{id}/status", `{"status":"resolved"}`},
		{"POST", "/api/v1/tickets/{id}/time", `{"minutes":5}`},
	}
	ctx := context.Background()
	before, err := e.f.Service.Ticket(ctx, "T-2")
	require.NoError(t, err)
	evs, err := e.f.Service.Events(ctx, "T-2")
	require.NoError(t, err)
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path+" "+tc.body, func(t *testing.T) {
			code, out := e.do(t, tc.method, strings.ReplaceAll(tc.path, "{id}", "T-2"), techToken, tc.body)
			require.Equal(t, 404, code, "%v", out)
			require.Equal(t, map[string]any{"error": "ticket T-2: not found"}, out)
			code, unknown := e.do(t, tc.method, strings.ReplaceAll(tc.path, "{id}", "T-99"), techToken, tc.body)
			require.Equal(t, 404, code)
			require.Equal(t, map[string]any{"error": "ticket T-99: not found"}, unknown, "an unknown ticket reads the same")
			after, err := e.f.Service.Ticket(ctx, "T-2")
			require.NoError(t, err)
			require.Equal(t, before, after, "T-2 unchanged")
			got, err := e.f.Service.Events(ctx, "T-2")
			require.NoError(t, err)
			require.Equal(t, evs, got, "no event on T-2")
			items, err := e.f.Store.ListOutbox(ctx, "", 100)
			require.NoError(t, err)
			require.Empty(t, items, "nothing queued to tom's customer")
		})
	}
	// Her own team's ticket answers her, and tom's answers tom and maria.
	for _, c := range []struct{ token, id string }{{techToken, "T-1"}, {tomToken, "T-2"}, {managerToken, "T-2"}} {
		code, out := e.do(t, "GET", "/api/v1/tickets/"+c.id, c.token, "")
		require.Equal(t, 200, code, "%s as %s: %v", c.id, c.token, out)
	}
	code, out := e.do(t, "POST", "/api/v1/tickets/T-1/notes", techToken, `{"body":"mine"}`)
	require.Equal(t, 200, code, "%v", out)
}

func TestTechScopeAPILists(t *testing.T) {
	e := newScopeEnv(t)
	ids := func(token, query string) []string {
		t.Helper()
		code, out := e.do(t, "GET", "/api/v1/tickets"+query, token, "")
		require.Equal(t, 200, code, "%v", out)
		var got []string
		for _, tk := range out["tickets"].([]any) {
			got = append(got, tk.(map[string]any)["id"].(string))
		}
		return got
	}
	require.Equal(t, []string{"T-1"}, ids(techToken, ""))
	require.Equal(t, []string{"T-1"}, ids(techToken, "?status=open"))
	require.Nil(t, ids(techToken, "?owner=tom"), "naming tom's tickets does not show them")
	require.Nil(t, ids(techToken, "?unowned=true"))
	require.Equal(t, []string{"T-2"}, ids(tomToken, ""))
	require.Equal(t, []string{"T-2", "T-1"}, ids(managerToken, ""))

	// Paging through dana's scope: full pages, nothing of tom's.
	for i := 0; i < 6; i++ {
		body := `{"subject":"Server again","contact":{"email":"sam@initech.test"}}`
		if i%2 == 0 {
			body = `{"subject":"Mouse","contact":{"email":"pat@globex.test"}}`
		}
		code, out := e.do(t, "POST", "/api/v1/tickets", managerToken, body)
		require.Equal(t, 201, code, "%v", out)
	}
	// T-3, T-5 and T-7 are helpdesk's; T-4, T-6 and T-8 infra's.
	code, page := e.do(t, "GET", "/api/v1/tickets?limit=2", techToken, "")
	require.Equal(t, 200, code)
	require.Len(t, page["tickets"], 2, "a full page")
	require.Equal(t, "5", page["next"])
	require.Equal(t, []string{"T-7", "T-5"}, ids(techToken, "?limit=2"))
	require.Equal(t, []string{"T-3", "T-1"}, ids(techToken, "?limit=2&cursor=5"))
}

func TestTechScopeAPICounts(t *testing.T) {
	e := newScopeEnv(t)
	e.f.Clock.Add(3 * time.Hour)
	code, sum := e.do(t, "GET", "/api/v1/summary", techToken, "")
	require.Equal(t, 200, code)
	require.Equal(t, float64(1), sum["open"])
	require.Equal(t, float64(1), sum["ack_overdue"])
	require.Equal(t, map[string]any{"dana": float64(1)}, sum["by_owner"])
	require.Equal(t, "team", sum["scope"])
	code, sum = e.do(t, "GET", "/api/v1/summary", managerToken, "")
	require.Equal(t, 200, code)
	require.Equal(t, float64(2), sum["open"])
	require.Equal(t, "all", sum["scope"])

	code, audit := e.do(t, "GET", "/api/v1/audit", techToken, "")
	require.Equal(t, 200, code)
	require.Len(t, audit["ack_overdue"], 1)
	require.Equal(t, "T-1", audit["ack_overdue"].([]any)[0].(map[string]any)["id"])
	require.Equal(t, "team", audit["scope"])
	code, audit = e.do(t, "GET", "/api/v1/audit", managerToken, "")
	require.Equal(t, 200, code)
	require.Len(t, audit["ack_overdue"], 2)
}
