package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/intakehq/intake/channels/slack/slacktest"
	"github.com/intakehq/intake/ownership"
	"github.com/stretchr/testify/require"
)

const slackTom = "U01TOM"

// twoTeamRoster is slackRoster plus the team infra (tom), where a text
// about a server goes, and api.tech_scope set to scope ("" leaves the key
// out: the default, team).
func twoTeamRoster(scope string) string {
	r := slackRoster + `  - {id: infra, members: [tom], fallback: maria}
routing:
  default_team: helpdesk
  rules:
    - {name: servers, match: {keywords: ['(?i)server']}, set: {team: infra}}
`
	r = strings.Replace(r, "teams:\n", fmt.Sprintf("  - {id: tom, name: Tom Reyes, phone: \"+15551230005\", slack_user: %s, capacity: 1000}\nteams:\n", slackTom), 1)
	if scope != "" {
		r += "api:\n  tech_scope: " + scope + "\n"
	}
	return r
}

// TestSlackTechScope has dana (helpdesk) press every button, submit the
// Reply form, use "Send to customer", write !reply in the thread and run
// every /ticket verb on tom's infra ticket: each is refused in plain words
// visible only to her, nothing reaches the customer, and the ticket and
// its timeline are as they were.
func TestSlackTechScope(t *testing.T) {
	e := newSlackEnvRoster(t, "sqlite:"+filepath.Join(t.TempDir(), "intake.db"), twoTeamRoster(""), "")
	id := e.sms(t, "SM1", customer, "The server room is flooded")
	post := e.triagePost(t, id)
	e.settle(t)
	before, evs := fetchTicket(t, e.api, id)
	require.Equal(t, "tom/infra", before.Owner+"/"+before.Team)
	texts := len(e.texts(customer))
	unchanged := func(t *testing.T, what string) {
		t.Helper()
		e.settle(t)
		now, nowEvs := fetchTicket(t, e.api, id)
		require.Equal(t, before.Version, now.Version, "%s: %s unchanged", what, id)
		require.Equal(t, before.Owner, now.Owner, what)
		require.Equal(t, before.Status, now.Status, what)
		require.Nil(t, now.AckedAt, what)
		require.Len(t, nowEvs, len(evs), "%s: no event on %s", what, id)
		require.Len(t, e.texts(customer), texts, "%s: nothing sent to the customer", what)
	}
	refused := id + " is not one of the tickets you work on"

	for _, action := range []string{"ticket_ack", "ticket_take", "ticket_resolve", "ticket_reply"} {
		n := len(e.slack.Ephemerals())
		code, body := e.interact(t, slacktest.BlockAction(slackDana, triageChan, post.TS, action, id+"|tom", "trig-"+action))
		require.Equal(t, 200, code, body)
		eph := e.slack.Ephemerals()
		require.Len(t, eph, n+1, "%s: answered only to her", action)
		require.Contains(t, eph[n].Params.Get("text"), refused, action)
		require.Equal(t, slackDana, eph[n].Params.Get("user"))
		unchanged(t, action)
	}
	require.Empty(t, e.slack.Views(), "no reply form opened")

	code, body := e.interact(t, slacktest.ViewSubmission(slackDana, "ticket_reply", id, map[string]map[string]string{"reply": {"text": "Hi from dana"}}))
	require.Equal(t, 200, code)
	require.Contains(t, body, refused, "the form says why")
	unchanged(t, "reply form")

	n := len(e.slack.Ephemerals())
	code, _ = e.interact(t, slacktest.MessageShortcut("send_to_customer", slackDana, triageChan, "1800000004.000100", post.TS, "Hi from dana", "trig1"))
	require.Equal(t, 200, code)
	require.Contains(t, e.slack.Ephemerals()[n].Params.Get("text"), refused)
	unchanged(t, "send to customer")

	code, _ = e.event(t, "Ev1", threadMsg(triageChan, slackDana, "!reply Hi from dana", "1800000005.000100", post.TS))
	require.Equal(t, 200, code, "kept, not retried")
	e.settle(t)
	require.Len(t, e.texts(customer), texts, "a !reply outside her scope is not sent")
	reactions := map[string]string{}
	for _, r := range e.slack.Reactions() {
		reactions[r.TS] = r.Name
	}
	require.Equal(t, "warning", reactions["1800000005.000100"], "marked as not sent")

	for _, cmd := range []string{"ack", "take", "resolve", "accept", "note %s peek", "time %s 5m", "assign %s <@" + slackLee + ">"} {
		line := cmd + " %s"
		if strings.Contains(cmd, "%s") {
			line = cmd
		}
		line = fmt.Sprintf(line, id)
		got := e.command(t, slackDana, line)
		require.Equal(t, e.command(t, slackDana, strings.Replace(line, id, "T-999", 1)), got, "/ticket %s: worded as for an unknown ticket", line)
		require.Contains(t, got, "No such ticket", line)
	}
	require.NotContains(t, e.command(t, slackDana, "mine"), id)
	_, evsAfter := fetchTicket(t, e.api, id)
	var danas []ownership.EventType
	for _, ev := range evsAfter[len(evs):] {
		if ev.Actor == "dana" {
			danas = append(danas, ev.Type)
		}
	}
	require.Equal(t, []ownership.EventType{ownership.EventNote}, danas, "of dana's, only the thread message, kept as a note")

	// tom, whose ticket it is, and maria, a manager, may.
	code, _ = e.interact(t, slacktest.BlockAction(slackTom, triageChan, post.TS, "ticket_ack", id+"|tom", "trig-tom"))
	require.Equal(t, 200, code)
	tk, _ := fetchTicket(t, e.api, id)
	require.NotNil(t, tk.AckedAt)
	require.Contains(t, e.command(t, slackMaria, "note "+id+" managers see all"), "Note added")
}

