package dashboard

import (
	"net/http"

	"github.com/intakehq/intake/ownership"
)

type rosterData struct {
	Reps    []ownership.RepView
	Choices []string
}

func (d *dashboard) roster(w http.ResponseWriter, r *http.Request, s *session) {
	reps, err := d.svc.Reps(r.Context())
	if err != nil {
		d.unavailable(w, s, "the roster", err)
		return
	}
	d.render(w, http.StatusOK, "roster", view{Title: "Roster", Nav: "roster", Actor: s.actor, SignOut: s.signOut,
		CSRF: s.csrf, Flash: s.flash, Refresh: true, Now: d.svc.Now(),
		Data: rosterData{Reps: reps, Choices: []string{"available", "away", "off"}}})
}

type outboxData struct {
	Dead    []ownership.OutboxItem
	Waiting int // pending or sending, up to the limit read
}

// outboxLimit bounds the items one page reads per state.
const outboxLimit = 200

// outbox lists the dead letters: outbound messages that finally failed,
// each with its last error and a retry button (managers).
func (d *dashboard) outbox(w http.ResponseWriter, r *http.Request, s *session) {
	if !d.managersOnly(w, s, "The dead-letter list") {
		return
	}
	var data outboxData
	var err error
	if data.Dead, err = d.svc.Outbox(r.Context(), ownership.OutboxDead, outboxLimit); err != nil {
		d.unavailable(w, s, "the outbox", err)
		return
	}
	for _, state := range []string{ownership.OutboxPending, ownership.OutboxSending} {
		items, err := d.svc.Outbox(r.Context(), state, outboxLimit)
		if err != nil {
			d.unavailable(w, s, "the outbox", err)
			return
		}
		data.Waiting += len(items)
	}
	d.render(w, http.StatusOK, "outbox", view{Title: "Dead letters", Nav: "outbox", Actor: s.actor, SignOut: s.signOut,
		CSRF: s.csrf, Flash: s.flash, Now: d.svc.Now(), Data: data})
}
