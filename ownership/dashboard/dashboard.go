// Package dashboard serves the manager's overview at "/": server-rendered
// HTML (html/template escapes every customer-supplied string), no
// JavaScript, refreshed by a meta refresh. With API tokens configured,
// managers sign in with their token and get a session cookie.
package dashboard

import (
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/intakehq/intake/ownership"
)

//go:embed templates/*.html
var templates embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"age": func(t time.Time, now time.Time) string { return now.Sub(t).Round(time.Minute).String() },
}).ParseFS(templates, "templates/*.html"))

// Auth is what the dashboard needs to know who is asking and to sign them
// in and out (api.Sessions implements it).
type Auth interface {
	Open() bool
	Actor(r *http.Request) (ownership.Actor, bool)
	Login(w http.ResponseWriter, r *http.Request, secret string) (ownership.Actor, bool)
	Logout(w http.ResponseWriter)
}

// Options configure the dashboard.
type Options struct {
	Auth   Auth
	Logger *slog.Logger
}

type dashboard struct {
	svc    *ownership.Service
	auth   Auth
	logger *slog.Logger
}

// Register adds the dashboard's routes to mux: GET /, GET and POST /login,
// POST /logout.
func Register(mux *http.ServeMux, svc *ownership.Service, opts Options) {
	d := &dashboard{svc: svc, auth: opts.Auth, logger: opts.Logger}
	if d.logger == nil {
		d.logger = slog.New(slog.DiscardHandler)
	}
	mux.Handle("GET /{$}", secure(http.HandlerFunc(d.overview)))
	mux.Handle("GET /login", secure(http.HandlerFunc(d.loginForm)))
	mux.Handle("POST /login", secure(http.HandlerFunc(d.login)))
	mux.Handle("POST /logout", secure(http.HandlerFunc(d.logout)))
}

// secure sets the headers every dashboard page carries: no scripts, no
// framing, no caching.
func secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

func (d *dashboard) overview(w http.ResponseWriter, r *http.Request) {
	a, ok := d.auth.Actor(r)
	if !ok {
		if d.auth.Open() {
			http.Error(w, "the token-less dashboard answers only this machine", http.StatusForbidden)
			return
		}
		d.render(w, http.StatusUnauthorized, "login.html", loginData{})
		return
	}
	if !a.IsManager() {
		http.Error(w, "the dashboard is for managers; "+a.ID+" has a tech token", http.StatusForbidden)
		return
	}
	data, err := d.read(r, a)
	if err != nil {
		d.logger.Error("dashboard: cannot read the ledger", "err", err)
		http.Error(w, "the ticket store is not available; this page retries in 30 seconds", http.StatusServiceUnavailable)
		return
	}
	d.render(w, http.StatusOK, "overview.html", data)
}

type loginData struct {
	Error string
}

func (d *dashboard) loginForm(w http.ResponseWriter, r *http.Request) {
	d.render(w, http.StatusOK, "login.html", loginData{})
}

func (d *dashboard) login(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		http.Error(w, "cross-site sign-in refused", http.StatusForbidden)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	secret := r.PostFormValue("token")
	a, ok := d.auth.Login(w, r, secret)
	if !ok || !a.IsManager() {
		if ok {
			d.auth.Logout(w)
		}
		d.logger.Warn("dashboard sign-in refused", "remote", r.RemoteAddr)
		d.render(w, http.StatusUnauthorized, "login.html", loginData{Error: "That is not a manager token."})
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (d *dashboard) logout(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		http.Error(w, "cross-site sign-out refused", http.StatusForbidden)
		return
	}
	d.auth.Logout(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// sameOrigin refuses form posts a browser sent from another site (the
// session cookie is SameSite=Strict too; this covers old browsers).
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		return r.Header.Get("Sec-Fetch-Site") != "cross-site"
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

func (d *dashboard) render(w http.ResponseWriter, code int, page string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	if err := pages.ExecuteTemplate(w, page, data); err != nil {
		d.logger.Error("dashboard: render", "page", page, "err", err)
	}
}

type overviewData struct {
	Now      time.Time
	Actor    ownership.Actor
	SignedIn bool // a session that can sign out
	Summary  ownership.Summary
	Tickets  []ownership.Ticket
	Reps     []ownership.RepView
}

func (d *dashboard) read(r *http.Request, a ownership.Actor) (overviewData, error) {
	ctx := r.Context()
	out := overviewData{Now: d.svc.Now(), Actor: a, SignedIn: !d.auth.Open()}
	var err error
	if out.Summary, err = d.svc.Summary(ctx); err != nil {
		return out, err
	}
	p, err := d.svc.List(ctx, ownership.Filter{Statuses: []ownership.Status{ownership.StatusOpen, ownership.StatusPending}, Limit: 100})
	if err != nil {
		return out, err
	}
	out.Tickets = p.Tickets
	out.Reps, err = d.svc.Reps(ctx)
	return out, err
}
