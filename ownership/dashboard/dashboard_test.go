package dashboard_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/api"
	"github.com/intakehq/intake/ownership/dashboard"
	"github.com/intakehq/intake/ownership/ownershiptest"
	"github.com/intakehq/intake/routing"
	"github.com/stretchr/testify/require"
)

const (
	managerToken = "mgr-0123456789abcdef"
	techToken    = "dana-0123456789abcdef"
	leeToken     = "lee-0123456789abcdefg"
)

func newServer(t *testing.T, tokens []api.Token) (*ownershiptest.Fixture, *httptest.Server) {
	return serve(t, dashboard.Options{}, tokens)
}

// serve starts the dashboard (and the API beside it, as cmd/intake does)
// over a fixture whose outbox can send email, so replies queue; mutate
// may change the fixture's roster.
func serve(t *testing.T, opts dashboard.Options, tokens []api.Token, mutate ...func(*routing.Config)) (*ownershiptest.Fixture, *httptest.Server) {
	f := ownershiptest.NewWithOptions(t, func(o *ownership.Options) {
		o.Outbound = map[channels.Kind]bool{channels.Email: true}
	}, mutate...)
	mux := http.NewServeMux()
	opts.Auth = api.NewSessions(tokens, f.Service.Router(), api.SessionOptions{Store: f.Service.Store()})
	dashboard.Register(mux, f.Service, opts)
	api.Register(mux, f.Service, api.Options{Tokens: tokens})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return f, srv
}

var tokens = []api.Token{
	{Name: "maria", Secret: managerToken, Role: routing.RoleManager},
	{Name: "dana", Secret: techToken, Role: routing.RoleTech, Rep: "dana"},
	{Name: "lee", Secret: leeToken, Role: routing.RoleTech, Rep: "lee"},
}

func client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar}
}

// reader reads an answer; read(c.Get(url)) keeps call sites short.
type reader struct{ t *testing.T }

func (r reader) read(resp *http.Response, err error) (int, string) {
	t := r.t
	t.Helper()
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// csrfOf returns the CSRF token of the first form on a page.
func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(page)
	require.NotNil(t, m, "the page has a form with a CSRF token")
	return m[1]
}

// browser is a client with a cookie jar, as a person's browser would be.
type browser struct {
	t    *testing.T
	c    *http.Client
	base string
}

func newBrowser(t *testing.T, srv *httptest.Server) *browser {
	return &browser{t: t, c: client(), base: srv.URL}
}

func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	return reader{b.t}.read(b.c.Get(b.base + path))
}

func (b *browser) post(path string, v url.Values) (int, string) {
	b.t.Helper()
	return reader{b.t}.read(postForm(b.c, b.base+path, v))
}

// postForm posts v as a browser posts a form: with its Origin.
func postForm(c *http.Client, target string, v url.Values) (*http.Response, error) {
	req, err := http.NewRequest("POST", target, strings.NewReader(v.Encode()))
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", u.Scheme+"://"+u.Host)
	return c.Do(req)
}

// submit fills in a form the way a browser does: it loads page, takes the
// form's CSRF token and posts v to action.
func (b *browser) submit(page, action string, v url.Values) (int, string) {
	b.t.Helper()
	_, body := b.get(page)
	w := url.Values{"csrf": {csrfOf(b.t, body)}}
	for k, vs := range v {
		w[k] = vs
	}
	return b.post(action, w)
}

// signOut signs out through the form and checks the session ended.
func (b *browser) signOut() {
	b.t.Helper()
	code, _ := b.submit("/", "/logout", nil)
	require.Equal(b.t, 200, code)
	code, _ = b.get("/")
	require.Equal(b.t, 401, code, "signed out")
}

// signIn signs in with a token through the form.
func (b *browser) signIn(token string) (int, string) {
	b.t.Helper()
	return b.submit("/login", "/login", url.Values{"token": {token}})
}

