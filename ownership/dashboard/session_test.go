package dashboard_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/api"
	"github.com/intakehq/intake/ownership/dashboard"
	"github.com/intakehq/intake/ownership/ownershiptest"
)

// replicas serves n dashboards over one Service and store, each with its
// own Sessions and throttle, as n intake processes would: whatever one
// knows of another's sign-ins it reads from the store.
func replicas(t *testing.T, f *ownershiptest.Fixture, toks []api.Token, us []dashboard.User, clock func() time.Time) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(replicaHandler(f, toks, us, clock))
	t.Cleanup(srv.Close)
	return srv
}

func replicaHandler(f *ownershiptest.Fixture, toks []api.Token, us []dashboard.User, clock func() time.Time) http.Handler {
	mux := http.NewServeMux()
	throttle := api.NewThrottle(f.Store, api.ThrottleOptions{Now: clock})
	dashboard.Register(mux, f.Service, dashboard.Options{Users: us, Throttle: throttle,
		Auth: api.NewSessions(toks, f.Service.Router(), api.SessionOptions{Store: f.Store, Throttle: throttle, Now: clock})})
	return mux
}

func newFixture(t *testing.T) *ownershiptest.Fixture {
	return ownershiptest.NewWithOptions(t, func(o *ownership.Options) {
		o.Outbound = map[channels.Kind]bool{channels.Email: true}
	})
}

// cookieOf returns the value of the cookie name b holds for srv.
func cookieOf(t *testing.T, b *browser, name string) string {
	t.Helper()
	u, _ := url.Parse(b.base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	t.Fatalf("no %s cookie", name)
	return ""
}

// replay requests path from srv with only the cookie name=value.
func replay(t *testing.T, srv *httptest.Server, path, name, value string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+path, nil)
	req.AddCookie(&http.Cookie{Name: name, Value: value})
	return reader{t}.read(http.DefaultClient.Do(req))
}

// Signing out ends the session on every replica, for token and user
// sessions alike: the cookie replayed afterwards gets the sign-in page
// with 401, also on a replica that never saw the sign-out. So does a
// cookie whose token or user was removed from the config.
func TestSignOutEndsSessionOnEveryReplica(t *testing.T) {
	f := newFixture(t)
	us := users(t)
	a, b := replicas(t, f, tokens, us, time.Now), replicas(t, f, tokens, us, time.Now)
	for _, c := range []struct {
		name, cookie string
		signIn       func(*browser)
		without      func() ([]api.Token, []dashboard.User)
	}{
		{"token", api.SessionCookie, func(br *browser) { br.signIn(managerToken) },
			func() ([]api.Token, []dashboard.User) { return tokens[1:], us }},
		{"user", "intake_user", func(br *browser) {
			br.submit("/login", "/login", url.Values{"user": {"maria@msp.example"}, "password": {"correct horse battery"}})
		}, func() ([]api.Token, []dashboard.User) { return tokens, us[1:] }},
	} {
		t.Run(c.name, func(t *testing.T) {
			onA := newBrowser(t, a)
			c.signIn(onA)
			value := cookieOf(t, onA, c.cookie)
			code, body := replay(t, b, "/", c.cookie, value)
			require.Equal(t, 200, code, "replica B knows A's session from the store")
			require.Contains(t, body, "Signed in as maria")

			toks, us := c.without()
			removed := replicas(t, f, toks, us, time.Now)
			code, body = replay(t, removed, "/", c.cookie, value)
			require.Equal(t, 401, code, "a replica whose config no longer has the %s", c.name)
			require.Contains(t, body, `action="/login"`)

			onA.signOut()
			for name, srv := range map[string]*httptest.Server{"A": a, "B": b} {
				code, body := replay(t, srv, "/", c.cookie, value)
				require.Equal(t, 401, code, "the cookie replayed on %s after sign-out", name)
				require.Contains(t, body, `action="/login"`, "the sign-in page")
			}
		})
	}
}

