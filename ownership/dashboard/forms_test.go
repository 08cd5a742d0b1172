package dashboard_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/dashboard"
	"github.com/intakehq/intake/ownership/ownershiptest"
)

// snapshot is everything a form could change, as text to compare.
func snapshot(t *testing.T, f *ownershiptest.Fixture) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	p, err := f.Store.List(ctx, ownership.Filter{Limit: 1000})
	require.NoError(t, err)
	for _, tk := range p.Tickets {
		evs, err := f.Store.Events(ctx, tk.ID)
		require.NoError(t, err)
		fmt.Fprintf(&b, "%s v%d %s %s acked=%v offer=%v events=%d\n", tk.ID, tk.Version, tk.Owner, tk.Status, tk.AckedAt != nil, tk.Offer != nil, len(evs))
	}
	items, err := f.Store.ListOutbox(ctx, "", 1000)
	require.NoError(t, err)
	for _, it := range items {
		fmt.Fprintf(&b, "outbox %s %s\n", it.ID, it.State)
	}
	reps, err := f.Service.Reps(ctx)
	require.NoError(t, err)
	for _, r := range reps {
		fmt.Fprintf(&b, "rep %s %s\n", r.ID, r.Availability)
	}
	return b.String()
}

type formCase struct {
	name   string
	token  string
	setup  func(t *testing.T, f *ownershiptest.Fixture, s seeded)
	page   func(s seeded) string // where the form is
	action func(s seeded) string
	form   url.Values
	flash  string // shown after the redirect; an error flash changes nothing
	check  func(t *testing.T, f *ownershiptest.Fixture, s seeded)
}

func on(id func(s seeded) string, path string) func(s seeded) string {
	return func(s seeded) string { return "/tickets/" + id(s) + path }
}

var (
	xssTicket  = func(s seeded) string { return s.XSS }
	danaTicket = func(s seeded) string { return s.Dana }
	roster     = func(seeded) string { return "/roster" }
	outbox     = func(seeded) string { return "/outbox" }
)

func ticketOf(t *testing.T, f *ownershiptest.Fixture, id string) (ownership.Ticket, ownership.Event) {
	t.Helper()
	tk, err := f.Store.Ticket(context.Background(), id)
	require.NoError(t, err)
	evs, err := f.Store.Events(context.Background(), id)
	require.NoError(t, err)
	return tk, evs[len(evs)-1]
}

func availabilityIs(rep, av string) func(t *testing.T, f *ownershiptest.Fixture, s seeded) {
	return func(t *testing.T, f *ownershiptest.Fixture, s seeded) {
		r, err := f.Service.Rep(context.Background(), rep)
		require.NoError(t, err)
		require.Equal(t, av, r.Availability)
	}
}

func giveXSSToDana(t *testing.T, f *ownershiptest.Fixture, s seeded) {
	_, err := f.Service.Assign(context.Background(), ownershiptest.Maria, s.XSS, "dana", "test", nil)
	require.NoError(t, err)
}

