package ownership

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/routing"
)

// Size limits on what a ticket stores.
const (
	MaxSubject = 500
	MaxBody    = 64 << 10
)

// NewTicket is what a channel or the API knows about a new customer issue.
type NewTicket struct {
	Subject  string
	Body     string
	Channel  string // web, sms, voice, email, slack
	Contact  Contact
	Priority Priority // "" lets routing decide (default normal)
	// DedupKey identifies the inbound message or API request (MessageSid,
	// Idempotency-Key...). The same key always yields the same ticket.
	DedupKey   string
	ProviderID string
	Handles    map[string]string
	Actor      string // who opened it; defaults to the contact's identity
	// Attachments of the first message (links and metadata).
	Attachments []channels.Attachment
	// Event is the type of the first event (message_in by default; call
	// for a phone call).
	Event EventType
	// Meta is kept on the first event.
	Meta map[string]string
	// Review flags the ticket for a person's look, saying why; Links are
	// related tickets (the one a stranger's mail named, a closed one this
	// follows up).
	Review string
	Links  []string
}

// CreateTicket opens a ticket and gives it its owner in the same atomic
// write. It returns created == false, and the existing ticket, when the
// dedup key was seen before.
func (s *Service) CreateTicket(ctx context.Context, in NewTicket) (Ticket, bool, error) {
	if err := validateNew(&in); err != nil {
		return Ticket{}, false, err
	}
	if in.DedupKey != "" {
		if id, err := s.store.LookupDedup(ctx, in.DedupKey); err == nil {
			t, err := s.store.Ticket(ctx, id)
			return t, false, err
		} else if !errors.Is(err, ErrNotFound) {
			return Ticket{}, false, err
		}
	} else {
		// A key of our own still makes a store-level retry idempotent.
		in.DedupKey = "op:" + newOpID()
	}
	contact, orgID := s.dir.resolve(in.Contact)
	in.Contact = contact
	org, _ := s.dir.org(orgID)
	labels := routing.Labels{
		"channel":  in.Channel,
		"org":      orgID,
		"plan":     org.Plan,
		"contact":  identities(contact),
		"priority": string(in.Priority),
		"text":     in.Subject + "\n" + in.Body,
	}

	s.createMu.Lock()
	defer s.createMu.Unlock()
	full := map[string]bool{}
	for attempt := 0; ; attempt++ {
		state, err := s.routingState(ctx, contact, org, full)
		if err != nil {
			return Ticket{}, false, err
		}
		d := s.router.Decide(labels, state, s.now())
		capacity := 0
		if rep, ok := s.router.Rep(d.Owner); ok && (d.Step == "sticky" || d.Step == "least_loaded" || d.Step == "round_robin") {
			capacity = rep.Capacity
		}
		if attempt >= 10 {
			capacity = 0 // give up racing other replicas; the decision stands
		}
		req := s.buildCreate(in, orgID, d, capacity)
		t, created, err := s.store.CreateTicket(ctx, req)
		if errors.Is(err, ErrOwnerFull) {
			// Another replica filled this rep since we read the load.
			full[d.Owner] = true
			continue
		}
		if err != nil {
			return Ticket{}, false, fmt.Errorf("create ticket: %w", err)
		}
		if created {
			s.observeCreate(t, d)
		}
		return t, created, nil
	}
}

func validateNew(in *NewTicket) error {
	in.Subject = strings.TrimSpace(in.Subject)
	if in.Subject == "" && strings.TrimSpace(in.Body) == "" {
		return fmt.Errorf("%w: a ticket needs a subject or a body", ErrInvalid)
	}
	if len(in.Subject) > MaxSubject {
		return fmt.Errorf("%w: subject is %d bytes, the limit is %d", ErrInvalid, len(in.Subject), MaxSubject)
	}
	if len(in.Body) > MaxBody {
		return fmt.Errorf("%w: body is %d bytes, the limit is %d", ErrInvalid, len(in.Body), MaxBody)
	}
	if !utf8.ValidString(in.Subject) || !utf8.ValidString(in.Body) {
		return fmt.Errorf("%w: subject and body must be UTF-8", ErrInvalid)
	}
	if in.Priority != "" && !in.Priority.Valid() {
		return fmt.Errorf("%w: priority %q is not one of low, normal, high, urgent", ErrInvalid, in.Priority)
	}
	if in.Channel == "" {
		in.Channel = "web"
	}
	if in.Subject == "" {
		in.Subject = firstLine(in.Body, 80)
	}
	return nil
}

