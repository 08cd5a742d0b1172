package dashboard_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/intakehq/intake/ownership/dashboard"
	"github.com/intakehq/intake/routing"
)

func users(t *testing.T) []dashboard.User {
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse battery"), bcrypt.MinCost)
	require.NoError(t, err)
	techHash, err := bcrypt.GenerateFromPassword([]byte("lee's own password"), bcrypt.MinCost)
	require.NoError(t, err)
	return []dashboard.User{
		{Name: "maria@msp.example", PasswordHash: string(hash), Role: routing.RoleManager, Rep: "maria"},
		{Name: "lee", PasswordHash: string(techHash), Role: routing.RoleTech},
	}
}

// setCookie returns the Set-Cookie line for name in an answer.
func setCookie(resp *http.Response, name string) string {
	for _, c := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(c, name+"=") {
			return c
		}
	}
	return ""
}

func TestUserSignIn(t *testing.T) {
	_, srv := serve(t, dashboard.Options{Users: users(t), Secure: true}, tokens)
	b := newBrowser(t, srv)
	code, body := b.get("/login")
	require.Equal(t, 200, code)
	require.Contains(t, body, `id="user-login"`)

	for _, wrong := range []url.Values{
		{"user": {"maria@msp.example"}, "password": {"Correct horse battery"}},
		{"user": {"nobody"}, "password": {"correct horse battery"}},
		{"user": {"lee"}, "password": {"correct horse battery"}},
	} {
		code, body = b.submit("/login", "/login", wrong)
		require.Equal(t, 401, code)
		require.Contains(t, body, "is not right")
	}

	// Sign in without following the redirect, to read the cookie.
	_, page := b.get("/login")
	noFollow := &http.Client{Jar: b.c.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := postForm(noFollow, srv.URL+"/login", url.Values{"csrf": {csrfOf(t, page)}, "user": {"maria@msp.example"},
		"password": {"correct horse battery"}, "next": {"/roster"}})
	code, _ = reader{t}.read(resp, err)
	require.Equal(t, http.StatusSeeOther, code)
	require.Equal(t, "/roster", resp.Header.Get("Location"), "back to the page asked for")
	c := setCookie(resp, "intake_user")
	require.Contains(t, c, "HttpOnly")
	require.Contains(t, c, "SameSite=Lax")
	require.Contains(t, c, "Secure", "Options.Secure marks the cookies Secure")
	require.NotContains(t, c, "correct horse")

	code, body = b.get("/")
	require.Equal(t, 200, code)
	require.Contains(t, body, "Signed in as maria (manager)")

	u, _ := url.Parse(srv.URL)
	var value string
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "intake_user" {
			value = c.Value
		}
	}
	forged := newBrowser(t, srv)
	forged.c.Jar.SetCookies(u, []*http.Cookie{{Name: "intake_user", Value: value[:len(value)-4] + "beef"}})
	code, _ = forged.get("/")
	require.Equal(t, 401, code, "a forged user session is refused")

	b.signOut()
}

func TestSignInReturnsOnlyToThisSite(t *testing.T) {
	_, srv := serve(t, dashboard.Options{}, tokens)
	for next, want := range map[string]string{
		"/tickets/T-1":     "/tickets/T-1",
		"//evil.example/x": "/",
		"/\\evil.example":  "/",
		"https://evil.x/":  "/",
		"/login":           "/",
	} {
		b := newBrowser(t, srv)
		_, page := b.get("/login")
		b.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, err := postForm(b.c, srv.URL+"/login", url.Values{"csrf": {csrfOf(t, page)}, "token": {managerToken}, "next": {next}})
		code, _ := reader{t}.read(resp, err)
		require.Equal(t, http.StatusSeeOther, code)
		require.Equal(t, want, resp.Header.Get("Location"), "next=%s", next)
	}
}

// Without tokens the dashboard serves this machine as the local admin;
// its forms are still bound to a random cookie.
func TestTokenlessMode(t *testing.T) {
	f, srv := serve(t, dashboard.Options{}, nil)
	s := seed(t, f)
	b := newBrowser(t, srv)
	code, body := b.get("/tickets/" + s.Dana)
	require.Equal(t, 200, code)
	require.Contains(t, body, "admin (manager)")
	require.NotContains(t, body, `action="/logout"`, "nothing to sign out of")

	before := snapshot(t, f)
	code, _ = b.post("/tickets/"+s.Dana+"/note", url.Values{"body": {"no token"}})
	require.Equal(t, 403, code)
	other := newBrowser(t, srv)
	code, _ = other.post("/tickets/"+s.Dana+"/note", url.Values{"body": {"token of another browser"}, "csrf": {csrfOf(t, body)}})
	require.Equal(t, 403, code)
	require.Equal(t, before, snapshot(t, f))

	code, body = b.submit("/tickets/"+s.Dana, "/tickets/"+s.Dana+"/note", url.Values{"body": {"checked on site"}})
	require.Equal(t, 200, code)
	require.Contains(t, body, "Internal note added.")
	require.Contains(t, body, "checked on site")
}

// A form post that does not say it came from this origin is refused, with
// a valid session and CSRF token: "Origin: null" (sandboxed frames, data:
// pages) and a post naming neither Origin nor Referer. Fetch metadata,
// which a page cannot forge, decides when a browser sends it.
func TestFormsMustNameThisOrigin(t *testing.T) {
	f, srv := serve(t, dashboard.Options{}, tokens)
	s := seed(t, f)
	maria := newBrowser(t, srv)
	maria.signIn(managerToken)
	_, page := maria.get("/tickets/" + s.Dana)
	csrf := csrfOf(t, page)
	before := snapshot(t, f)
	for _, c := range []struct {
		name    string
		headers map[string]string
		code    int
	}{
		{"Origin null", map[string]string{"Origin": "null"}, 403},
		{"no Origin, no Referer", nil, 403},
		{"Referer of another site", map[string]string{"Referer": "https://evil.example/x"}, 403},
		{"Origin null, fetch metadata cross-site", map[string]string{"Origin": "null", "Sec-Fetch-Site": "cross-site"}, 403},
		{"Origin null, fetch metadata same-origin", map[string]string{"Origin": "null", "Sec-Fetch-Site": "same-origin"}, 403},
		{"fetch metadata same-site (a sibling subdomain)", map[string]string{"Sec-Fetch-Site": "same-site"}, 403},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, path := range []string{"/tickets/" + s.Dana + "/note", "/login", "/logout"} {
				req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(url.Values{"csrf": {csrf}, "body": {"forged"}, "token": {managerToken}}.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				for k, v := range c.headers {
					req.Header.Set(k, v)
				}
				code, _ := reader{t}.read(maria.c.Do(req))
				require.Equal(t, c.code, code, "POST %s", path)
			}
		})
	}
	require.Equal(t, before, snapshot(t, f), "no refused form changed anything")
	code, _ := maria.get("/")
	require.Equal(t, 200, code, "the refused sign-out left the session alone")

	for name, h := range map[string]map[string]string{
		"Referer of this site":       {"Referer": srv.URL + "/tickets/" + s.Dana},
		"fetch metadata same-origin": {"Sec-Fetch-Site": "same-origin"},
	} {
		req, _ := http.NewRequest("POST", srv.URL+"/tickets/"+s.Dana+"/note", strings.NewReader(url.Values{"csrf": {csrf}, "body": {name}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range h {
			req.Header.Set(k, v)
		}
		code, body := reader{t}.read(maria.c.Do(req))
		require.Equal(t, 200, code, name)
		require.Contains(t, body, "Internal note added.", name)
	}
}