// TestTechScopeSetting: api.tech_scope reaches the running server. Under
// own, lee (helpdesk) may not open dana's helpdesk ticket, which team
// allows; the API's audit names its scope and intake audit says it is
// partial.
func TestTechScopeSetting(t *testing.T) {
	for _, scope := range []string{"own", "team", "all"} {
		t.Run(scope, func(t *testing.T) {
			e := newSlackEnvRoster(t, "sqlite:"+filepath.Join(t.TempDir(), "intake.db"), twoTeamRoster(scope), "")
			id := e.sms(t, "SM1", customer, "Printer jammed")
			tk, _ := fetchTicket(t, e.api, id)
			other := map[string]string{"dana": "lee", "lee": "dana"}[tk.Owner]
			require.NotEmpty(t, other)
			want := map[string]int{"own": 404, "team": 200, "all": 200}[scope]
			for _, c := range []struct {
				rep  string
				code int
			}{{tk.Owner, 200}, {other, want}, {"tom", map[string]int{"own": 404, "team": 404, "all": 200}[scope]}, {"maria", 200}} {
				code, _ := getAs(t, e.srv.url+"/api/v1/tickets/"+id, c.rep)
				require.Equal(t, c.code, code, "%s opens %s under %s", c.rep, id, scope)
			}
			code, body := getAs(t, e.srv.url+"/api/v1/audit", "tom")
			require.Equal(t, 200, code)
			var a struct{ Scope string }
			require.NoError(t, json.Unmarshal([]byte(body), &a))
			require.Equal(t, scope, a.Scope)
		})
	}
}

// getAs GETs url in token-less mode acting as rep (X-Intake-Actor).
func getAs(t *testing.T, url, rep string) (int, string) {
	t.Helper()
	return doAs(t, "GET", url, rep, "")
}

