package dashboard_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

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
)

func newServer(t *testing.T, tokens []api.Token) (*ownershiptest.Fixture, *httptest.Server) {
	f := ownershiptest.New(t)
	mux := http.NewServeMux()
	dashboard.Register(mux, f.Service, dashboard.Options{Auth: api.NewSessions(tokens, f.Service.Router(), false, nil)})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return f, srv
}

var tokens = []api.Token{
	{Name: "maria", Secret: managerToken, Role: routing.RoleManager},
	{Name: "dana", Secret: techToken, Role: routing.RoleTech, Rep: "dana"},
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
	c := client()
	code, body := reader{t}.read(c.Get(srv.URL + "/"))
	require.Equal(t, 401, code)
	require.Contains(t, body, `action="/login"`)

	code, body = reader{t}.read(c.PostForm(srv.URL+"/login", url.Values{"token": {"wrong-wrong-wrong-wrong"}}))
	require.Equal(t, 401, code)
	require.Contains(t, body, "not a manager token")

	code, _ = reader{t}.read(c.PostForm(srv.URL+"/login", url.Values{"token": {techToken}}))
	require.Equal(t, 401, code, "a tech token does not open the dashboard")

	code, body = reader{t}.read(c.PostForm(srv.URL+"/login", url.Values{"token": {managerToken}}))
	require.Equal(t, 200, code, "redirected to the overview")
	require.Contains(t, body, `id="unowned"`)
	require.Contains(t, body, "Signed in as maria")
	u, _ := url.Parse(srv.URL)
	cookies := c.Jar.Cookies(u)
	require.Len(t, cookies, 1)
	require.NotContains(t, cookies[0].Value, managerToken, "the cookie is not the token")

	code, _ = reader{t}.read(c.PostForm(srv.URL+"/logout", nil))
	require.Equal(t, 200, code)
	code, _ = reader{t}.read(c.Get(srv.URL + "/"))
	require.Equal(t, 401, code, "signed out")
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
