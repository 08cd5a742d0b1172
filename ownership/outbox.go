package ownership

import "time"

// Outbox states. An item moves pending → sending → sent, back to pending
// for a retry, or to dead when it finally fails. Dead items stay visible
// to managers (never silently dropped).
const (
	OutboxPending = "pending"
	OutboxSending = "sending"
	OutboxSent    = "sent"
	OutboxDead    = "dead"
)

// Purpose is why an outbox item is sent. It decides how the item goes
// out and what its delivery records: a customer-facing message lands on
// the ticket's timeline when sent; a notice to a rep or manager does not.
// The values are stored: never rename one.
type Purpose string

// The ledger's own purposes. The techs' board's (PurposeTriage,
// PurposeTriageUpdate, PurposeMirror, PurposeReact) are in board.go.
const (
	PurposeAutoAck Purpose = "auto_ack" // the customer's acknowledgement of a new ticket (notify.go)
	PurposeReply   Purpose = "reply"    // a rep's reply to the customer (reply.go)
	PurposeNotify  Purpose = "notify"   // a notice to a rep: new work, an escalation, a handover (notify.go)
	PurposeAlert   Purpose = "alert"    // a manager alert: escalations, stuck tickets, breached SLAs (notify.go)
)

// OutboxItem is one outbound message, stored before any attempt to send it.
type OutboxItem struct {
	ID       string  `json:"id"` // chosen by the caller, stable: enqueueing the same ID again is a no-op
	TicketID string  `json:"ticket"`
	Channel  string  `json:"channel"` // sms, email, slack
	To       string  `json:"to"`
	Subject  string  `json:"subject,omitempty"`
	Body     string  `json:"body"`
	Purpose  Purpose `json:"purpose"`
	// Headers are channel specifics fixed when the item is queued (email
	// threading: In-Reply-To, References); immutable like Body.
	Headers     map[string]string `json:"headers,omitempty"`
	State       string            `json:"state"`
	Attempts    int               `json:"attempts"`
	NextAt      time.Time         `json:"next_at"`               // when a pending item is due
	LeaseUntil  time.Time         `json:"lease_until,omitempty"` // when a sending item's claim expires
	LastError   string            `json:"last_error,omitempty"`
	ProviderRef string            `json:"provider_ref,omitempty"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
}

// OutboxResult is how one send attempt ended.
type OutboxResult struct {
	State       string    // OutboxSent, OutboxPending (retry at NextAt) or OutboxDead
	ProviderRef string    // for sent
	NextAt      time.Time // for a retry
	Error       string    // for a retry or dead
	At          time.Time
}
