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
	m.Meta[channels.MetaDigest] = contentDigest(p, parseErr, raw)
	sender(&m, p)

	// The header block classifies the mail even when its body did not
	// parse: a bounce or a list mail with broken MIME is still a machine's.
	class, why := Classify(p, ours)
	if parseErr != nil && class == Human {
		addReview(&m, "the email could not be parsed ("+capBytes(SanitizeHeader(parseErr.Error()), 200)+"); its raw text is kept")
		if m.Text == "" {
			m.Text = capBytes(strings.ToValidUTF8(string(raw), "\uFFFD"), DefaultMaxText)
		}
		if m.Subject == "" {
			m.Subject = "Unreadable email"
		}
		return m
	}
	if parseErr != nil {
		why += " (its body could not be parsed)"
	}
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
		automated(&m, string(class)+": "+why)
	default:
		automated(&m, string(class)+": "+why)
	}
	return m
}

// sender sets who the mail is from: the From addr-spec, never its
// display name. A From without a usable address leaves the mail with no
// sender to answer (Unanswerable); a doubtful one identifies the sender
// but puts the mail up for review, which is never answered automatically.
// Either way the raw header is kept.
func sender(m *channels.Message, p Parsed) {
	switch p.FromTrust {
	case SenderClean:
		m.From = channels.Contact{Name: p.From.Name, Email: p.From.Address}
		return
	case SenderDoubtful:
		m.From = channels.Contact{Email: p.From.Address}
		addReview(m, p.FromWhy)
	default:
		m.Unanswerable = p.FromWhy
	}
	if p.FromRaw != "" {
		m.Meta[channels.MetaRawFrom] = p.FromRaw
	}
}

// automated marks a machine's mail: it opens nothing and is answered by
// nothing, so it is never put up for review either.
func automated(m *channels.Message, why string) {
	m.Meta[channels.MetaAutomated] = why
	delete(m.Meta, channels.MetaReview)
}

func addReview(m *channels.Message, why string) {
	if prev := m.Meta[channels.MetaReview]; prev != "" {
		why = prev + "; " + why
	}
	m.Meta[channels.MetaReview] = why
}

// contentDigest is what the mail says, for telling a re-read of it from a
// different mail reusing its Message-ID: sender, subject, date, text and
// attachments, not the transport headers that differ between two copies
// of one mail (Received, Delivered-To). An unparsed mail is its raw body.
func contentDigest(p Parsed, parseErr error, raw []byte) string {
	h := sha256.New()
	field := func(s string) { h.Write([]byte(s)); h.Write([]byte{0}) }
	field(p.From.Address)
	field(p.FromRaw)
	field(p.Subject)
	field(p.Date.UTC().Format(time.RFC3339))
	if parseErr != nil {
		field(rawBody(raw))
	} else {
		field(p.Text)
	}
	for _, a := range p.Attachments {
		field(a.Name + "\x00" + a.ContentType + "\x00" + strconv.FormatInt(a.Size, 10))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
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
