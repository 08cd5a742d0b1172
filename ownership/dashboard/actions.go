package dashboard

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/routing"
)

// The ticket page's forms. Each calls one Service method as the signed-in
// actor; the Service decides what the actor may do.

func ticketPath(id string) string { return "/tickets/" + url.PathEscape(id) }

func (d *dashboard) reply(r *http.Request, s *session) (string, string, error) {
	id := r.PathValue("id")
	_, err := d.svc.Reply(r.Context(), s.actor, id, r.PostFormValue("body"), r.PostFormValue("key"))
	return ticketPath(id), "Reply queued: it goes out to the customer shortly (failures show under Dead letters).", err
}

func (d *dashboard) note(r *http.Request, s *session) (string, string, error) {
	id := r.PathValue("id")
	_, err := d.svc.Note(r.Context(), s.actor, id, r.PostFormValue("body"), "", nil)
	return ticketPath(id), "Internal note added.", err
}

// assign sets the owner directly for a manager; for a tech it offers a
// handoff, which the receiving rep accepts (DESIGN invariant 2).
func (d *dashboard) assign(r *http.Request, s *session) (string, string, error) {
	id, to, why := r.PathValue("id"), r.PostFormValue("owner"), r.PostFormValue("reason")
	v, err := formVersion(r)
	if err != nil {
		return ticketPath(id), "", err
	}
	if !s.actor.IsManager() {
		t, err := d.svc.Transfer(r.Context(), s.actor, id, to, why, v)
		return ticketPath(id), fmt.Sprintf("Offered %s to %s; %s keeps it until %s accepts.", id, to, t.Owner, to), err
	}
	_, err = d.svc.Assign(r.Context(), s.actor, id, to, why, v)
	return ticketPath(id), fmt.Sprintf("%s is now owned by %s.", id, to), err
}

func (d *dashboard) accept(r *http.Request, s *session) (string, string, error) {
	id := r.PathValue("id")
	_, err := d.svc.AcceptTransfer(r.Context(), s.actor, id, nil)
	return ticketPath(id), "You own " + id + " now.", err
}

func (d *dashboard) ack(r *http.Request, s *session) (string, string, error) {
	id := r.PathValue("id")
	_, err := d.svc.Ack(r.Context(), s.actor, id, nil)
	return ticketPath(id), "Acknowledged: the ack clock has stopped.", err
}

func (d *dashboard) status(r *http.Request, s *session) (string, string, error) {
	id, st := r.PathValue("id"), ownership.Status(r.PostFormValue("status"))
	v, err := formVersion(r)
	if err != nil {
		return ticketPath(id), "", err
	}
	_, err = d.svc.SetStatus(r.Context(), s.actor, id, st, r.PostFormValue("reason"), v)
	return ticketPath(id), fmt.Sprintf("%s is now %s.", id, st), err
}

func (d *dashboard) logTime(r *http.Request, s *session) (string, string, error) {
	id := r.PathValue("id")
	n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("minutes")))
	if err != nil {
		return ticketPath(id), "", fmt.Errorf("%w: minutes must be a whole number", ownership.ErrInvalid)
	}
	_, err = d.svc.LogTime(r.Context(), s.actor, id, n, r.PostFormValue("note"))
	return ticketPath(id), fmt.Sprintf("Logged %d minutes on %s.", n, id), err
}

func (d *dashboard) setAvailability(r *http.Request, s *session) (string, string, error) {
	rep, av := r.PathValue("rep"), routing.Availability(r.PostFormValue("availability"))
	_, err := d.svc.SetAvailability(r.Context(), s.actor, rep, av)
	return "/roster", fmt.Sprintf("%s is now %s.", rep, av), err
}

func (d *dashboard) retry(r *http.Request, s *session) (string, string, error) {
	id := r.PostFormValue("id")
	it, err := d.svc.RetryOutbox(r.Context(), s.actor, id)
	back := "/outbox"
	if !s.actor.IsManager() {
		back = "/tickets" // a tech cannot see the list; the refusal shows there
	}
	return back, fmt.Sprintf("The message to %s on %s is queued again.", it.To, it.TicketID), err
}

// formVersion reads the ticket version the page showed, so a change made
// on a stale page is refused rather than applied blindly.
func formVersion(r *http.Request) (*int64, error) {
	raw := r.PostFormValue("version")
	if raw == "" {
		return nil, nil
	}
	v, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || v <= 0 {
		return nil, fmt.Errorf("%w: version %q is not a ticket version", ownership.ErrInvalid, raw)
	}
	return &v, nil
}

// plain turns a Service error into words for the person who made the
// request. Errors meant for them are shown (without the sentinel's
// prefix); anything else is logged and reported without internal detail.
func (d *dashboard) plain(r *http.Request, s *session, err error) string {
	if !ownership.IsRefusal(err) {
		d.logger.Error("dashboard: action failed", "path", r.URL.Path, "actor", s.actor.ID, "err", err)
		return "The ticket store did not answer, so the change may not have been saved. Check the page and try again."
	}
	var ce *ownership.ConflictError
	switch {
	case errors.As(err, &ce):
		return fmt.Sprintf("%s changed while you were looking at it, so nothing was saved. Check the page as it is now and try again.", ce.Current.ID)
	case errors.Is(err, ownership.ErrConflict):
		return "Someone else changed this meanwhile, so nothing was saved. Try again."
	case errors.Is(err, ownership.ErrForbidden):
		return "Not allowed: " + strip(err, ownership.ErrForbidden)
	case errors.Is(err, ownership.ErrInvalid):
		return capital(strip(err, ownership.ErrInvalid))
	case errors.Is(err, ownership.ErrState):
		return capital(strip(err, ownership.ErrState))
	case errors.Is(err, ownership.ErrNotFound):
		return "Not found: " + strings.TrimSuffix(err.Error(), ": "+ownership.ErrNotFound.Error()) + "."
	case errors.Is(err, ownership.ErrOwnerFull):
		return capital(err.Error()) + ": that rep already holds as many active tickets as their capacity allows. Choose someone else."
	}
	return capital(err.Error())
}

func strip(err, sentinel error) string {
	return strings.TrimPrefix(err.Error(), sentinel.Error()+": ")
}

func capital(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// flash is the one-time message shown after a form post.
type flash struct {
	Kind string // ok or error
	Text string
}

func (d *dashboard) setFlash(w http.ResponseWriter, r *http.Request, f flash) {
	if len(f.Text) > 600 {
		f.Text = strings.ToValidUTF8(f.Text[:600], "") + "…"
	}
	v := base64.RawURLEncoding.EncodeToString([]byte(f.Kind + ":" + f.Text))
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: v, Path: "/", MaxAge: 60, HttpOnly: true,
		Secure: d.cookieSecure(r), SameSite: http.SameSiteLaxMode})
}

// takeFlash reads and clears the flash message, if any.
func (d *dashboard) takeFlash(w http.ResponseWriter, r *http.Request) *flash {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: d.cookieSecure(r), SameSite: http.SameSiteLaxMode})
	raw, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return nil
	}
	kind, text, _ := strings.Cut(string(raw), ":")
	if (kind != "ok" && kind != "error") || text == "" {
		return nil
	}
	return &flash{Kind: kind, Text: text}
}
