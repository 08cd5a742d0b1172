// Package channels holds what every channel adapter shares: the normalized
// inbound Message, the Sink adapters deliver to, the Outbound message the
// outbox sends through a Replier, and error classes. Adapters import this
// package and never the ledger's behaviour: the ledger satisfies Sink.
package channels

import (
	"context"
	"time"
)

// Kind names a channel.
type Kind string

// Kinds.
const (
	SMS   Kind = "sms"
	Voice Kind = "voice"
	Email Kind = "email"
	Slack Kind = "slack"
	Web   Kind = "web"
)

// What an inbound Message is about.
const (
	EventMessage   = "message"   // a customer message (default)
	EventCall      = "call"      // a call started or changed state
	EventVoicemail = "voicemail" // a recording or its transcription
	EventStatus    = "status"    // delivery status of one of our outbound messages
	EventOptOut    = "opt_out"   // STOP and friends
	EventOptIn     = "opt_in"    // START and friends
)

// Keys in Message.Meta the ledger acts on.
const (
	// MetaKeyword marks a carrier keyword message ("help"): recorded on an
	// open ticket, never opening one.
	MetaKeyword = "keyword"
	// MetaAutomated says why a message was sent by a machine (an
	// out-of-office reply, a mailing list). It never opens a ticket and
	// never gets an automatic answer; when it threads to a ticket it is
	// recorded there without reopening it or notifying anyone.
	MetaAutomated = "automated"
	// MetaReview says why a message needs a person's look (it could not be
	// parsed): it opens a ticket flagged for review and gets no automatic
	// answer.
	MetaReview = "review"
	// MetaNoAutoReply is the sender's request not to be answered
	// automatically (X-Auto-Response-Suppress); the message is human.
	MetaNoAutoReply = "no_auto_reply"
	// MetaMessageID is an email's own Message-ID ("<id>") and
	// MetaReferences its thread, oldest first, space-separated; a reply
	// threads to them.
	MetaMessageID  = "message_id"
	MetaReferences = "references"
	// MetaOutbox names our outbound message a status is about (a bounce).
	MetaOutbox = "outbox"
	// MetaSlackChannel is the Slack conversation a customer wrote in and
	// MetaSlackThread the thread there; replies go back to them.
	MetaSlackChannel = "slack_channel"
	MetaSlackThread  = "slack_thread_ts"
	// MetaDigest is a digest of what a message says, for channels whose
	// provider ids are not unique (email's Message-ID). A delivery whose
	// id was taken in before is the same message only when its digest (or
	// its MetaMailboxUID) matches; otherwise it is a different message
	// reusing the id, taken in as its own.
	MetaDigest = "content_digest"
	// MetaMailboxUID is where an email was read: "mailbox UIDVALIDITY:UID".
	// The same position read again is the same message.
	MetaMailboxUID = "mailbox_uid"
	// MetaIDReused is set by the ledger on a message whose provider id an
	// earlier, different message already had: it says which and where.
	MetaIDReused = "id_reused"
	// MetaRawFrom keeps the sender header as it arrived when it could not
	// be read cleanly as one address.
	MetaRawFrom = "raw_from"
)

// OutboxRef is the Message.References key of one of our own outbound
// messages (the outbox item id), for a reply that answers it.
func OutboxRef(id string) string { return "outbox:" + id }

// Contact is who sent a message, as the channel knows them.
type Contact struct {
	Name      string
	Email     string
	Phone     string // E.164
	SlackUser string
}

// Attachment is kept as metadata and a link, never downloaded here.
type Attachment struct {
	Name        string `json:"name,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	URL         string `json:"url,omitempty"`
	Size        int64  `json:"size,omitempty"`
}

// Message is one normalized inbound delivery.
type Message struct {
	Kind       Kind
	Event      string // EventMessage when empty
	ExternalID string // the provider's id: MessageSid, CallSid, RecordingSid+kind...
	// ThreadKey, when set, is the dedup key of an earlier message whose
	// ticket this one belongs to (a recording joins its call's ticket).
	ThreadKey string
	// TicketHint is a ticket id the sender named (an email subject's
	// "[T-n]"). References are keys of earlier messages this one answers,
	// nearest first: dedup keys of inbound messages or OutboxRef of ours.
	// Neither is trusted: the message joins the ticket they lead to only
	// when the sender is that ticket's contact or of its org.
	TicketHint  string
	References  []string
	From        Contact
	To          string
	Subject     string
	Text        string
	Attachments []Attachment
	ReceivedAt  time.Time
	Meta        map[string]string // provider details worth keeping (CallStatus, MessageStatus...)
	// Unanswerable, when set, says why the sender's identity cannot be
	// answered (a From that did not parse as one address, a caller id
	// that is not an E.164 number). The message is kept, on a ticket
	// flagged for review with this reason; nothing is queued to the
	// sender (no auto-acknowledgement), and replies to the ticket are
	// refused rather than queued to be dead-lettered.
	Unanswerable string
}

// DedupKey identifies the delivery across retries: kind, event and the
// provider's id.
func (m Message) DedupKey() string {
	ev := m.Event
	if ev == "" {
		ev = EventMessage
	}
	return string(m.Kind) + ":" + ev + ":" + m.ExternalID
}

// TicketRef is what the Sink tells the adapter about the ticket a message
// landed on, so it can answer the provider (TwiML naming the ticket, a
// <Dial> to the owner's phone).
type TicketRef struct {
	ID           string
	Created      bool // a new ticket was opened
	Duplicate    bool // the delivery was seen before; nothing was written
	Owner        string
	OwnerName    string
	OwnerPhone   string
	OwnerOnShift bool
	OptedOut     bool // the sender has opted out of texts
}

// Sink takes ownership of inbound messages. Accept returns only after the
// message is durably stored (or recognised as a duplicate), so the adapter
// acknowledges the provider after it returns and answers 5xx when it fails.
type Sink interface {
	Accept(ctx context.Context, m Message) (TicketRef, error)
}

// Outbound is one message the outbox sends.
type Outbound struct {
	ID       string // outbox item id; stable across retries
	TicketID string
	Kind     Kind
	To       string // phone, email address or Slack channel/user
	Subject  string
	Body     string
	Purpose  string // auto_ack, reply, notify
	Attempt  int
	// Headers carries channel specifics the ledger chose when it queued the
	// message: for email, "In-Reply-To" and "References" (threading to the
	// customer's last message). Adapters sanitise them before use.
	Headers map[string]string
}

// Replier sends outbound messages for one channel. Errors are temporary
// (retried with backoff) unless IsPermanent; a *RetryAfterError says when.
type Replier interface {
	Send(ctx context.Context, o Outbound) (providerRef string, err error)
}
