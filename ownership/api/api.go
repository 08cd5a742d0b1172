// Package api serves the JSON API under /api/v1 over an ownership.Service:
// tickets, their changes, the roster and the summary. Handlers only parse,
// authenticate, call the Service and render; every rule lives in the
// Service, so Slack and the dashboard obey the same ones.
package api

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/intakehq/intake/ownership"
)

// DefaultMaxBody is the largest request body accepted, in bytes.
const DefaultMaxBody = 1 << 20

// Options configure the API.
type Options struct {
	// Tokens are the accepted bearer tokens. With none, every request acts
	// as the local admin; the caller must then serve on loopback only.
	Tokens  []Token
	MaxBody int64 // default DefaultMaxBody
	Logger  *slog.Logger
	// Throttle slows down wrong bearer tokens; nil means one on the
	// Service's store (without metrics). Share one with the dashboard.
	Throttle *Throttle
}

type handler struct {
	svc     *ownership.Service
	auth    *authenticator
	maxBody int64
	logger  *slog.Logger
}

// New returns the /api/v1 handler.
func New(svc *ownership.Service, opts Options) http.Handler {
	mux := http.NewServeMux()
	Register(mux, svc, opts)
	return mux
}

// Register adds the /api/v1 routes to mux, so the caller's metrics see each
// route pattern.
func Register(mux *http.ServeMux, svc *ownership.Service, opts Options) {
	h := &handler{svc: svc, maxBody: opts.MaxBody, logger: opts.Logger}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBody
	}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	if opts.Throttle == nil {
		opts.Throttle = NewThrottle(svc.Store(), ThrottleOptions{Logger: h.logger})
	}
	h.auth = newAuthenticator(opts.Tokens, svc.Router(), opts.Throttle)
	route := func(pattern string, fn actorHandler) { mux.Handle(pattern, h.authed(fn)) }
	route("GET /api/v1/tickets", h.listTickets)
	route("POST /api/v1/tickets", h.createTicket)
	route("GET /api/v1/tickets/{id}", h.getTicket)
	route("POST /api/v1/tickets/{id}/messages", h.reply)
	route("POST /api/v1/tickets/{id}/notes", h.note)
	route("POST /api/v1/tickets/{id}/assign", h.assign)
	route("POST /api/v1/tickets/{id}/transfer", h.transfer)
	route("POST /api/v1/tickets/{id}/accept", h.accept)
	route("POST /api/v1/tickets/{id}/decline", h.decline)
	route("POST /api/v1/tickets/{id}/take", h.take)
	route("POST /api/v1/tickets/{id}/ack", h.ack)
	route("POST /api/v1/tickets/{id}/status", h.status)
	route("POST /api/v1/tickets/{id}/time", h.logTime)
	route("GET /api/v1/reps", h.listReps)
	route("GET /api/v1/reps/{id}", h.getRep)
	route("PATCH /api/v1/reps/{id}", h.patchRep)
	route("GET /api/v1/summary", h.summary)
	route("GET /api/v1/audit", h.audit)
	route("GET /api/v1/outbox", h.outbox)
	route("POST /api/v1/outbox/{id}/retry", h.retryOutbox)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such API path: "+r.Method+" "+r.URL.Path)
	})
}

type actorHandler func(w http.ResponseWriter, r *http.Request, a ownership.Actor)

// authed rejects requests without a valid token before anything else is
// read from them: 429 with Retry-After while the client is throttled.
func (h *handler) authed(fn actorHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, err := h.auth.authenticate(r, "api")
		var te *ThrottledError
		if errors.As(err, &te) {
			writeThrottled(w, te)
			return
		}
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="intake"`)
			writeError(w, http.StatusUnauthorized, "missing or invalid bearer token")
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		fn(w, r, a)
	})
}

// ticketJSON is a ticket as the API shows it: the stored fields, the ack
// due time, and on GET of one ticket its timeline.
type ticketJSON struct {
	ownership.Ticket
	// Rev hides the store's revision: clients compare-and-set on
	// "version" only (a field named rev here outranks the embedded one,
	// and omitempty leaves it out).
	Rev    *struct{}         `json:"rev,omitempty"`
	AckDue *time.Time        `json:"ack_due,omitempty"`
	Events []ownership.Event `json:"events,omitempty"`
}

func (h *handler) view(t ownership.Ticket) ticketJSON {
	v := ticketJSON{Ticket: t}
	if due, ok := h.svc.AckDue(t); ok && t.AckedAt == nil && t.Status.Active() {
		v.AckDue = &due
	}
	return v
}
