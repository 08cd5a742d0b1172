package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/intakehq/intake/ownership"
)

type contactJSON struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone"`
}

type createRequest struct {
	Subject  string             `json:"subject"`
	Body     string             `json:"body"`
	Contact  contactJSON        `json:"contact"`
	Priority ownership.Priority `json:"priority"`
}

func (h *handler) createTicket(w http.ResponseWriter, r *http.Request, a ownership.Actor) {
	var req createRequest
	if !h.decode(w, r, &req) {
		return
	}
	if req.Contact.Email == "" && req.Contact.Phone == "" {
		writeError(w, http.StatusBadRequest, "contact needs an email or a phone, so the customer can be answered")
		return
	}
	if req.Contact.Email != "" && strings.Count(req.Contact.Email, "@") != 1 {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("contact.email %q is not an email address", req.Contact.Email))
		return
	}
	if req.Contact.Phone != "" && !isE164(req.Contact.Phone) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("contact.phone %q must be in E.164 form, like +15551234567", req.Contact.Phone))
		return
	}
	in := ownership.NewTicket{
		Subject:  req.Subject,
		Body:     req.Body,
		Channel:  "web",
		Contact:  ownership.Contact{Name: req.Contact.Name, Email: req.Contact.Email, Phone: req.Contact.Phone},
		Priority: req.Priority,
	}
	if key := r.Header.Get("Idempotency-Key"); key != "" {
		if len(key) > 200 {
			writeError(w, http.StatusBadRequest, "Idempotency-Key is longer than 200 characters")
			return
		}
		in.DedupKey = "api:" + key
	}
	t, created, err := h.svc.CreateTicket(r.Context(), in)
	if err != nil {
		h.writeServiceError(w, r, err)
		return
	}
	if !created {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.Header().Set("Location", "/api/v1/tickets/"+t.ID)
	writeJSON(w, http.StatusCreated, h.view(t))
}

func isE164(s string) bool {
	if len(s) < 8 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// getTicket answers a ticket outside the actor's scope exactly as an
// unknown one (404), so a tech cannot learn which tickets exist.
func (h *handler) getTicket(w http.ResponseWriter, r *http.Request, a ownership.Actor) {
	t, evs, err := h.svc.TimelineFor(r.Context(), a, r.PathValue("id"))
	if err != nil {
		h.writeServiceError(w, r, err)
		return
	}
	v := h.view(t)
	v.Events = evs
	if v.Events == nil {
		v.Events = []ownership.Event{}
	}
	writeJSON(w, http.StatusOK, v)
}

type listResponse struct {
	Tickets []ticketJSON `json:"tickets"`
	Next    string       `json:"next"`
}

// listTickets lists the tickets the actor may see; the store applies the
// scope in its query, so pages and cursors work as without it.
func (h *handler) listTickets(w http.ResponseWriter, r *http.Request, a ownership.Actor) {
	q := r.URL.Query()
	f := ownership.Filter{Owner: q.Get("owner"), Channel: q.Get("channel"), Org: q.Get("org"), Cursor: q.Get("cursor")}
	if s := q.Get("status"); s != "" {
		for _, st := range strings.Split(s, ",") {
			st := ownership.Status(strings.TrimSpace(st))
			if !st.Valid() {
				writeError(w, http.StatusBadRequest, fmt.Sprintf("status %q is not one of open, pending, resolved, closed", st))
				return
			}
			f.Statuses = append(f.Statuses, st)
		}
	}
	if u := q.Get("unowned"); u != "" {
		b, err := strconv.ParseBool(u)
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("unowned %q: want true or false", u))
			return
		}
		f.Unowned = b
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("limit %q: want a number from 1 to 1000", l))
			return
		}
		f.Limit = n
	}
	if f.Cursor != "" {
		if n, err := strconv.ParseInt(f.Cursor, 10, 64); err != nil || n <= 0 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("cursor %q is not one this API returned", f.Cursor))
			return
		}
	}
	p, err := h.svc.ListFor(r.Context(), a, f)
	if err != nil {
		h.writeServiceError(w, r, err)
		return
	}
	out := listResponse{Tickets: make([]ticketJSON, 0, len(p.Tickets)), Next: p.Next}
	for _, t := range p.Tickets {
		out.Tickets = append(out.Tickets, h.view(t))
	}
	writeJSON(w, http.StatusOK, out)
}

// summaryJSON is the summary with the scope it counts: "all" for a
// manager, else the tech scope (own, team), whose counts cover only the
// tickets the tech may see.
type summaryJSON struct {
	ownership.Summary
	Scope ownership.TechScope `json:"scope"`
}

func (h *handler) summary(w http.ResponseWriter, r *http.Request, a ownership.Actor) {
	s, err := h.svc.SummaryFor(r.Context(), a)
	if err != nil {
		h.writeServiceError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, summaryJSON{Summary: s, Scope: h.svc.ScopeName(a)})
}

// auditJSON is the audit with its scope, as summaryJSON: intake audit
// warns when it is not "all", since then tickets outside it are not
// checked.
type auditJSON struct {
	ownership.Audit
	Scope ownership.TechScope `json:"scope"`
}

func (h *handler) audit(w http.ResponseWriter, r *http.Request, a ownership.Actor) {
	au, err := h.svc.AuditFor(r.Context(), a)
	if err != nil {
		h.writeServiceError(w, r, err)
		return
	}
	for _, l := range []*[]ownership.Ticket{&au.Unowned, &au.AckOverdue, &au.SLABreached} {
		if *l == nil {
			*l = []ownership.Ticket{}
		}
	}
	writeJSON(w, http.StatusOK, auditJSON{Audit: au, Scope: h.svc.ScopeName(a)})
}
