// Package dashboard serves the web dashboard at "/": the manager's
// overview, the ticket list and ticket pages with the rep actions, the
// roster and the dead letters of the outbox.
//
// Pages are server-rendered with html/template, which escapes every
// customer-supplied string; nothing here ever marks customer data as
// trusted HTML, and control and bidi characters in it are shown as
// visible markers (see render). No JavaScript is served or needed (the Content-Security-
// Policy forbids scripts outright), read-only pages refresh themselves with
// a meta refresh, and every form posts, then redirects back with a flash
// message (post/redirect/get).
//
// People sign in with an API token or, when Options.Users are configured, a
// user name and bcrypt password; either way they get a session cookie, and
// every form carries a CSRF token bound to that session. Managers see every
// page; techs see tickets and the roster and may use the forms the Service
// allows them (its error text is shown when it refuses).
package dashboard

import (
	"context"
	"embed"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/intakehq/intake/channels/display"
	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/api"
	"github.com/intakehq/intake/routing"
)

//go:embed templates/*.html static/dashboard.css
var files embed.FS

// Auth is what the dashboard needs to know who is asking and to sign them
// in and out with a token (api.Sessions implements it). Actor and Login
// fail with api.ErrUnauthenticated, a *api.ThrottledError, or a store
// error.
type Auth interface {
	Open() bool
	Actor(r *http.Request) (ownership.Actor, error)
	Login(w http.ResponseWriter, r *http.Request, secret string) (ownership.Actor, error)
	Logout(w http.ResponseWriter, r *http.Request)
}

// User is a person who signs in with a name and password instead of a
// token.
type User struct {
	Name string
	// PasswordHash is the bcrypt hash of the password
	// (golang.org/x/crypto/bcrypt, e.g. `htpasswd -nbB name password`).
	PasswordHash string
	Role         routing.Role
	Rep          string // the rep the user acts as; "" means Name
}

// Options configure the dashboard.
type Options struct {
	Auth  Auth
	Users []User
	// Secure marks the dashboard's own cookies Secure (set it when the
	// dashboard is reached over HTTPS; a TLS request marks them anyway).
	Secure bool
	Logger *slog.Logger
	// Sessions records user sign-ins; nil means the Service's store.
	Sessions api.SessionStore
	// Throttle slows down wrong passwords; nil means one on the Service's
	// store (without metrics). Share one with the API and Auth.
	Throttle *api.Throttle
	// Channels, when set, reports the channels' live state; the overview
	// shows a line for each degraded one.
	Channels func(ctx context.Context) []ChannelStatus
}

type dashboard struct {
	svc      *ownership.Service
	auth     Auth
	users    map[string]User
	secure   bool
	logger   *slog.Logger
	pages    map[string]*template.Template
	sessions api.SessionStore
	throttle *api.Throttle

	channels func(ctx context.Context) []ChannelStatus // Options.Channels
}

// Register adds the dashboard's routes to mux.
func Register(mux *http.ServeMux, svc *ownership.Service, opts Options) {
	d := &dashboard{svc: svc, auth: opts.Auth, users: map[string]User{}, secure: opts.Secure, logger: opts.Logger, pages: parsePages()}
	if d.logger == nil {
		d.logger = slog.New(slog.DiscardHandler)
	}
	d.sessions, d.throttle = opts.Sessions, opts.Throttle
	if d.sessions == nil {
		d.sessions = svc.Store()
	}
	if d.throttle == nil {
		d.throttle = api.NewThrottle(svc.Store(), api.ThrottleOptions{Logger: d.logger})
	}
	d.channels = opts.Channels
	for _, u := range opts.Users {
		d.users[u.Name] = u
	}
	get := func(pattern string, fn pageHandler) { mux.Handle("GET "+pattern, secure(d.signedIn(fn))) }
	post := func(pattern string, fn formHandler) { mux.Handle("POST "+pattern, secure(d.form(fn))) }

	get("/{$}", d.overview)
	get("/tickets", d.tickets)
	get("/tickets/{id}", d.ticket)
	post("/tickets/{id}/reply", d.reply)
	post("/tickets/{id}/note", d.note)
	post("/tickets/{id}/assign", d.assign)
	post("/tickets/{id}/accept", d.accept)
	post("/tickets/{id}/ack", d.ack)
	post("/tickets/{id}/status", d.status)
	post("/tickets/{id}/time", d.logTime)
	get("/roster", d.roster)
	post("/roster/{rep}", d.setAvailability)
	get("/outbox", d.outbox)
	post("/outbox/retry", d.retry)

	mux.Handle("GET /login", secure(http.HandlerFunc(d.loginForm)))
	mux.Handle("POST /login", secure(http.HandlerFunc(d.login)))
	mux.Handle("POST /logout", secure(http.HandlerFunc(d.logout)))
	mux.Handle("GET /dashboard.css", secure(http.HandlerFunc(stylesheet)))
}

