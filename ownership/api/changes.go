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
		return h.svc.AcceptTransfer(r.Context(), a, id, v)
	})
}

func (h *handler) decline(w http.ResponseWriter, r *http.Request, a ownership.Actor) {
	var req struct {
		Reason string `json:"reason"`
	}
	h.change(w, r, a, &req, func() *int64 { return nil }, func(r *http.Request, a ownership.Actor, id string, _ *int64) (ownership.Ticket, error) {
		return h.svc.DeclineTransfer(r.Context(), a, id, req.Reason)
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
		return h.svc.Note(r.Context(), a, id, req.Body, "", nil)
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

// reply queues a message to the customer over the ticket's channel. An
// Idempotency-Key header makes a retried request queue nothing twice.
func (h *handler) reply(w http.ResponseWriter, r *http.Request, a ownership.Actor) {
	var req struct {
		Body string `json:"body"`
	}
	h.change(w, r, a, &req, func() *int64 { return nil }, func(r *http.Request, a ownership.Actor, id string, _ *int64) (ownership.Ticket, error) {
		return h.svc.Reply(r.Context(), a, id, req.Body, r.Header.Get("Idempotency-Key"))
	})
}

type outboxResponse struct {
	Items []ownership.OutboxItem `json:"items"`
}

// outbox lists outbound messages, e.g. ?state=dead for those that finally
// failed. Managers only.
func (h *handler) outbox(w http.ResponseWriter, r *http.Request, a ownership.Actor) {
	if !a.IsManager() {
		writeError(w, http.StatusForbidden, "the outbox is for managers")
		return
	}
	state := r.URL.Query().Get("state")
	switch state {
	case "", ownership.OutboxPending, ownership.OutboxSending, ownership.OutboxSent, ownership.OutboxDead:
	default:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("state %q is not one of pending, sending, sent, dead", state))
		return
	}
	items, err := h.svc.Outbox(r.Context(), state, 200)
	if err != nil {
		h.writeServiceError(w, r, err)
		return
	}
	if items == nil {
		items = []ownership.OutboxItem{}
	}
	writeJSON(w, http.StatusOK, outboxResponse{Items: items})
}

// retryOutbox sends a dead-lettered message again (managers).
func (h *handler) retryOutbox(w http.ResponseWriter, r *http.Request, a ownership.Actor) {
	it, err := h.svc.RetryOutbox(r.Context(), a, r.PathValue("id"))
	if err != nil {
		h.writeServiceError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, it)
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