var formCases = []formCase{
	{name: "tech replies", token: techToken, page: on(xssTicket, ""), action: on(xssTicket, "/reply"),
		form: url.Values{"body": {"We are on it."}, "key": {"k1"}}, flash: "Reply queued",
		check: func(t *testing.T, f *ownershiptest.Fixture, s seeded) {
			_, last := ticketOf(t, f, s.XSS)
			require.Equal(t, ownership.EventMessageOut, last.Type)
			require.Equal(t, "dana", last.Actor)
			it, err := f.Store.OutboxItem(context.Background(), "reply:"+s.XSS+":k1")
			require.NoError(t, err)
			require.Equal(t, "We are on it.", it.Body)
		}},
	{name: "empty reply", token: techToken, page: on(xssTicket, ""), action: on(xssTicket, "/reply"),
		form: url.Values{"body": {"  "}}, flash: "A reply needs a body"},
	{name: "tech adds a note", token: techToken, page: on(danaTicket, ""), action: on(danaTicket, "/note"),
		form: url.Values{"body": {"Router replaced <b>today</b>"}}, flash: "Internal note added.",
		check: func(t *testing.T, f *ownershiptest.Fixture, s seeded) {
			_, last := ticketOf(t, f, s.Dana)
			require.Equal(t, ownership.EventNote, last.Type)
			require.Equal(t, "Router replaced <b>today</b>", last.Body)
		}},
	{name: "manager reassigns", token: managerToken, page: on(danaTicket, ""), action: on(danaTicket, "/assign"),
		form: url.Values{"owner": {"kim"}, "reason": {"kim knows the router"}}, flash: "now owned by kim",
		check: func(t *testing.T, f *ownershiptest.Fixture, s seeded) {
			tk, last := ticketOf(t, f, s.Dana)
			require.Equal(t, "kim", tk.Owner)
			require.Equal(t, "maria", last.Actor)
			require.Contains(t, last.Reason, "kim knows the router")
		}},
	{name: "reassign to a stranger", token: managerToken, page: on(danaTicket, ""), action: on(danaTicket, "/assign"),
		form: url.Values{"owner": {"zed"}}, flash: `&#34;zed&#34; is not a rep on the roster`},
	{name: "reassign from a stale page", token: managerToken, page: on(danaTicket, ""), action: on(danaTicket, "/assign"),
		form: url.Values{"owner": {"kim"}, "version": {"1"}}, flash: "changed while you were looking at it"},
	{name: "tech offers a handoff", token: techToken, page: on(danaTicket, ""), action: on(danaTicket, "/assign"),
		form: url.Values{"owner": {"lee"}}, flash: "keeps it until lee accepts",
		check: func(t *testing.T, f *ownershiptest.Fixture, s seeded) {
			tk, _ := ticketOf(t, f, s.Dana)
			require.Equal(t, "dana", tk.Owner)
			require.Equal(t, "lee", tk.Offer.To)
		}},
	{name: "tech cannot hand off another's ticket", token: leeToken, page: on(danaTicket, ""), action: on(danaTicket, "/assign"),
		form: url.Values{"owner": {"kim"}}, flash: "Not allowed: only the owner (dana) or a manager can hand"},
	{name: "tech accepts a handoff", token: leeToken, page: on(danaTicket, ""), action: on(danaTicket, "/accept"),
		setup: func(t *testing.T, f *ownershiptest.Fixture, s seeded) {
			_, err := f.Service.Transfer(context.Background(), ownershiptest.Dana, s.Dana, "lee", "", nil)
			require.NoError(t, err)
		}, flash: "You own T-",
		check: func(t *testing.T, f *ownershiptest.Fixture, s seeded) {
			tk, _ := ticketOf(t, f, s.Dana)
			require.Equal(t, "lee", tk.Owner)
		}},
	{name: "owner acks", token: techToken, setup: giveXSSToDana, page: on(xssTicket, ""), action: on(xssTicket, "/ack"),
		flash: "Acknowledged",
		check: func(t *testing.T, f *ownershiptest.Fixture, s seeded) {
			tk, last := ticketOf(t, f, s.XSS)
			require.NotNil(t, tk.AckedAt)
			require.Equal(t, ownership.EventAcked, last.Type)
		}},
	{name: "only the owner acks", token: leeToken, setup: giveXSSToDana, page: on(xssTicket, ""), action: on(xssTicket, "/ack"),
		flash: "Not allowed: only the owner (dana) can acknowledge"},
	{name: "manager resolves", token: managerToken, page: on(danaTicket, ""), action: on(danaTicket, "/status"),
		form: url.Values{"status": {"resolved"}, "reason": {"fixed"}}, flash: "is now resolved",
		check: func(t *testing.T, f *ownershiptest.Fixture, s seeded) {
			tk, _ := ticketOf(t, f, s.Dana)
			require.Equal(t, ownership.StatusResolved, tk.Status)
		}},
	{name: "tech cannot change another's status", token: leeToken, page: on(danaTicket, ""), action: on(danaTicket, "/status"),
		form: url.Values{"status": {"closed"}}, flash: "Not allowed: only the owner (dana) or a manager"},
	{name: "unknown status", token: managerToken, page: on(danaTicket, ""), action: on(danaTicket, "/status"),
		form: url.Values{"status": {"lost"}}, flash: "Status &#34;lost&#34; is not one of open"},
	{name: "tech logs time", token: techToken, page: on(danaTicket, ""), action: on(danaTicket, "/time"),
		form: url.Values{"minutes": {"30"}, "note": {"on site"}}, flash: "Logged 30 minutes",
		check: func(t *testing.T, f *ownershiptest.Fixture, s seeded) {
			_, last := ticketOf(t, f, s.Dana)
			require.Equal(t, ownership.EventTimeLogged, last.Type)
			require.Equal(t, 30, last.Minutes)
		}},
	{name: "time that is not a number", token: techToken, page: on(danaTicket, ""), action: on(danaTicket, "/time"),
		form: url.Values{"minutes": {"half an hour"}}, flash: "Minutes must be a whole number"},
	{name: "no time", token: techToken, page: on(danaTicket, ""), action: on(danaTicket, "/time"),
		form: url.Values{"minutes": {"0"}}, flash: "Minutes must be between 1 and 1440"},
	{name: "tech goes away", token: techToken, page: roster, action: func(seeded) string { return "/roster/dana" },
		form: url.Values{"availability": {"away"}}, flash: "dana is now away",
		check: availabilityIs("dana", "away")},
	{name: "tech cannot set another rep", token: techToken, page: roster, action: func(seeded) string { return "/roster/lee" },
		form: url.Values{"availability": {"off"}}, flash: "Not allowed: only lee or a manager"},
	{name: "manager sets a rep off", token: managerToken, page: roster, action: func(seeded) string { return "/roster/kim" },
		form: url.Values{"availability": {"off"}}, flash: "kim is now off",
		check: availabilityIs("kim", "off")},
	{name: "manager retries a dead letter", token: managerToken, page: outbox, action: func(seeded) string { return "/outbox/retry" },
		flash: "is queued again", // the form carries the id (below)
		check: func(t *testing.T, f *ownershiptest.Fixture, s seeded) {
			it, err := f.Store.OutboxItem(context.Background(), s.Dead)
			require.NoError(t, err)
			require.Equal(t, ownership.OutboxPending, it.State)
		}},
	{name: "tech cannot retry", token: techToken, page: roster, action: func(seeded) string { return "/outbox/retry" },
		flash: "Not allowed: only managers retry failed messages"},
}

