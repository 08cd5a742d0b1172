package dashboard_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/api"
	"github.com/intakehq/intake/ownership/dashboard"
	"github.com/intakehq/intake/ownership/ownershiptest"
	"github.com/intakehq/intake/routing"
	"github.com/stretchr/testify/require"
)

const tomToken = "tom-0123456789abcdefg"

// serveTwoTeams serves the two-team roster under the default tech scope
// (team) with T-1 "Printer jammed" on helpdesk (dana's), T-2 "Server
// down" on infra (tom's) and T-3 "Server room hot" on infra for T-1's
// customer.
func serveTwoTeams(t *testing.T) (*ownershiptest.Fixture, *browser, *browser) {
	toks := append([]api.Token{{Name: "tom", Secret: tomToken, Role: routing.RoleTech, Rep: "tom"}}, tokens...)
	f, srv := serve(t, dashboard.Options{}, toks, ownershiptest.TwoTeams)
	ctx := context.Background()
	for _, in := range []ownership.NewTicket{
		{Subject: "Printer jammed", Body: "again", Contact: ownership.Contact{Email: "pat@globex.test"}},
		{Subject: "Server down", Body: "nobody can log in", Contact: ownership.Contact{Email: "sam@initech.test"}},
		{Subject: "Server room hot", Body: "the fans are loud", Contact: ownership.Contact{Email: "pat@globex.test"}},
	} {
		_, _, err := f.Service.CreateTicket(ctx, in)
		require.NoError(t, err)
	}
	for id, team := range map[string]string{"T-1": "helpdesk", "T-2": "infra", "T-3": "infra"} {
		tk, err := f.Service.Ticket(ctx, id)
		require.NoError(t, err)
		require.Equal(t, team, tk.Team, id)
	}
	maria, lee := newBrowser(t, srv), newBrowser(t, srv)
	maria.signIn(managerToken)
	lee.signIn(leeToken)
	return f, maria, lee
}

// TestTechScopePages: lee (helpdesk) sees helpdesk's tickets in the list,
// the search and the customer's other tickets, and infra's ticket page is
// a 404 that reads as for a ticket that does not exist.
func TestTechScopePages(t *testing.T) {
	_, maria, lee := serveTwoTeams(t)
	pages := []struct {
		path          string
		lee           []string // shown to lee
		hiddenFromLee []string // shown to maria, not to lee
	}{
		{"/tickets", []string{"Printer jammed"}, []string{"Server down", "Server room hot"}},
		{"/tickets?status=all", []string{"Printer jammed"}, []string{"Server down"}},
		{"/tickets?q=server", nil, []string{"Server down", "Server room hot"}},
		{"/tickets?owner=tom", nil, []string{"Server down"}},
		{"/tickets?org=&channel=web&q=e", []string{"Printer jammed"}, []string{"Server down"}},
		{"/tickets/T-1", []string{"Printer jammed"}, []string{"Server room hot"}}, // the customer's other tickets
	}
	for _, p := range pages {
		t.Run(p.path, func(t *testing.T) {
			code, body := lee.get(p.path)
			require.Equal(t, 200, code, body)
			_, all := maria.get(p.path)
			for _, s := range p.lee {
				require.Contains(t, body, s)
			}
			for _, s := range p.hiddenFromLee {
				require.Contains(t, all, s, "maria sees it")
				require.NotContains(t, body, s, "lee does not")
			}
		})
	}
	code, hidden := lee.get("/tickets/T-2")
	require.Equal(t, 404, code)
	require.NotContains(t, hidden, "Server down")
	code, unknown := lee.get("/tickets/T-99")
	require.Equal(t, 404, code)
	require.Equal(t, strings.ReplaceAll(unknown, "T-99", "T-2"), hidden, "the same page as for a ticket that does not exist")
	code, _ = maria.get("/tickets/T-2")
	require.Equal(t, 200, code)
}

// TestTechScopeForms posts every ticket form as lee on infra's T-2: each
// is refused with the flash an unknown ticket gets, and nothing changes.
func TestTechScopeForms(t *testing.T) {
	f, _, lee := serveTwoTeams(t)
	f.Clock.Add(3 * time.Hour) // T-2's ack is overdue
	forms := []struct {
		action string
		form   url.Values
	}{
		{"reply", url.Values{"body": {"hi from lee"}, "key": {"k1"}}},
		{"note", url.Values{"body": {"peek"}}},
		{"assign", url.Values{"owner": {"lee"}}},
		{"assign", url.Values{"owner": {"kim"}, "version": {"99"}}},
		{"accept", nil},
		{"ack", nil},
		{"status", url.Values{"status": {"resolved"}}},
		{"time", url.Values{"minutes": {"15"}}},
	}
	for _, c := range forms {
		t.Run(c.action+" "+c.form.Encode(), func(t *testing.T) {
			before := snapshot(t, f)
			code, body := lee.submit("/tickets", "/tickets/T-2/"+c.action, c.form)
			require.Equal(t, 404, code, "redirected back to a page lee cannot see")
			require.Contains(t, body, "Not found: ticket T-2.")
			require.Equal(t, before, snapshot(t, f), "a refused change changes nothing")
			_, unknown := lee.submit("/tickets", "/tickets/T-99/"+c.action, c.form)
			require.Contains(t, unknown, "Not found: ticket T-99.", "worded as for an unknown ticket")
		})
	}
	code, body := lee.submit("/tickets/T-1", "/tickets/T-1/note", url.Values{"body": {"helpdesk's own"}})
	require.Equal(t, 200, code)
	require.Contains(t, body, "Internal note added.")
}

// TestTechScopeOverview: the overview counts go through the scope (a
// manager's is everything).
func TestTechScopeOverview(t *testing.T) {
	_, maria, lee := serveTwoTeams(t)
	code, body := maria.get("/")
	require.Equal(t, 200, code)
	require.Contains(t, body, "Server down")
	require.Contains(t, body, "infra")
	code, _ = lee.get("/")
	require.Equal(t, 403, code, "the overview is for managers")
}
