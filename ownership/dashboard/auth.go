package dashboard

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/api"
)

// Cookies the dashboard sets itself (the token session cookie is
// api.SessionCookie, set by Auth).
const (
	userCookie  = "intake_user"  // a signed-in user: name.expiry.HMAC
	anonCookie  = "intake_csrf"  // a random value binding CSRF tokens before sign-in (and in token-less mode)
	flashCookie = "intake_flash" // the message shown once after a form post
)

// session is who makes a request and what their forms must carry.
type session struct {
	actor   ownership.Actor
	key     string // the secret the CSRF token is derived from; "" when there is none
	csrf    string
	signOut bool // signed in with a cookie, so there is something to sign out of
	flash   *flash
}

type pageHandler func(w http.ResponseWriter, r *http.Request, s *session)

// formHandler applies one form post. It returns where to go back to and
// the message to show there; an error is shown in its place.
type formHandler func(r *http.Request, s *session) (back, msg string, err error)

// maxForm bounds a form post: a reply or note of ownership.MaxBody, encoded.
const maxForm = 4 * ownership.MaxBody

// identify returns who makes the request, or ErrUnauthenticated, or a
// *api.ThrottledError for a throttled bearer header. The CSRF key is the
// credential that authenticated it: the session cookie's value (secret,
// HttpOnly), the bearer header (a browser never sends one cross-site), or,
// in token-less mode, a random cookie that create makes when missing.
func (d *dashboard) identify(w http.ResponseWriter, r *http.Request, create bool) (*session, error) {
	s := &session{}
	a, err := d.auth.Actor(r)
	var te *api.ThrottledError
	switch {
	case errors.As(err, &te):
		return nil, err
	case err == nil:
		s.actor = a
		if h := r.Header.Get("Authorization"); h != "" {
			s.key = "bearer:" + h
		} else if c, err := r.Cookie(api.SessionCookie); err == nil && c.Value != "" {
			s.key, s.signOut = "session:"+c.Value, true
		} else if k := d.anonKey(w, r, create); k != "" {
			s.key = "anon:" + k
		}
	default:
		a, v, err := d.userSession(r)
		if err != nil {
			return nil, err
		}
		s.actor, s.key, s.signOut = a, "user:"+v, true
	}
	if s.key != "" {
		s.csrf = csrfToken(s.key)
	}
	return s, nil
}

// csrfToken is the form token of a session: an HMAC keyed by the session's
// secret, so it cannot be guessed without the cookie and needs no storage
// (any replica can check it).
func csrfToken(key string) string {
	k := sha256.Sum256([]byte("intake-dashboard-csrf:" + key))
	m := hmac.New(sha256.New, k[:])
	m.Write([]byte("csrf-v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// validCSRF compares the posted token with the session's in constant time.
func validCSRF(s *session, got string) bool {
	return s.key != "" && hmac.Equal([]byte(got), []byte(s.csrf))
}

// anonKey returns the random pre-session value, setting it when create is
// true and the browser has none.
func (d *dashboard) anonKey(w http.ResponseWriter, r *http.Request, create bool) string {
	if c, err := r.Cookie(anonCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	if !create {
		return ""
	}
	var b [32]byte
	_, _ = rand.Read(b[:])
	v := base64.RawURLEncoding.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{Name: anonCookie, Value: v, Path: "/", HttpOnly: true,
		Secure: d.cookieSecure(r), SameSite: http.SameSiteStrictMode})
	return v
}

func (d *dashboard) cookieSecure(r *http.Request) bool { return d.secure || r.TLS != nil }

// signedIn runs fn for a signed-in visitor and shows the sign-in form to
// anyone else.
func (d *dashboard) signedIn(fn pageHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := d.identify(w, r, true)
		if d.throttled(w, r, err) {
			return
		}
		if err != nil {
			if d.auth.Open() && len(d.users) == 0 {
				http.Error(w, "the token-less dashboard answers only this machine", http.StatusForbidden)
				return
			}
			d.renderLogin(w, r, http.StatusUnauthorized, "", r.URL.RequestURI())
			return
		}
		s.flash = d.takeFlash(w, r)
		fn(w, r, s)
	})
}

// form checks a form post (same origin, signed in, CSRF token), applies it
// and redirects back with a flash message (post/redirect/get).
func (d *dashboard) form(fn formHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !sameOrigin(r) {
			http.Error(w, "cross-site form post refused", http.StatusForbidden)
			return
		}
		s, err := d.identify(w, r, false)
		if d.throttled(w, r, err) {
			return
		}
		if err != nil {
			d.renderLogin(w, r, http.StatusUnauthorized, "Your session has ended, so nothing was changed. Sign in again.", "")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if err := r.ParseForm(); err != nil {
			d.fail(w, s, http.StatusRequestEntityTooLarge, "The form was too large or malformed, so nothing was changed.")
			return
		}
		if !validCSRF(s, r.PostFormValue("csrf")) {
			d.logger.Warn("dashboard: form without a valid CSRF token", "path", r.URL.Path, "actor", s.actor.ID, "remote", r.RemoteAddr)
			d.fail(w, s, http.StatusForbidden, "This form has expired or came from another site, so nothing was changed. Reload the page and try again.")
			return
		}
		back, msg, err := fn(r, s)
		f := flash{Kind: "ok", Text: msg}
		if err != nil {
			f = flash{Kind: "error", Text: d.plain(r, s, err)}
		}
		d.setFlash(w, r, f)
		http.Redirect(w, r, back, http.StatusSeeOther)
	})
}

