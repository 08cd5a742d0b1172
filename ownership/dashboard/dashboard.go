// Package dashboard serves the manager's overview at "/": server-rendered
// HTML (html/template escapes every customer-supplied string), no
// JavaScript, refreshed by a meta refresh.
package dashboard

import (
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/intakehq/intake/ownership"
)

//go:embed templates/*.html
var templates embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"age": func(t time.Time, now time.Time) string { return now.Sub(t).Round(time.Minute).String() },
}).ParseFS(templates, "templates/*.html"))

// Options configure the dashboard.
type Options struct {
	// Authenticate tells who makes a request; false answers 401.
	Authenticate func(*http.Request) (ownership.Actor, bool)
	Logger       *slog.Logger
}

// New returns the dashboard handler.
func New(svc *ownership.Service, opts Options) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Cache-Control", "no-store")
		if _, ok := opts.Authenticate(r); !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="intake"`)
			http.Error(w, "sign in: send a manager token as Authorization: Bearer <token>", http.StatusUnauthorized)
			return
		}
		data, err := overview(r, svc)
		if err != nil {
			opts.Logger.Error("dashboard: cannot read the ledger", "err", err)
			http.Error(w, "the ticket store is not available; this page retries in 30 seconds", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := pages.ExecuteTemplate(w, "overview.html", data); err != nil {
			opts.Logger.Error("dashboard: render", "err", err)
		}
	})
}

type overviewData struct {
	Now     time.Time
	Summary ownership.Summary
	Tickets []ownership.Ticket
	Reps    []ownership.RepView
}

func overview(r *http.Request, svc *ownership.Service) (overviewData, error) {
	ctx := r.Context()
	d := overviewData{Now: svc.Now()}
	var err error
	if d.Summary, err = svc.Summary(ctx); err != nil {
		return d, err
	}
	p, err := svc.List(ctx, ownership.Filter{Statuses: []ownership.Status{ownership.StatusOpen, ownership.StatusPending}, Limit: 100})
	if err != nil {
		return d, err
	}
	d.Tickets = p.Tickets
	d.Reps, err = svc.Reps(ctx)
	return d, err
}