// doAs sends a request in token-less mode acting as rep (X-Intake-Actor).
func doAs(t *testing.T, method, url, rep, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("X-Intake-Actor", rep)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// TestTechScopeHidesTicketsOnEveryStore: on either store, a ticket
// outside a tech's scope is answered exactly as one that does not exist
// (the stores word their own not-found errors differently).
func TestTechScopeHidesTicketsOnEveryStore(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "intake.yaml")
			require.NoError(t, writeFile(path, "listen: 127.0.0.1:0\n"+twoTeamRoster("")))
			srv := startServer(t, serveFlags{config: path, store: b.url(t)})
			cl := newAPIClient(srv.url, "", 1)
			for subject, email := range map[string]string{"Printer jammed": "pat@example.org", "Server down": "sam@example.net"} {
				_, err := cl.do(context.Background(), "POST", "/api/v1/tickets", map[string]any{"subject": subject, "contact": map[string]string{"email": email}}, nil)
				require.NoError(t, err)
			}
			tk, _ := fetchTicket(t, cl, "T-2")
			if tk.Subject != "Server down" {
				tk, _ = fetchTicket(t, cl, "T-1")
			}
			require.Equal(t, "tom/infra", tk.Owner+"/"+tk.Team)
			hiddenID := tk.ID
			for _, c := range []struct{ method, path, body string }{
				{"GET", "/api/v1/tickets/%s", ""},
				{"POST", "/api/v1/tickets/%s/notes", `{"body":"peek"}`},
				{"POST", "/api/v1/tickets/%s/take", `{"version":7}`},
			} {
				code, hidden := doAs(t, c.method, srv.url+fmt.Sprintf(c.path, hiddenID), "dana", c.body)
				require.Equal(t, 404, code, "%s %s: %s", c.method, c.path, hidden)
				_, unknown := doAs(t, c.method, srv.url+fmt.Sprintf(c.path, "T-99"), "dana", c.body)
				require.Equal(t, strings.ReplaceAll(unknown, "T-99", hiddenID), hidden, "%s %s", c.method, c.path)
			}
		})
	}
}

// TestAuditTechScope: intake audit with a tech's token audits the tickets
// that token may see, and says so; a manager's audits them all.
func TestAuditTechScope(t *testing.T) {
	const danaTok, mariaTok = "dana-0123456789abcdef", "maria-0123456789abcdef"
	cfg := "listen: 127.0.0.1:0\n" + twoTeamRoster("") + fmt.Sprintf(`api:
  tokens:
    - {name: dana, token: %s, role: tech, rep: dana}
    - {name: maria, token: %s, role: manager, rep: maria}
`, danaTok, mariaTok)
	dir := t.TempDir()
	require.NoError(t, writeFile(filepath.Join(dir, "intake.yaml"), cfg))
	db := filepath.Join(dir, "intake.db")
	srv := startServer(t, serveFlags{config: filepath.Join(dir, "intake.yaml"), store: "sqlite:" + db})
	ctx := context.Background()
	cl := newAPIClient(srv.url, mariaTok, 1)
	for _, subject := range []string{"Printer jammed", "Server down"} {
		_, err := cl.do(ctx, "POST", "/api/v1/tickets", map[string]any{"subject": subject, "contact": map[string]string{"email": "x@example.org"}}, nil)
		require.NoError(t, err)
	}
	tk, _ := fetchTicket(t, cl, "T-2")
	require.Equal(t, "infra", tk.Team)
	breakOwner(t, db, 2) // T-2, infra's, loses its owner

	var stdout, stderr bytes.Buffer
	require.Equal(t, 1, run(ctx, []string{"audit", "--server", srv.url, "--token", mariaTok}, &stdout, &stderr), stderr.String())
	require.Contains(t, stdout.String(), "UNOWNED: 1")
	require.Empty(t, stderr.String())

	stdout.Reset()
	require.Equal(t, 0, run(ctx, []string{"audit", "--server", srv.url, "--token", danaTok}, &stdout, &stderr), stderr.String())
	require.Contains(t, stdout.String(), "UNOWNED: 0", "infra's ticket is not dana's to see")
	require.NotContains(t, stdout.String(), "T-2")
	require.Contains(t, stderr.String(), "api.tech_scope: team")
	require.Contains(t, stderr.String(), "use a manager token")
}