type loginData struct {
	Error string
	Next  string
	Users bool // user name and password sign-in is offered
}

func (d *dashboard) renderLogin(w http.ResponseWriter, r *http.Request, code int, msg, next string) {
	key := d.anonKey(w, r, true)
	d.render(w, code, "login", view{Title: "Sign in", CSRF: csrfToken("anon:" + key),
		Data: loginData{Error: msg, Next: safeNext(next), Users: len(d.users) > 0}})
}

func (d *dashboard) loginForm(w http.ResponseWriter, r *http.Request) {
	d.renderLogin(w, r, http.StatusOK, "", r.URL.Query().Get("next"))
}

func (d *dashboard) login(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		http.Error(w, "cross-site sign-in refused", http.StatusForbidden)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := r.ParseForm(); err != nil {
		d.renderLogin(w, r, http.StatusBadRequest, "The sign-in form was malformed.", "")
		return
	}
	next := safeNext(r.PostFormValue("next"))
	// Before sign-in the token is bound to a random cookie: another site
	// cannot sign a visitor in to an account of its choosing.
	pre := &session{key: "anon:" + d.anonKey(w, r, false)}
	if pre.key != "anon:" {
		pre.csrf = csrfToken(pre.key)
	}
	if !validCSRF(pre, r.PostFormValue("csrf")) {
		d.renderLogin(w, r, http.StatusForbidden, "The sign-in form had expired. Please try again.", next)
		return
	}
	var a ownership.Actor
	var err error
	if name := strings.TrimSpace(r.PostFormValue("user")); name != "" {
		a, err = d.userLogin(w, r, name, r.PostFormValue("password"))
	} else {
		a, err = d.auth.Login(w, r, strings.TrimSpace(r.PostFormValue("token")))
	}
	if d.throttled(w, r, err) {
		return
	}
	if errors.Is(err, api.ErrUnauthenticated) {
		d.renderLogin(w, r, http.StatusUnauthorized, "That token, or user name and password, is not right.", next)
		return
	}
	if err != nil {
		d.logger.Error("dashboard sign-in failed", "remote", r.RemoteAddr, "err", err)
		d.renderLogin(w, r, http.StatusServiceUnavailable, "Signing in is not possible right now. Please try again shortly.", next)
		return
	}
	d.logger.Info("dashboard sign-in", "actor", a.ID, "role", a.Role)
	if next == "" {
		next = "/"
		if !a.IsManager() {
			next = "/tickets?owner=" + url.QueryEscape(a.ID)
		}
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (d *dashboard) logout(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		http.Error(w, "cross-site sign-out refused", http.StatusForbidden)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if s, err := d.identify(w, r, false); err == nil && !validCSRF(s, r.PostFormValue("csrf")) {
		d.fail(w, s, http.StatusForbidden, "This form has expired or came from another site. Reload the page and try again.")
		return
	}
	d.auth.Logout(w, r)
	if c, err := r.Cookie(userCookie); err == nil {
		if err := api.EndSession(r.Context(), d.sessions, "user", c.Value, d.userKey, time.Now()); err != nil {
			d.logger.Warn("dashboard: cannot end user session", "err", err)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: userCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: d.cookieSecure(r), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// dummyHash is compared against when the user name is unknown, so a wrong
// name takes as long as a wrong password.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("intake-no-such-user"), bcrypt.DefaultCost)
	return h
})

// userLogin checks a user's password, throttled per client address and
// per account, and records a session with its cookie (see
// api.StartSession: signed with a key derived from the password hash, so a
// changed password or a removed user ends the user's sessions).
func (d *dashboard) userLogin(w http.ResponseWriter, r *http.Request, name, password string) (ownership.Actor, error) {
	ctx := r.Context()
	u, known := d.users[name]
	keys := []string{api.ClientKey(r)}
	if known {
		// Only configured names have a count: made-up ones cannot be
		// guessed into, and would only fill the store.
		keys = append(keys, api.AccountKey(name))
	}
	if err := d.throttle.Check(ctx, "dashboard_user", keys...); err != nil {
		return ownership.Actor{}, err
	}
	hash := []byte(u.PasswordHash)
	if !known {
		hash = dummyHash()
	}
	if err := bcrypt.CompareHashAndPassword(hash, []byte(password)); err != nil || !known {
		reason, who := "bad_password", name
		if !known {
			reason, who = "unknown_user", "" // a mistyped password may be in the name field
		}
		d.throttle.Fail(ctx, r, "dashboard_user", reason, who, keys...)
		return ownership.Actor{}, api.ErrUnauthenticated
	}
	d.throttle.Succeed(ctx, api.AccountKey(name))
	key, _ := d.userKey(name)
	value, err := api.StartSession(ctx, d.sessions, "user", name, key, time.Now(), api.SessionTTL)
	if err != nil {
		return ownership.Actor{}, err
	}
	http.SetCookie(w, &http.Cookie{Name: userCookie, Value: value, Path: "/", MaxAge: int(api.SessionTTL.Seconds()),
		HttpOnly: true, Secure: d.cookieSecure(r), SameSite: http.SameSiteLaxMode})
	return u.actor(), nil
}

// userSession returns the signed-in user of the request and the cookie
// value, checked against the store (see api.VerifySession).
func (d *dashboard) userSession(r *http.Request) (ownership.Actor, string, error) {
	c, err := r.Cookie(userCookie)
	if err != nil {
		return ownership.Actor{}, "", api.ErrUnauthenticated
	}
	name, err := api.VerifySession(r.Context(), d.sessions, "user", c.Value, d.userKey, time.Now())
	if err != nil {
		return ownership.Actor{}, "", err
	}
	return d.users[name].actor(), c.Value, nil
}

// userKey is the cookie signing key of user name, false when the config
// no longer has the user.
func (d *dashboard) userKey(name string) ([]byte, bool) {
	u, ok := d.users[name]
	if !ok {
		return nil, false
	}
	key := sha256.Sum256([]byte("intake-user-session:" + u.PasswordHash))
	return key[:], true
}

// throttled answers a *api.ThrottledError with the sign-in page, 429 and
// Retry-After, and reports whether it did.
func (d *dashboard) throttled(w http.ResponseWriter, r *http.Request, err error) bool {
	var te *api.ThrottledError
	if !errors.As(err, &te) {
		return false
	}
	secs := api.RetryAfter(te.Wait)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	d.renderLogin(w, r, http.StatusTooManyRequests,
		fmt.Sprintf("Too many failed sign-ins from here. Try again in %d seconds.", secs), "")
	return true
}

func (u User) actor() ownership.Actor {
	id := u.Rep
	if id == "" {
		id = u.Name
	}
	return ownership.Actor{ID: id, Role: u.Role}
}

// sameOrigin refuses form posts a browser sent from another site (the
// session cookies are SameSite too, and every form carries a CSRF token).
// "Origin: null" (a sandboxed frame, a data: or file: page) is refused
// whatever else the request says. Otherwise Sec-Fetch-Site, which no page
// can set, decides when present; without it the post must name this host
// in Origin or, without Origin, in Referer, and a post naming no origin
// at all is refused, since it does not say where it came from. Browsers send Origin on every form post (the dashboard's
// Referrer-Policy, same-origin, keeps it the real origin rather than null).
func sameOrigin(r *http.Request) bool {
	if r.Header.Get("Origin") == "null" {
		return false
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return site == "same-origin"
	}
	if o := r.Header.Get("Origin"); o != "" {
		return sameHost(o, r.Host)
	}
	if ref := r.Header.Get("Referer"); ref != "" {
		return sameHost(ref, r.Host)
	}
	return false
}

// sameHost reports whether the absolute URL raw names host.
func sameHost(raw, host string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Scheme != "" && u.Host == host
}

// safeNext keeps a return path only when it stays on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsAny(next, "\r\n\t") || strings.HasPrefix(next, "/login") {
		return ""
	}
	return next
}
