package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/routing"
)

// SessionCookie is the dashboard's session cookie.
const SessionCookie = "intake_session"

// SessionTTL is how long a dashboard sign-in lasts.
const SessionTTL = 12 * time.Hour

// Sessions signs dashboard sessions with the token the user signed in with:
// the cookie is name.expiry.HMAC(key derived from that token), so every
// replica can check it without shared state, and removing or rotating the
// token ends its sessions. The API itself never accepts the cookie (only
// bearer tokens), so a browser cannot be tricked into API calls.
type Sessions struct {
	auth   *authenticator
	tokens map[string]Token // by name
	secure bool
	now    func() time.Time
}

// NewSessions returns the session keeper for tokens. secure marks cookies
// Secure (set it when the dashboard is reached over HTTPS).
func NewSessions(tokens []Token, router *routing.Router, secure bool, now func() time.Time) *Sessions {
	s := &Sessions{auth: newAuthenticator(tokens, router), tokens: map[string]Token{}, secure: secure, now: now}
	if s.now == nil {
		s.now = time.Now
	}
	for _, t := range tokens {
		s.tokens[t.Name] = t
	}
	return s
}

// Open reports whether no tokens are configured (loopback-only mode).
func (s *Sessions) Open() bool { return s.auth.open }

// Actor returns who makes a dashboard request: the local admin in open
// mode, else the bearer token or the session cookie.
func (s *Sessions) Actor(r *http.Request) (ownership.Actor, bool) {
	if a, ok := s.auth.actor(r); ok || s.auth.open {
		return a, ok
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return ownership.Actor{}, false
	}
	return s.verify(c.Value)
}

// Login checks secret like a bearer token and, when it is valid, sets the
// session cookie.
func (s *Sessions) Login(w http.ResponseWriter, r *http.Request, secret string) (ownership.Actor, bool) {
	probe := r.Clone(r.Context())
	probe.Header = http.Header{"Authorization": {"Bearer " + secret}}
	a, ok := s.auth.actor(probe)
	if !ok || s.auth.open {
		return ownership.Actor{}, false
	}
	var name string
	for n, t := range s.tokens {
		if hmac.Equal([]byte(t.Secret), []byte(secret)) {
			name = n
		}
	}
	exp := s.now().Add(SessionTTL).Unix()
	value := base64.RawURLEncoding.EncodeToString([]byte(name)) + "." + strconv.FormatInt(exp, 10) + "." + s.mac(s.tokens[name], name, exp)
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: value, Path: "/", MaxAge: int(SessionTTL.Seconds()),
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode})
	return a, true
}

// Logout clears the session cookie.
func (s *Sessions) Logout(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode})
}

func (s *Sessions) verify(value string) (ownership.Actor, bool) {
	parts := strings.Split(value, ".")
	if len(parts) != 3 {
		return ownership.Actor{}, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[0])
	exp, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || err2 != nil || s.now().Unix() >= exp {
		return ownership.Actor{}, false
	}
	t, ok := s.tokens[string(raw)]
	if !ok || !hmac.Equal([]byte(parts[2]), []byte(s.mac(t, t.Name, exp))) {
		return ownership.Actor{}, false
	}
	id := t.Rep
	if id == "" {
		id = t.Name
	}
	return ownership.Actor{ID: id, Role: t.Role}, true
}

func (s *Sessions) mac(t Token, name string, exp int64) string {
	key := sha256.Sum256([]byte("intake-session:" + t.Secret))
	m := hmac.New(sha256.New, key[:])
	m.Write([]byte(name + "." + strconv.FormatInt(exp, 10)))
	return hex.EncodeToString(m.Sum(nil))
}
