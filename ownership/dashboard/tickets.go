package dashboard

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/intakehq/intake/ownership"
)

// listQuery is the ticket list's filters, as the form and links carry them.
type listQuery struct {
	Status  string // "" (open and pending), all, open, pending, resolved, closed
	Owner   string
	Channel string
	Org     string
	Unowned bool
	Q       string // text searched in subject, contact and id
	Limit   int    // tickets a page; 0 is 50
	Cursor  string
}

func parseListQuery(v url.Values) (listQuery, ownership.Filter, error) {
	q := listQuery{Status: v.Get("status"), Owner: strings.TrimSpace(v.Get("owner")), Channel: strings.TrimSpace(v.Get("channel")),
		Org: strings.TrimSpace(v.Get("org")), Unowned: v.Get("unowned") != "", Q: strings.TrimSpace(v.Get("q")), Cursor: v.Get("cursor")}
	f := ownership.Filter{Owner: q.Owner, Channel: q.Channel, Org: q.Org, Unowned: q.Unowned, Cursor: q.Cursor, Limit: 50}
	switch q.Status {
	case "":
		f.Statuses = []ownership.Status{ownership.StatusOpen, ownership.StatusPending}
	case "all":
	default:
		st := ownership.Status(q.Status)
		if !st.Valid() {
			return q, f, errors.New("status " + strconv.Quote(q.Status) + " is not one of open, pending, resolved, closed")
		}
		f.Statuses = []ownership.Status{st}
	}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			return q, f, errors.New("limit " + strconv.Quote(l) + ": want a number from 1 to 500")
		}
		q.Limit, f.Limit = n, n
	}
	if q.Cursor != "" {
		if n, err := strconv.ParseInt(q.Cursor, 10, 64); err != nil || n <= 0 {
			return q, f, errors.New("that page link is broken; start again from the first page")
		}
	}
	return q, f, nil
}

// link returns the list URL for q, on the page after cursor.
func (q listQuery) link(cursor string) string {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("status", q.Status)
	set("owner", q.Owner)
	set("channel", q.Channel)
	set("org", q.Org)
	set("q", q.Q)
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	set("cursor", cursor)
	if q.Unowned {
		v.Set("unowned", "1")
	}
	if len(v) == 0 {
		return "/tickets"
	}
	return "/tickets?" + v.Encode()
}

type listData struct {
	Query    listQuery
	Tickets  []ownership.Ticket
	Reps     []ownership.RepView
	Next     string // link to the next page; "" when none
	Scanned  int    // tickets read for a search
	Partial  bool   // the search stopped at its budget; Next continues it
	Channels []string
}

func (d *dashboard) tickets(w http.ResponseWriter, r *http.Request, s *session) {
	q, f, err := parseListQuery(r.URL.Query())
	if err != nil {
		d.fail(w, s, http.StatusBadRequest, capital(err.Error())+".")
		return
	}
	// Only what the signed-in rep may see, narrowed in the store query so
	// pages (and the search over them) stay full.
	f = d.svc.Narrow(s.actor, f)
	data := listData{Query: q, Channels: channelOrder}
	var p ownership.Page
	if q.Q != "" {
		p, data.Scanned, data.Partial, err = d.search(r.Context(), f, q.Q)
	} else {
		p, err = d.svc.List(r.Context(), f)
	}
	if err != nil {
		d.unavailable(w, s, "the tickets", err)
		return
	}
	if data.Reps, err = d.svc.Reps(r.Context()); err != nil {
		d.unavailable(w, s, "the roster", err)
		return
	}
	data.Tickets = p.Tickets
	if p.Next != "" {
		data.Next = q.link(p.Next)
	}
	d.render(w, http.StatusOK, "tickets", view{Title: "Tickets", Nav: "tickets", Actor: s.actor, SignOut: s.signOut,
		CSRF: s.csrf, Flash: s.flash, Refresh: true, Now: d.svc.Now(), Data: data})
}

// searchBudget bounds the tickets one search request reads; the store has
// no text index, so the search runs here over pages of the filtered list.
const searchBudget = 2000

// search returns up to f.Limit tickets matching text, reading at most
// searchBudget tickets. When the budget runs out the page's Next continues
// after the last ticket read.
func (d *dashboard) search(ctx context.Context, f ownership.Filter, text string) (ownership.Page, int, bool, error) {
	limit := f.Limit
	f.Limit = 250
	needle := strings.ToLower(text)
	var out ownership.Page
	scanned := 0
	for {
		p, err := d.svc.List(ctx, f)
		if err != nil {
			return out, scanned, false, err
		}
		for _, t := range p.Tickets {
			scanned++
			if !matches(t, needle) {
				continue
			}
			out.Tickets = append(out.Tickets, t)
			if len(out.Tickets) == limit {
				out.Next = strconv.FormatInt(t.Number, 10)
				return out, scanned, false, nil
			}
		}
		if p.Next == "" {
			return out, scanned, false, nil
		}
		if scanned >= searchBudget {
			out.Next = p.Next
			return out, scanned, true, nil
		}
		f.Cursor = p.Next
	}
}

func matches(t ownership.Ticket, needle string) bool {
	for _, s := range []string{t.ID, t.Subject, t.Contact.Name, t.Contact.Email, t.Contact.Phone, t.Org} {
		if strings.Contains(strings.ToLower(s), needle) {
			return true
		}
	}
	return false
}

type ticketData struct {
	T         ownership.Ticket
	Events    []ownership.Event
	Clocks    []slaClock
	Reps      []ownership.RepView
	Others    []ownership.Ticket // the contact's other tickets
	Statuses  []ownership.Status
	OfferToMe bool
	ReplyKey  string // makes a resubmitted reply form queue nothing twice
}

func (d *dashboard) ticket(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	id := strings.ToUpper(r.PathValue("id"))
	// A ticket outside the rep's scope is answered as one that does not
	// exist.
	t, evs, err := d.svc.TimelineFor(ctx, s.actor, id)
	if errors.Is(err, ownership.ErrNotFound) {
		d.fail(w, s, http.StatusNotFound, "There is no ticket "+id+".")
		return
	}
	if err != nil {
		d.unavailable(w, s, "ticket "+id, err)
		return
	}
	data := ticketData{T: t, Events: evs, Statuses: []ownership.Status{ownership.StatusOpen, ownership.StatusPending, ownership.StatusResolved, ownership.StatusClosed},
		OfferToMe: t.Offer != nil && t.Offer.To == s.actor.ID, ReplyKey: randomKey()}
	if data.Reps, err = d.svc.Reps(ctx); err != nil {
		d.unavailable(w, s, "the roster", err)
		return
	}
	if keys := t.Contact.Keys(); len(keys) > 0 {
		p, err := d.svc.ListFor(ctx, s.actor, ownership.Filter{Contact: keys[0], Limit: 11})
		if err != nil {
			d.unavailable(w, s, "the customer's tickets", err)
			return
		}
		for _, o := range p.Tickets {
			if o.ID != t.ID && len(data.Others) < 10 {
				data.Others = append(data.Others, o)
			}
		}
	}
	now := d.svc.Now()
	data.Clocks = d.clocks(t, now)
	d.render(w, http.StatusOK, "ticket", view{Title: t.ID + " " + t.Subject, Nav: "tickets", Actor: s.actor, SignOut: s.signOut,
		CSRF: s.csrf, Flash: s.flash, Now: now, Data: data})
}

func randomKey() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