// loginFrom posts the sign-in form to h from client address addr, as a
// browser would: it loads the sign-in page for its CSRF cookie and token
// first.
func loginFrom(t *testing.T, h http.Handler, addr string, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	get := httptest.NewRequest("GET", "http://intake.test/login", nil)
	get.RemoteAddr = addr
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, get)
	form.Set("csrf", csrfOf(t, rec.Body.String()))
	post := httptest.NewRequest("POST", "http://intake.test/login", strings.NewReader(form.Encode()))
	post.RemoteAddr = addr
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	post.Header.Set("Origin", "http://intake.test")
	for _, c := range rec.Result().Cookies() {
		post.AddCookie(c)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, post)
	return rec
}

// Failed sign-ins are throttled per client address (tokens, and bearer
// headers on dashboard pages) and per account (user names): five are
// free, then the sign-in page answers 429 with a Retry-After that grows,
// without checking the credential. A successful sign-in clears the
// account's count.
func TestSignInIsThrottled(t *testing.T) {
	f := newFixture(t)
	clock := ownershiptest.NewClock(time.Now())
	h := replicaHandler(f, tokens, users(t), clock.Now)
	token := func(secret string) url.Values { return url.Values{"token": {secret}} }
	user := func(name, password string) url.Values { return url.Values{"user": {name}, "password": {password}} }

	t.Run("per address", func(t *testing.T) {
		for i := 0; i < 6; i++ {
			require.Equal(t, 401, loginFrom(t, h, "192.0.2.1:4000", token("wrong-token")).Code, "failure %d", i+1)
		}
		rec := loginFrom(t, h, "192.0.2.1:4001", token(managerToken))
		require.Equal(t, 429, rec.Code, "the right token, unchecked while the address waits")
		require.Equal(t, "1", rec.Header().Get("Retry-After"))
		require.Contains(t, rec.Body.String(), "Too many failed sign-ins from here. Try again in 1 seconds.")
		require.Equal(t, 303, loginFrom(t, h, "192.0.2.2:4000", token(managerToken)).Code, "another address is not held back")

		clock.Add(time.Second)
		require.Equal(t, 401, loginFrom(t, h, "192.0.2.1:4000", user("nobody", "guess")).Code, "one attempt after the wait")
		rec = loginFrom(t, h, "192.0.2.1:4000", token(managerToken))
		require.Equal(t, 429, rec.Code)
		require.Equal(t, "2", rec.Header().Get("Retry-After"), "the wait doubles")

		for i := 0; i < 7; i++ {
			req := httptest.NewRequest("GET", "http://intake.test/", nil)
			req.RemoteAddr = "203.0.113.9:5000"
			req.Header.Set("Authorization", "Bearer wrong-"+strconv.Itoa(i))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			want := 401
			if i == 6 {
				want = 429
			}
			require.Equal(t, want, rec.Code, "bearer header %d on a dashboard page", i+1)
		}
	})

	t.Run("per account", func(t *testing.T) {
		for i := 0; i < 6; i++ {
			addr := "198.51.100." + strconv.Itoa(i+1) + ":4000"
			require.Equal(t, 401, loginFrom(t, h, addr, user("lee", "guess "+strconv.Itoa(i))).Code)
		}
		rec := loginFrom(t, h, "198.51.100.50:4000", user("lee", "lee's own password"))
		require.Equal(t, 429, rec.Code, "lee's account waits, whatever the address")
		require.Equal(t, 303, loginFrom(t, h, "198.51.100.50:4000", user("maria@msp.example", "correct horse battery")).Code,
			"another account from that address")

		clock.Add(time.Second)
		require.Equal(t, 303, loginFrom(t, h, "198.51.100.50:4000", user("lee", "lee's own password")).Code)
		n, err := f.Store.Failures(context.Background(), api.AccountKey("lee"), clock.Now())
		require.NoError(t, err)
		require.Zero(t, n.Count, "signing in cleared the account's count")
		for i := 0; i < 5; i++ {
			require.Equal(t, 401, loginFrom(t, h, "198.51.100.60:4000", user("lee", "typo")).Code, "free again")
		}
	})
}
