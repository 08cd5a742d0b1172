package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"log/slog"
	"net/http"
	"time"

	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/routing"
)

// SessionCookie is the dashboard's session cookie.
const SessionCookie = "intake_session"

// SessionTTL is how long a dashboard sign-in lasts.
const SessionTTL = 12 * time.Hour

// Sessions signs dashboard sessions in with the token they present. Each
// session is recorded in the store and its cookie signed with a key
// derived from that token (see StartSession): signing out ends it on every
// replica, and removing or rotating the token ends its sessions. The API
// itself never accepts the cookie (only bearer tokens), so a browser
// cannot be tricked into API calls.
type Sessions struct {
	auth   *authenticator
	tokens map[string]Token // by name
	store  SessionStore
	secure bool
	now    func() time.Time
	logger *slog.Logger
}

// SessionOptions configure Sessions.
type SessionOptions struct {
	// Store records the sessions; required unless no tokens are
	// configured.
	Store SessionStore
	// Throttle slows down wrong tokens; nil means one on Store (which must
	// then also be a ThrottleStore, as ownership.Store is).
	Throttle *Throttle
	// Secure marks cookies Secure (set it when the dashboard is reached
	// over HTTPS).
	Secure bool
	Now    func() time.Time
	Logger *slog.Logger
}

// NewSessions returns the session keeper for tokens.
func NewSessions(tokens []Token, router *routing.Router, opts SessionOptions) *Sessions {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Throttle == nil {
		ts, _ := opts.Store.(ThrottleStore)
		opts.Throttle = NewThrottle(ts, ThrottleOptions{Logger: opts.Logger, Now: opts.Now})
	}
	s := &Sessions{auth: newAuthenticator(tokens, router, opts.Throttle), tokens: map[string]Token{}, store: opts.Store,
		secure: opts.Secure, now: opts.Now, logger: opts.Logger}
	for _, t := range tokens {
		s.tokens[t.Name] = t
	}
	return s
}

// Open reports whether no tokens are configured (loopback-only mode).
func (s *Sessions) Open() bool { return s.auth.open }

// Actor returns who makes a dashboard request: the local admin in open
// mode, else the bearer token (throttled as on the API) or the session
// cookie. The error is ErrUnauthenticated, a *ThrottledError, or the
// store's when it cannot be read.
func (s *Sessions) Actor(r *http.Request) (ownership.Actor, error) {
	if _, ok := bearer(r); ok || s.auth.open {
		return s.auth.authenticate(r, "dashboard_bearer")
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return ownership.Actor{}, ErrUnauthenticated
	}
	name, err := VerifySession(r.Context(), s.store, "token", c.Value, s.keyOf, s.now())
	if err != nil {
		return ownership.Actor{}, err
	}
	t := s.tokens[name]
	id := t.Rep
	if id == "" {
		id = t.Name
	}
	return ownership.Actor{ID: id, Role: t.Role}, nil
}

// Login checks secret like a bearer token (throttled per client address)
// and, when it is valid, records a session and sets its cookie.
func (s *Sessions) Login(w http.ResponseWriter, r *http.Request, secret string) (ownership.Actor, error) {
	if s.auth.open {
		return ownership.Actor{}, ErrUnauthenticated
	}
	a, err := s.auth.check(r, "dashboard_token", secret)
	if err != nil {
		return ownership.Actor{}, err
	}
	var name string
	for n, t := range s.tokens {
		if hmac.Equal([]byte(t.Secret), []byte(secret)) {
			name = n
		}
	}
	key, _ := s.keyOf(name)
	value, err := StartSession(r.Context(), s.store, "token", name, key, s.now(), SessionTTL)
	if err != nil {
		return ownership.Actor{}, err
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: value, Path: "/", MaxAge: int(SessionTTL.Seconds()),
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode})
	return a, nil
}

// Logout ends the request's token session in the store, for every
// replica, and clears the cookie.
func (s *Sessions) Logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(SessionCookie); err == nil && s.store != nil {
		if err := EndSession(r.Context(), s.store, "token", c.Value, s.keyOf, s.now()); err != nil {
			s.logger.WarnContext(r.Context(), "dashboard: cannot end session", "err", err)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode})
}

// keyOf is the cookie signing key of token name, false when the config
// no longer has it.
func (s *Sessions) keyOf(name string) ([]byte, bool) {
	t, ok := s.tokens[name]
	if !ok {
		return nil, false
	}
	key := sha256.Sum256([]byte("intake-session:" + t.Secret))
	return key[:], true
}