// TestForms posts every form as a browser would, follows the redirect
// and checks the flash message and the store. A refused change leaves the
// store exactly as it was.
func TestForms(t *testing.T) {
	for _, c := range formCases {
		t.Run(c.name, func(t *testing.T) {
			f, srv := serve(t, dashboard.Options{}, tokens)
			s := seedDays(t, f, 0)
			if c.setup != nil {
				c.setup(t, f, s)
			}
			b := newBrowser(t, srv)
			code, _ := b.signIn(c.token)
			require.Equal(t, 200, code)
			form := url.Values{}
			for k, v := range c.form {
				form[k] = v
			}
			if strings.HasPrefix(c.action(s), "/outbox") {
				form.Set("id", s.Dead)
			}
			before := snapshot(t, f)
			code, body := b.submit(c.page(s), c.action(s), form)
			require.Equal(t, 200, code, body)
			require.Contains(t, body, c.flash)
			if c.check != nil {
				require.Contains(t, body, `class="flash ok"`)
				c.check(t, f, s)
				return
			}
			require.Contains(t, body, `class="flash error"`)
			require.Equal(t, before, snapshot(t, f), "a refused change changes nothing")
			_, again := b.get(c.page(s))
			require.NotContains(t, again, c.flash, "the flash shows once")
		})
	}
}

// TestFormsNeedTheirCSRFToken posts every form without its token, with
// another session's token, from another site and without a session: each
// is refused and nothing changes.
func TestFormsNeedTheirCSRFToken(t *testing.T) {
	f, srv := serve(t, dashboard.Options{}, tokens)
	s := seed(t, f)
	maria, lee := newBrowser(t, srv), newBrowser(t, srv)
	maria.signIn(managerToken)
	lee.signIn(leeToken)
	_, page := lee.get("/tickets/" + s.Dana)
	leesToken := csrfOf(t, page)
	_, page = maria.get("/tickets/" + s.Dana)
	mariasToken := csrfOf(t, page)
	require.NotEqual(t, leesToken, mariasToken, "tokens are per session")

	before := snapshot(t, f)
	for _, c := range formCases {
		form := url.Values{"id": {s.Dead}}
		for k, v := range c.form {
			form[k] = v
		}
		action := srv.URL + c.action(s)
		for _, attempt := range []struct {
			name  string
			who   *browser
			csrf  string
			setup func(*http.Request)
			code  int
		}{
			{"no token", maria, "", nil, 403},
			{"another session's token", maria, leesToken, nil, 403},
			{"a made-up token", maria, strings.Repeat("A", len(mariasToken)), nil, 403},
			{"from another site", maria, mariasToken, func(r *http.Request) { r.Header.Set("Origin", "https://evil.example") }, 403},
			{"from another site (fetch metadata)", maria, mariasToken, func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") }, 403},
			{"without a session", newBrowser(t, srv), mariasToken, nil, 401},
		} {
			t.Run(c.name+"/"+attempt.name, func(t *testing.T) {
				form := url.Values{"csrf": {attempt.csrf}}
				for k, v := range c.form {
					form[k] = v
				}
				form.Set("id", s.Dead)
				req, _ := http.NewRequest("POST", action, strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Origin", srv.URL)
				if attempt.setup != nil {
					attempt.setup(req)
				}
				code, _ := reader{t}.read(attempt.who.c.Do(req))
				require.Equal(t, attempt.code, code)
			})
		}
	}
	require.Equal(t, before, snapshot(t, f), "no refused form changed anything")
}