// csp allows nothing but the dashboard's own stylesheet and images, and
// forms posting back to it: no script, inline or not, can run.
const csp = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// secure sets the headers every dashboard answer carries: no scripts, no
// framing, no caching.
func secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

func stylesheet(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "max-age=300")
	http.ServeFileFS(w, r, files, "static/dashboard.css")
}

// parsePages parses each page together with the shared layout; every page
// template defines "content" and is rendered through "layout".
func parsePages() map[string]*template.Template {
	base := template.Must(template.New("").Funcs(funcs).ParseFS(files, "templates/layout.html"))
	out := map[string]*template.Template{}
	for _, p := range []string{"login", "overview", "tickets", "ticket", "roster", "outbox", "error"} {
		out[p] = template.Must(template.Must(base.Clone()).ParseFS(files, "templates/"+p+".html"))
	}
	return out
}

// view is what every page's layout needs, with the page's own data in Data.
type view struct {
	Title   string
	Nav     string // the current section: overview, tickets, roster, outbox
	Actor   ownership.Actor
	SignOut bool // a session that can sign out
	CSRF    string
	Flash   *flash
	Refresh bool // a read-only page that reloads itself
	Now     time.Time
	Data    any
}

// render answers with page. The whole page passes through
// display.Neutralize after html/template has escaped it: the templates
// hold no control or bidi characters, so every one left came from outside
// (a subject, a body, a name, an org, a note), and none can reorder or
// hide what is shown around it, whichever field or page it is in.
func (d *dashboard) render(w http.ResponseWriter, code int, page string, v view) {
	var b strings.Builder
	if err := d.pages[page].ExecuteTemplate(&b, "layout", v); err != nil {
		d.logger.Error("dashboard: render", "page", page, "err", err)
		http.Error(w, "This page could not be drawn; the error is logged.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, display.Neutralize(b.String()))
}

// fail answers with a plain-words error page.
func (d *dashboard) fail(w http.ResponseWriter, s *session, code int, msg string) {
	v := view{Title: http.StatusText(code), Data: msg}
	if s != nil {
		v.Actor, v.SignOut, v.CSRF, v.Flash = s.actor, s.signOut, s.csrf, s.flash
	}
	d.render(w, code, "error", v)
}

// unavailable logs a store failure and says so in plain words.
func (d *dashboard) unavailable(w http.ResponseWriter, s *session, what string, err error) {
	d.logger.Error("dashboard: cannot read the ledger", "what", what, "err", err)
	d.fail(w, s, http.StatusServiceUnavailable, "The ticket store did not answer while reading "+what+". Reload the page in a moment.")
}

// managersOnly refuses a tech, saying where to go instead.
func (d *dashboard) managersOnly(w http.ResponseWriter, s *session, what string) bool {
	if s.actor.IsManager() {
		return true
	}
	d.fail(w, s, http.StatusForbidden, what+" is for managers; "+s.actor.ID+" is signed in as a tech. Your tickets are under Tickets.")
	return false
}
