package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/routing"
)

// Token is one API bearer token and what it may do.
type Token struct {
	Name   string       // shown in logs and as the actor when Rep is empty
	Secret string       // the bearer value
	Role   routing.Role // manager or tech
	Rep    string       // the rep the token acts as; "" means Name
}

// ErrUnauthenticated: the request carries no valid credential.
var ErrUnauthenticated = errors.New("missing or invalid credentials")

// authenticator checks bearer tokens in constant time, throttling wrong
// ones.
type authenticator struct {
	tokens   []hashedToken
	open     bool // no tokens configured: every request acts as the local admin
	router   *routing.Router
	throttle *Throttle
}

type hashedToken struct {
	sum   [32]byte
	actor ownership.Actor
}

func newAuthenticator(tokens []Token, router *routing.Router, throttle *Throttle) *authenticator {
	a := &authenticator{open: len(tokens) == 0, router: router, throttle: throttle}
	for _, t := range tokens {
		id := t.Rep
		if id == "" {
			id = t.Name
		}
		a.tokens = append(a.tokens, hashedToken{sum: sha256.Sum256([]byte(t.Secret)), actor: ownership.Actor{ID: id, Role: t.Role}})
	}
	return a
}

// authenticate returns who makes the request: the local admin in open
// mode, else the holder of the bearer token. A presented token is
// throttled per client address (surface names where, for the metric): a
// client with too many wrong tokens gets a *ThrottledError, its token
// unchecked, so guessing cannot go faster than the throttle allows.
func (a *authenticator) authenticate(r *http.Request, surface string) (ownership.Actor, error) {
	if a.open {
		if !sameMachine(r) {
			return ownership.Actor{}, ErrUnauthenticated
		}
		return a.openActor(r), nil
	}
	raw, ok := bearer(r)
	if !ok {
		return ownership.Actor{}, ErrUnauthenticated
	}
	return a.check(r, surface, raw)
}

// check checks secret as a token presented by r's client, throttled.
func (a *authenticator) check(r *http.Request, surface, secret string) (ownership.Actor, error) {
	ctx, client := r.Context(), ClientKey(r)
	if err := a.throttle.Check(ctx, surface, client); err != nil {
		return ownership.Actor{}, err
	}
	actor, ok := a.match(secret)
	if !ok {
		a.throttle.Fail(ctx, r, surface, "bad_token", "", client)
		return ownership.Actor{}, ErrUnauthenticated
	}
	return actor, nil
}

// bearer returns the request's bearer token, if it has one.
func bearer(r *http.Request) (string, bool) {
	scheme, raw, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	raw = strings.TrimSpace(raw)
	if !ok || !strings.EqualFold(scheme, "Bearer") || raw == "" {
		return "", false
	}
	return raw, true
}

// match returns the actor of token secret. Hashing both sides first makes
// every comparison the same length, and every token is compared, so
// timing says nothing about which token or how much of it matched.
func (a *authenticator) match(secret string) (ownership.Actor, bool) {
	if secret == "" {
		return ownership.Actor{}, false
	}
	sum := sha256.Sum256([]byte(secret))
	var found ownership.Actor
	match := 0
	for _, t := range a.tokens {
		eq := subtle.ConstantTimeCompare(sum[:], t.sum[:])
		if eq == 1 && match == 0 {
			found = t.actor
		}
		match |= eq
	}
	return found, match == 1
}

// openActor is the local admin of a token-less install (only ever served on
// loopback). X-Intake-Actor lets a local user act as a roster rep, with
// that rep's role, to try rep actions such as ack and accept.
func (a *authenticator) openActor(r *http.Request) ownership.Actor {
	if id := r.Header.Get("X-Intake-Actor"); id != "" {
		if rep, ok := a.router.Rep(id); ok {
			return ownership.Actor{ID: rep.ID, Role: rep.Role}
		}
	}
	return ownership.Actor{ID: "admin", Role: routing.RoleManager}
}

// sameMachine guards the token-less mode, which is served on loopback only.
// Listening on loopback is not enough: a web page in the admin's browser can
// send requests there (cross-site requests, or DNS rebinding a name of its
// own to 127.0.0.1). So the Host must be a loopback name, and a browser
// request must not come from another site.
func sameMachine(r *http.Request) bool {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if ip := net.ParseIP(host); !(host == "localhost" || (ip != nil && ip.IsLoopback())) {
		return false
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return false
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return false
		}
	}
	return true
}
