package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/routing"
)

// changeFunc makes one change to ticket id from version v (nil: current).
type changeFunc func(r *http.Request, a ownership.Actor, id string, v *int64) (ownership.Ticket, error)

// change decodes body (which may carry "version"), then applies fn and
// answers with the ticket.
func (h *handler) change(w http.ResponseWriter, r *http.Request, a ownership.Actor, body any, version func() *int64, fn changeFunc) {
	if !h.decodeOptional(w, r, body) {
		return
	}
	v, err := expectedVersion(r, version())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	t, err := fn(r, a, r.PathValue("id"), v)
	if err != nil {
		h.writeServiceError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.view(t))
}

type versioned struct {
	Version *int64 `json:"version"`
}

func (h *handler) assign(w http.ResponseWriter, r *http.Request, a ownership.Actor) {
	var req struct {
		versioned
		Owner  string `json:"owner"`
		Reason string `json:"reason"`
	}
	h.change(w, r, a, &req, func() *int64 { return req.Version }, func(r *http.Request, a ownership.Actor, id string, v *int64) (ownership.Ticket, error) {
		if req.Owner == "" {
			return ownership.Ticket{}, fmt.Errorf("%w: owner is required", ownership.ErrInvalid)
		}
		return h.svc.Assign(r.Context(), a, id, req.Owner, req.Reason, v)
	})
}

func (h *handler) transfer(w http.ResponseWriter, r *http.Request, a ownership.Actor) {
	var req struct {
		versioned
		To     string `json:"to"`
		Reason string `json:"reason"`
	}
	h.change(w, r, a, &req, func() *int64 { return req.Version }, func(r *http.Request, a ownership.Actor, id string, v *int64) (ownership.Ticket, error) {
		if req.To == "" {
			return ownership.Ticket{}, fmt.Errorf("%w: to (the rep to offer the ticket to) is required", ownership.ErrInvalid)
		}
		return h.svc.Transfer(r.Context(), a, id, req.To, req.Reason, v)
	})
}

func (h *handler) accept(w http.ResponseWriter, r *http.Request, a ownership.Actor) {
	var req versioned
	h.change(w, r, a, &req, func() *int64 { return req.Version }, func(r *http.Request, a ownership.Actor, id string, v *int64) (ownership.Ticket, error) {
		return h.svc.Accept(r.Context(), a, id, v)
	})
}

func (h *handler) decline(w http.ResponseWriter, r *http.Request, a ownership.Actor) {
	var req struct {
		Reason string `json:"reason"`
	}
	h.change(w, r, a, &req, func() *int64 { return nil }, func(r *http.Request, a ownership.Actor, id string, _ *int64) (ownership.Ticket, error) {
		return h.svc.Decline(r.Context(), a, id, req.Reason)
	})
}

func (h *handler) take(w http.ResponseWriter, r *http.Request, a ownership.Actor) {
	var req versioned
	h.change(w, r, a, &req, func() *int64 { return req.Version }, func(r *http.Request, a ownership.Actor, id string, v *int64) (ownership.Ticket, error) {
		return h.svc.Take(r.Context(), a, id, v)
	})
}

func (h *handler) ack(w http.ResponseWriter, r *http.Request, a ownership.Actor) {
	var req versioned
	h.change(w, r, a, &req, func() *int64 { return req.Version }, func(r *http.Request, a ownership.Actor, id string, v *int64) (ownership.Ticket, error) {
		return h.svc.Ack(r.Context(), a, id, v)
	})
}

func (h *handler) status(w http.ResponseWriter, r *http.Request, a ownership.Actor) {
	var req struct {
		versioned
		Status ownership.Status `json:"status"`
		Reason string           `json:"reason"`
	}
	h.change(w, r, a, &req, func() *int64 { return req.Version }, func(r *http.Request, a ownership.Actor, id string, v *int64) (ownership.Ticket, error) {
		return h.svc.SetStatus(r.Context(), a, id, req.Status, req.Reason, v)
	})
}

func (h *handler) note(w http.ResponseWriter, r *http.Request, a ownership.Actor) {
	var req struct {
		Body string `json:"body"`
	}
	h.change(w, r, a, &req, func() *int64 { return nil }, func(r *http.Request, a ownership.Actor, id string, _ *int64) (ownership.Ticket, error) {
		return h.svc.Note(r.Context(), a, id, req.Body)
	})
}

func (h *handler) logTime(w http.ResponseWriter, r *http.Request, a ownership.Actor) {
	var req struct {
		Minutes  int    `json:"minutes"`
		Duration string `json:"duration"` // alternative to minutes, e.g. "1h30m"
		Note     string `json:"note"`
	}
	h.change(w, r, a, &req, func() *int64 { return nil }, func(r *http.Request, a ownership.Actor, id string, _ *int64) (ownership.Ticket, error) {
		minutes := req.Minutes
		if req.Duration != "" {
			if minutes != 0 {
				return ownership.Ticket{}, fmt.Errorf("%w: give minutes or duration, not both", ownership.ErrInvalid)
			}
			d, err := time.ParseDuration(req.Duration)
			if err != nil {
				return ownership.Ticket{}, fmt.Errorf("%w: duration %q: want e.g. 45m or 1h30m", ownership.ErrInvalid, req.Duration)
			}
			minutes = int(d.Round(time.Minute) / time.Minute)
		}
		return h.svc.LogTime(r.Context(), a, id, minutes, req.Note)
	})
}

// reply would send a message to the customer over the ticket's channel.
// Outbound delivery arrives with the channel adapters and the outbox; until
// a channel that can carry the reply is configured, the API says so plainly
// and stores nothing rather than pretending to have sent it.
func (h *handler) reply(w http.ResponseWriter, r *http.Request, a ownership.Actor) {
	var req struct {
		Body string `json:"body"`
	}
	h.change(w, r, a, &req, func() *int64 { return nil }, func(r *http.Request, a ownership.Actor, id string, _ *int64) (ownership.Ticket, error) {
		t, err := h.svc.Ticket(r.Context(), id)
		if err != nil {
			return t, err
		}
		return t, fmt.Errorf("%w: no outbound channel can reach the customer of %s (channel %s); configure channels.twilio, channels.email or channels.slack",
			ownership.ErrState, t.ID, t.Channel)
	})
}

type repsResponse struct {
	Reps []ownership.RepView `json:"reps"`
}

func (h *handler) listReps(w http.ResponseWriter, r *http.Request, _ ownership.Actor) {
	reps, err := h.svc.Reps(r.Context())
	if err != nil {
		h.writeServiceError(w, r, err)
		return
	}
	if reps == nil {
		reps = []ownership.RepView{}
	}
	writeJSON(w, http.StatusOK, repsResponse{Reps: reps})
}

func (h *handler) getRep(w http.ResponseWriter, r *http.Request, _ ownership.Actor) {
	rep, err := h.svc.Rep(r.Context(), r.PathValue("id"))
	if err != nil {
		h.writeServiceError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (h *handler) patchRep(w http.ResponseWriter, r *http.Request, a ownership.Actor) {
	var req struct {
		Availability routing.Availability `json:"availability"`
	}
	if !h.decode(w, r, &req) {
		return
	}
	if req.Availability == "" {
		writeError(w, http.StatusBadRequest, "availability is required (available, away or off)")
		return
	}
	rep, err := h.svc.SetAvailability(r.Context(), a, r.PathValue("id"), req.Availability)
	if err != nil {
		h.writeServiceError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}