func TestOverviewEscapesCustomerText(t *testing.T) {
	f, srv := newServer(t, nil)
	_, _, err := f.Service.CreateTicket(context.Background(), ownership.NewTicket{
		Subject: `<script>alert(1)</script><img src=x onerror=alert(2)>`,
		Contact: ownership.Contact{Name: `"><b>Mallory</b>`, Email: "m@evil.test"},
	})
	require.NoError(t, err)
	resp, err := http.Get(srv.URL + "/")
	code, body := reader{t}.read(resp, err)
	require.Equal(t, 200, code)
	require.NotContains(t, body, "<script>alert")
	require.NotContains(t, body, "<img src=x")
	require.NotContains(t, body, "<b>Mallory")
	require.Contains(t, body, "&lt;script&gt;alert(1)&lt;/script&gt;")
	require.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'none'")
	require.Contains(t, body, `<b id="unowned">0</b>`)
}

func TestSignInWithManagerToken(t *testing.T) {
	_, srv := newServer(t, tokens)
	b := newBrowser(t, srv)
	code, body := b.get("/")
	require.Equal(t, 401, code)
	require.Contains(t, body, `action="/login"`)

	code, body = b.signIn("wrong-wrong-wrong-wrong")
	require.Equal(t, 401, code)
	require.Contains(t, body, "is not right")

	code, body = b.post("/login", url.Values{"token": {managerToken}})
	require.Equal(t, 403, code, "a sign-in without the form's CSRF token is refused")
	require.Contains(t, body, "expired")

	code, body = b.signIn(managerToken)
	require.Equal(t, 200, code, "redirected to the overview")
	require.Contains(t, body, `id="unowned"`)
	require.Contains(t, body, "Signed in as maria")
	u, _ := url.Parse(srv.URL)
	var session *http.Cookie
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == api.SessionCookie {
			session = c
		}
	}
	require.NotNil(t, session)
	require.NotContains(t, session.Value, managerToken, "the cookie is not the token")

	code, _ = b.post("/logout", nil)
	require.Equal(t, 403, code, "signing out needs the CSRF token too")
	b.signOut()
}

// A tech signs in to their own tickets; the overview stays for managers.
func TestSignInAsTech(t *testing.T) {
	_, srv := newServer(t, tokens)
	b := newBrowser(t, srv)
	code, body := b.signIn(techToken)
	require.Equal(t, 200, code)
	require.Contains(t, body, "<h1>Tickets</h1>")
	require.Contains(t, body, `<option value="dana" selected>`, "landed on dana's tickets")
	require.NotContains(t, body, `href="/outbox"`, "no manager pages in the menu")
	code, body = b.get("/")
	require.Equal(t, 403, code)
	require.Contains(t, body, "is for managers")
}

func TestForgedAndCrossSiteSessions(t *testing.T) {
	_, srv := newServer(t, tokens)
	req, _ := http.NewRequest("GET", srv.URL+"/", nil)
	req.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: "bWFyaWE.9999999999.deadbeef"})
	code, _ := reader{t}.read(http.DefaultClient.Do(req))
	require.Equal(t, 401, code, "a forged session is refused")

	req, _ = http.NewRequest("POST", srv.URL+"/login", strings.NewReader("token="+managerToken))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	code, _ = reader{t}.read(http.DefaultClient.Do(req))
	require.Equal(t, 403, code, "cross-site sign-in is refused")

	req, _ = http.NewRequest("GET", srv.URL+"/", nil)
	req.Header.Set("Authorization", "Bearer "+techToken)
	code, _ = reader{t}.read(http.DefaultClient.Do(req))
	require.Equal(t, 403, code, "the dashboard is for managers")
}

var (
	ticketLink = regexp.MustCompile(`<td><a href="/tickets/(T-\d+)">`)
	nextLink   = regexp.MustCompile(`<a href="([^"]*)" rel="next">`)
)
