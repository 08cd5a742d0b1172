package email

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/intakehq/intake/channels"
)

// Limits on what one inbound mail hands to the ledger.
const (
	maxSubject   = 300 // bytes, cut on a rune boundary (the ledger allows 500)
	maxThreadIDs = 20  // thread ids followed, nearest first
)

// Inbound turns one fetched mail into the ledger's Message. parseErr is
// what Parse returned: a mail that could not be parsed is still handed
// over, as its raw text, flagged for review, so it is never lost. ours are
// the addresses we send from and receive on (loop control). now stamps a
// mail without a usable Date.
func Inbound(p Parsed, parseErr error, raw []byte, ours []string, now time.Time) channels.Message {
	m := channels.Message{
		Kind:        channels.Email,
		ExternalID:  externalID(p.MessageID, raw),
		From:        channels.Contact{Name: p.From.Name, Email: strings.ToLower(p.From.Address)},
		To:          recipient(p, ours),
		Subject:     capBytes(p.Subject, maxSubject),
		Text:        p.NewText,
		Attachments: p.Attachments,
		ReceivedAt:  p.Date,
		Meta:        map[string]string{},
	}
	if m.ReceivedAt.IsZero() || m.ReceivedAt.After(now.Add(24*time.Hour)) {
		m.ReceivedAt = now
	}
	if p.MessageID != "" {
		m.Meta[channels.MetaMessageID] = "<" + p.MessageID + ">"
	}
	if thread := threadIDs(p); len(thread) > 0 {
		m.Meta[channels.MetaReferences] = "<" + strings.Join(thread, "> <") + ">"
	}
	if p.Text != p.NewText {
		// The readable body without trimming: quoted history and signature.
		m.Meta["full_text"] = p.Text
	}
	if p.Truncated {
		m.Meta["truncated"] = "true"
	}
	if p.AttachmentsOmitted > 0 {
		m.Meta["attachments_omitted"] = strconv.Itoa(p.AttachmentsOmitted)
	}
	if tok, ok := TicketToken(p.Subject); ok {
		m.TicketHint = tok
	}
	m.References = referenceKeys(p)

	if parseErr != nil {
		m.Meta[channels.MetaReview] = "the email could not be parsed (" + capBytes(SanitizeHeader(parseErr.Error()), 200) + "); its raw text is kept"
		if m.Text == "" {
			m.Text = capBytes(strings.ToValidUTF8(string(raw), "\uFFFD"), DefaultMaxText)
		}
		if m.Subject == "" {
			m.Subject = "Unreadable email"
		}
		return m
	}

	class, why := Classify(p, ours)
	switch class {
	case Human:
		if p.SuppressAutoReply {
			m.Meta[channels.MetaNoAutoReply] = "X-Auto-Response-Suppress: " + p.Headers["X-Auto-Response-Suppress"]
		}
	case Bounce:
		if id, ok := OutboxIDFromMessageID(p.BouncedMessageID); ok {
			// A bounce of our own mail: a delivery status of that message.
			m.Event = channels.EventStatus
			m.Meta[channels.MetaOutbox] = id
			m.Meta["status"] = bounceStatus(p.DSNAction)
			if p.DSNStatus != "" {
				m.Meta["error_code"] = p.DSNStatus
			}
			m.Text = capBytes(strings.TrimSpace(p.Text), 2000)
			return m
		}
		m.Meta[channels.MetaAutomated] = string(class) + ": " + why
	default:
		m.Meta[channels.MetaAutomated] = string(class) + ": " + why
	}
	return m
}

// bounceStatus maps a DSN Action to a delivery status: only "failed"
// (or a report without an action) means the message is lost.
func bounceStatus(action string) string {
	switch a := strings.ToLower(strings.TrimSpace(action)); a {
	case "delayed", "delivered", "relayed", "expanded":
		return a
	}
	return "failed"
}

// externalID is the mail's provider id: its Message-ID, or for a mail
// without one a hash of its bytes, which stays the same across re-fetches
// and UIDVALIDITY changes.
func externalID(messageID string, raw []byte) string {
	if messageID != "" {
		return "<" + messageID + ">"
	}
	sum := sha256.Sum256(raw)
	return "sha256:" + hex.EncodeToString(sum[:16])
}

// threadIDs is the mail's thread before it, oldest first: References,
// then In-Reply-To ids not already listed.
func threadIDs(p Parsed) []string {
	seen := map[string]bool{}
	var ids []string
	for _, id := range append(append([]string(nil), p.References...), p.InReplyTo...) {
		if id == "" || seen[id] || id == p.MessageID {
			continue
		}
		seen[id] = true
		ids = append(ids, id)
	}
	if len(ids) > maxThreadIDs {
		ids = ids[len(ids)-maxThreadIDs:]
	}
	return ids
}

// referenceKeys are the ledger keys of the messages the mail answers,
// nearest first: In-Reply-To, then References from the newest. Our own
// Message-IDs lead to the outbox item they were sent as.
func referenceKeys(p Parsed) []string {
	var ids []string
	ids = append(ids, p.InReplyTo...)
	for i := len(p.References) - 1; i >= 0; i-- {
		ids = append(ids, p.References[i])
	}
	seen := map[string]bool{}
	var keys []string
	for _, id := range ids {
		if id == "" || seen[id] || id == p.MessageID {
			continue
		}
		seen[id] = true
		if ob, ok := OutboxIDFromMessageID(id); ok {
			keys = append(keys, channels.OutboxRef(ob))
		} else {
			keys = append(keys, string(channels.Email)+":"+channels.EventMessage+":<"+id+">")
		}
		if len(keys) == maxThreadIDs {
			break
		}
	}
	return keys
}

// recipient is the address the mail reached us on: one of ours when it
// names one, else its first To.
func recipient(p Parsed, ours []string) string {
	for _, a := range append(append([]Address(nil), p.To...), p.Cc...) {
		for _, o := range ours {
			if strings.EqualFold(a.Address, o) {
				return a.Address
			}
		}
	}
	if len(p.To) > 0 {
		return p.To[0].Address
	}
	return ""
}