// routingState gathers what the router needs: live availability and load,
// and the sticky candidates for this contact and org. Reps in full are
// treated as at capacity.
func (s *Service) routingState(ctx context.Context, c Contact, org Org, full map[string]bool) (routing.State, error) {
	reps, err := s.repStates(ctx)
	if err != nil {
		return routing.State{}, err
	}
	st := routing.State{
		Availability: map[string]routing.Availability{},
		Open:         map[string]int{},
		LastAssigned: map[string]time.Time{},
	}
	for id, rs := range reps {
		st.Availability[id] = routing.Availability(rs.Availability)
		st.Open[id] = rs.Open
		st.LastAssigned[id] = rs.LastAssigned
		if rep, ok := s.router.Rep(id); ok && full[id] && rep.Capacity > 0 {
			st.Open[id] = max(rs.Open, rep.Capacity)
		}
	}
	st.Sticky, err = s.sticky(ctx, c, org)
	return st, err
}

// sticky returns the sticky-owner candidates in DESIGN §3's order: the
// contact's open-ticket owner, the org's account manager, the contact's
// last owner.
func (s *Service) sticky(ctx context.Context, c Contact, org Org) ([]routing.Sticky, error) {
	var openOwner, lastOwner string
	for _, key := range c.Keys() {
		p, err := s.store.List(ctx, Filter{Contact: key, Limit: 20})
		if err != nil {
			return nil, fmt.Errorf("read tickets of contact: %w", err)
		}
		for _, t := range p.Tickets {
			if lastOwner == "" && t.Owner != "" {
				lastOwner = t.Owner
			}
			if openOwner == "" && t.Status.Active() && t.Owner != "" {
				openOwner = t.Owner
			}
		}
		if openOwner != "" {
			break
		}
	}
	var out []routing.Sticky
	if openOwner != "" {
		out = append(out, routing.Sticky{Rep: openOwner, Why: "contact's open ticket owner"})
	}
	if org.AccountManager != "" {
		out = append(out, routing.Sticky{Rep: org.AccountManager, Why: "org account manager"})
	}
	if lastOwner != "" {
		out = append(out, routing.Sticky{Rep: lastOwner, Why: "last owner"})
	}
	return out, nil
}

func (s *Service) buildCreate(in NewTicket, org string, d routing.Decision, capacity int) CreateRequest {
	now := s.now().UTC()
	t := Ticket{
		Subject:    in.Subject,
		Status:     StatusOpen,
		Priority:   Priority(d.Priority),
		Channel:    in.Channel,
		Owner:      d.Owner,
		Team:       d.Team,
		Contact:    in.Contact,
		Org:        org,
		CreatedAt:  now,
		UpdatedAt:  now,
		AssignedAt: now,
		Handles:    in.Handles,
		Review:     in.Review,
		Links:      in.Links,
	}
	if !t.Priority.Valid() {
		t.Priority = PriorityNormal
	}
	s.setSLADue(&t)
	actor := in.Actor
	if actor == "" {
		actor = firstNonEmpty(in.Contact.Email, in.Contact.Phone, in.Contact.SlackUser, "customer")
	}
	var evs []Event
	first := in.Event
	if first == "" {
		first = EventMessageIn
	}
	if strings.TrimSpace(in.Body) != "" || len(in.Attachments) > 0 || first != EventMessageIn {
		evs = append(evs, Event{Type: first, At: now, Actor: actor, Channel: in.Channel, Body: in.Body, ProviderID: in.ProviderID,
			Attachments: in.Attachments, Meta: in.Meta})
	}
	if in.Review != "" {
		evs = append(evs, Event{Type: EventNote, At: now, Actor: "system", Body: "Needs review: " + in.Review,
			Meta: map[string]string{"review": "true"}})
	}
	meta := map[string]string{"step": d.Step}
	if d.Rule != "" {
		meta["rule"] = d.Rule
	}
	if d.Alert {
		meta["alert"] = "fallback"
	}
	evs = append(evs, Event{Type: EventAssigned, At: now, Actor: "router", To: d.Owner, Reason: d.Reason, Meta: meta})
	req := CreateRequest{Ticket: t, Events: evs, DedupKey: in.DedupKey, OwnerCapacity: capacity}
	if s.boardOn() {
		// The card is queued with the ticket: a ticket never exists
		// without its card on the way to the board.
		req.Outbox = append(req.Outbox, boardCard(in.DedupKey, now))
	}
	return req
}

func (s *Service) observeCreate(t Ticket, d routing.Decision) {
	s.logger.Info("ticket created", "ticket", t.ID, "channel", t.Channel, "owner", t.Owner, "team", t.Team, "reason", d.Reason)
	if d.Alert {
		s.logger.Warn("ticket routed to fallback: no eligible rep", "ticket", t.ID, "team", t.Team, "owner", t.Owner, "reason", d.Reason)
	}
	if s.m != nil {
		s.m.created(t.Channel, d.Step)
	}
}

// identities lists a contact's identities for the "contact" routing label.
func identities(c Contact) string {
	var ids []string
	for _, id := range []string{c.Email, c.Phone, c.SlackUser} {
		if id != "" {
			ids = append(ids, id)
		}
	}
	return strings.Join(ids, ",")
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func firstLine(s string, n int) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if utf8.RuneCountInString(s) > n {
		r := []rune(s)
		s = string(r[:n-1]) + "…"
	}
	return strings.TrimSpace(s)
}
