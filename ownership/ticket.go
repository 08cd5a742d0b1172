package ownership

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/intakehq/intake/channels"
)

// Status is where a ticket is in its life.
type Status string

// Statuses. Only closed tickets may be without an owner.
const (
	StatusOpen     Status = "open"
	StatusPending  Status = "pending" // waiting on the customer
	StatusResolved Status = "resolved"
	StatusClosed   Status = "closed"
)

// Valid reports whether s is one of the four statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusOpen, StatusPending, StatusResolved, StatusClosed:
		return true
	}
	return false
}

// Active reports whether a ticket in status s counts against its owner's
// capacity (open or pending).
func (s Status) Active() bool { return s == StatusOpen || s == StatusPending }

// Priority orders tickets by urgency.
type Priority string

// Priorities.
const (
	PriorityLow    Priority = "low"
	PriorityNormal Priority = "normal"
	PriorityHigh   Priority = "high"
	PriorityUrgent Priority = "urgent"
)

// Valid reports whether p is one of the four priorities.
func (p Priority) Valid() bool {
	switch p {
	case PriorityLow, PriorityNormal, PriorityHigh, PriorityUrgent:
		return true
	}
	return false
}

// EventType names an entry on a ticket's timeline.
type EventType string

// Event types.
const (
	EventMessageIn   EventType = "message_in"
	EventMessageOut  EventType = "message_out"
	EventNote        EventType = "note"
	EventAssigned    EventType = "assigned"
	EventTransferred EventType = "transferred" // Meta["state"]: offered, accepted, lapsed, withdrawn
	EventAcked       EventType = "acked"
	EventEscalated   EventType = "escalated"
	EventStatus      EventType = "status"
	EventCall        EventType = "call"
	EventVoicemail   EventType = "voicemail"
	EventTimeLogged  EventType = "time_logged"
	EventDelivery    EventType = "delivery" // a delivery status of an outbound message (Meta["status"])
	EventOptOut      EventType = "opt_out"  // the customer asked not to be texted (Meta["opted_out"] "true"/"false")
)

// Contact is the customer a ticket is for.
type Contact struct {
	Name      string `json:"name,omitempty"`
	Email     string `json:"email,omitempty"` // lower-cased
	Phone     string `json:"phone,omitempty"` // E.164
	SlackUser string `json:"slack_user,omitempty"`
}

// Keys returns the identity keys under which the store indexes the
// contact's tickets ("email:…", "phone:…", "slack:…").
func (c Contact) Keys() []string {
	var keys []string
	if c.Email != "" {
		keys = append(keys, "email:"+strings.ToLower(c.Email))
	}
	if c.Phone != "" {
		keys = append(keys, "phone:"+c.Phone)
	}
	if c.SlackUser != "" {
		keys = append(keys, "slack:"+c.SlackUser)
	}
	return keys
}

// Offer is a pending handoff: the current owner keeps the ticket until To
// accepts, or the offer lapses at ExpiresAt.
type Offer struct {
	To        string    `json:"to"`
	From      string    `json:"from"`
	By        string    `json:"by"`
	At        time.Time `json:"at"`
	ExpiresAt time.Time `json:"expires_at"`
	Reason    string    `json:"reason,omitempty"`
}

// Ticket is one customer issue and its single owner.
type Ticket struct {
	ID       string   `json:"id"` // T-<n>
	Number   int64    `json:"number"`
	Subject  string   `json:"subject"`
	Status   Status   `json:"status"`
	Priority Priority `json:"priority"`
	Channel  string   `json:"channel"`
	Owner    string   `json:"owner"`
	Team     string   `json:"team"`
	Contact  Contact  `json:"contact"`
	Org      string   `json:"org"`
	// Version is what clients compare-and-set against ("version" and
	// If-Match): it moves only when a field a client could conflict with
	// changes (see Conflicts). The Service sets it; stores keep it as given.
	Version int64 `json:"version"`
	// Rev is the store's revision: every write of the ticket adds one, and
	// UpdateTicket applies only while the stored Rev is still the one the
	// change was computed from, so bookkeeping writes (a triage post
	// recorded, a delivery status) never overwrite each other either. It
	// is internal: a ticket's JSON leaves it out, and stores keep it with
	// MarshalStored.
	Rev int64 `json:"-"`

	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	AssignedAt time.Time  `json:"assigned_at"` // when the current owner got it; the ack clock starts here
	AckedAt    *time.Time `json:"acked_at"`    // nil until the current owner acknowledges

	FirstResponseDue *time.Time `json:"first_response_due,omitempty"`
	ResolutionDue    *time.Time `json:"resolution_due,omitempty"`
	FirstResponseAt  *time.Time `json:"first_response_at,omitempty"`
	ResolvedAt       *time.Time `json:"resolved_at,omitempty"`

	Offer *Offer `json:"offer,omitempty"`
	// Review says why a person should look at the ticket (a message that
	// could not be parsed, a stranger naming another customer's ticket);
	// "" when nothing is odd. Links are related tickets.
	Review  string            `json:"review,omitempty"`
	Links   []string          `json:"links,omitempty"`
	Handles map[string]string `json:"handles,omitempty"` // what a channel needs to reply (phone, Message-ID, Slack thread)
}

// Event is one entry on a ticket's timeline. Events are never changed or
// removed once stored.
type Event struct {
	Seq        int64             `json:"seq"` // 1-based position on the timeline, set by the store
	Type       EventType         `json:"type"`
	At         time.Time         `json:"at"`
	Actor      string            `json:"actor"` // rep id, "system", "router" or the customer's identity
	Channel    string            `json:"channel,omitempty"`
	Body       string            `json:"body,omitempty"`
	From       string            `json:"from,omitempty"` // previous owner or status
	To         string            `json:"to,omitempty"`   // new owner or status
	Reason     string            `json:"reason,omitempty"`
	ProviderID string            `json:"provider_id,omitempty"`
	Minutes    int               `json:"minutes,omitempty"`
	Meta       map[string]string `json:"meta,omitempty"`
	// Attachments are links and metadata (MMS media, recordings, mail
	// attachments), never the content.
	Attachments []channels.Attachment `json:"attachments,omitempty"`
}

// FormatID returns the human id of ticket number n.
func FormatID(n int64) string { return "T-" + strconv.FormatInt(n, 10) }

// ParseID returns the number in a ticket id such as "T-12" (case-insensitive).
func ParseID(id string) (int64, error) {
	if len(id) < 3 || (id[0] != 'T' && id[0] != 't') || id[1] != '-' {
		return 0, fmt.Errorf("ticket id %q: want T-<number>", id)
	}
	n, err := strconv.ParseInt(id[2:], 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("ticket id %q: want T-<number>", id)
	}
	return n, nil
}
