package dashboard_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/intakehq/intake/ownership/dashboard"
)

// TestPages loads every page as a manager, a tech and a stranger, and
// checks what each may see, that customer markup is only ever text, and
// the headers every page carries.
func TestPages(t *testing.T) {
	f, srv := serve(t, dashboard.Options{}, tokens)
	s := seed(t, f)
	manager, tech, anon := newBrowser(t, srv), newBrowser(t, srv), newBrowser(t, srv)
	code, _ := manager.signIn(managerToken)
	require.Equal(t, 200, code)
	code, _ = tech.signIn(techToken)
	require.Equal(t, 200, code)

	markup := []string{"<script>window.__xss", "<img src=x", "<b>Mallory", "<b>today"}
	cases := []struct {
		name    string
		who     *browser
		path    string
		code    int
		has     []string
		hasNot  []string
		refresh bool
	}{
		{"overview", manager, "/", 200, []string{`<b id="unowned">0</b>`, `id="volume"`, "Load against capacity", "Not acknowledged in time",
			"Printer &lt;script&gt;window.__xss=2&lt;/script&gt; broken", "&#34;&gt;&lt;b&gt;Mallory&lt;/b&gt;"}, markup, true},
		{"overview is for managers", tech, "/", 403, []string{"is for managers"}, nil, false},
		{"overview asks strangers to sign in", anon, "/", 401, []string{`action="/login"`}, nil, false},
		{"open tickets", manager, "/tickets", 200, []string{s.XSS, s.Dana, "Wifi slow", "&lt;script&gt;"}, markup, true},
		{"tickets of a tech", tech, "/tickets", 200, []string{s.XSS, "Wifi slow"}, append(markup, `href="/outbox"`), true},
		{"all tickets", manager, "/tickets?status=all", 200, []string{"T-1<", "Issue 1:"}, nil, true},
		{"closed tickets", manager, "/tickets?status=closed", 200, []string{"T-1<"}, []string{"Wifi slow"}, true},
		{"by channel", manager, "/tickets?channel=voice", 200, []string{"Server room too hot"}, []string{"Wifi slow"}, true},
		{"by owner", manager, "/tickets?owner=dana&status=all", 200, []string{s.Dana}, nil, true},
		{"by org", manager, "/tickets?org=acme", 200, []string{"acme"}, []string{"Wifi slow"}, true},
		{"unowned", manager, "/tickets?unowned=1", 200, []string{"No tickets match."}, nil, true},
		{"search subject", manager, "/tickets?q=ROOM+too", 200, []string{"Server room too hot", "Searched"}, []string{"Wifi slow"}, true},
		{"search contact", manager, "/tickets?q=mallory&status=all", 200, []string{s.XSS}, []string{"Server room"}, true},
		{"search finds nothing", manager, "/tickets?q=nothing-like-this", 200, []string{"No tickets match."}, nil, true},
		{"bad status", manager, "/tickets?status=lost", 400, []string{"is not one of open"}, nil, false},
		{"bad cursor", manager, "/tickets?cursor=x", 400, []string{"page link is broken"}, nil, false},
		{"ticket", manager, "/tickets/" + s.XSS, 200, []string{
			"&lt;script&gt;window.__xss=3&lt;/script&gt;", "&lt;img src=x onerror=&#34;window.__xss=1&#34;&gt;",
			"&#34;&gt;&lt;b&gt;Mallory&lt;/b&gt;", `id="reply-form"`, `id="note-form"`, `id="assign-form"`, `id="ack-form"`,
			`id="status-form"`, `id="time-form"`, "Reassign to", "Ack", "overdue by"}, markup, false},
		{"ticket for a tech", tech, "/tickets/" + s.Dana, 200, []string{"Offer a handoff to", "Asked the customer to restart the router."}, nil, false},
		{"ticket id in lower case", manager, "/tickets/" + strings.ToLower(s.Dana), 200, []string{s.Dana}, nil, false},
		{"no such ticket", manager, "/tickets/T-999", 404, []string{"There is no ticket T-999."}, nil, false},
		{"ticket asks strangers to sign in", anon, "/tickets/" + s.Dana, 401, []string{`name="next" value="/tickets/` + s.Dana + `"`}, nil, false},
		{"roster", manager, "/roster", 200, []string{`action="/roster/dana"`, `action="/roster/maria"`, "2 / 3", "fallback: helpdesk"}, nil, true},
		{"roster for a tech", tech, "/roster", 200, []string{`action="/roster/dana"`}, []string{`action="/roster/lee"`}, true},
		{"dead letters", manager, "/outbox", 200, []string{"550 5.1.1 &lt;mallory@evil.test&gt;: mailbox unavailable", `action="/outbox/retry"`, s.Dead}, markup, false},
		{"dead letters are for managers", tech, "/outbox", 403, []string{"is for managers"}, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := c.who.c.Get(srv.URL + c.path)
			code, body := reader{t}.read(resp, err)
			require.Equal(t, c.code, code, body)
			for _, s := range c.has {
				require.Contains(t, body, s)
			}
			for _, s := range c.hasNot {
				require.NotContains(t, body, s)
			}
			require.NotContains(t, body, "<script", "no page carries a script")
			require.Equal(t, c.refresh, strings.Contains(body, `http-equiv="refresh"`), "refresh only on read-only pages")
			h := resp.Header
			require.Contains(t, h.Get("Content-Security-Policy"), "default-src 'none'")
			require.Contains(t, h.Get("Content-Security-Policy"), "frame-ancestors 'none'")
			require.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
			require.Equal(t, "no-store", h.Get("Cache-Control"))
			if code == 200 && c.who != anon {
				require.Contains(t, body, `name="csrf"`, "every page with a form has its token")
			}
		})
	}
}

func TestStylesheet(t *testing.T) {
	_, srv := newServer(t, tokens)
	resp, err := http.Get(srv.URL + "/dashboard.css")
	code, body := reader{t}.read(resp, err)
	require.Equal(t, 200, code)
	require.Contains(t, resp.Header.Get("Content-Type"), "text/css")
	require.Contains(t, body, ".fig.bad")
}

// TestPaging walks the list, and a search, a page at a time through their
// next links.
func TestPaging(t *testing.T) {
	f, srv := serve(t, dashboard.Options{}, tokens)
	s := seed(t, f)
	b := newBrowser(t, srv)
	b.signIn(managerToken)
	require.Len(t, walk(t, b, "/tickets?status=all&limit=7"), s.Total, "every ticket once, over the pages")
	require.Len(t, walk(t, b, "/tickets?status=all&limit=2&q=wifi"), 3, "every match once")
	require.Len(t, walk(t, b, "/tickets?status=all&limit=2&q=issue"), s.Total-5, "every match once")
}

func walk(t *testing.T, b *browser, first string) map[string]bool {
	seen := map[string]bool{}
	next := first
	for pages := 0; next != ""; pages++ {
		require.Less(t, pages, 20)
		code, body := b.get(next)
		require.Equal(t, 200, code)
		for _, m := range ticketLink.FindAllStringSubmatch(body, -1) {
			require.False(t, seen[m[1]], "%s shown twice", m[1])
			seen[m[1]] = true
		}
		next = ""
		if m := nextLink.FindStringSubmatch(body); m != nil {
			next = strings.ReplaceAll(m[1], "&amp;", "&")
		}
	}
	return seen
}
