package ownership

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/intakehq/intake/channels"
)

// The techs' board is where techs see new work and keep up with it: one
// post per ticket (its card), kept up to date, with a thread of what
// happens on the ticket. The ledger decides what goes on the board and
// queues it; the board's channel renders and posts it. Today that is the
// Slack adapter (its triage channel), so the board is on when that channel
// can send.
const boardKind = channels.Slack

// Outbox purposes of the board's posts. The board's channel renders each
// from the ticket as it is when the post is sent, so a burst of changes
// shows the latest state, never a stale one. The values are stored: never
// rename one.
const (
	PurposeTriage       = "triage"        // the ticket's card on the board
	PurposeTriageUpdate = "triage_update" // an update of that card in place
	PurposeMirror       = "mirror"        // a line in the card's thread (a customer message, a failed delivery)
	PurposeReact        = "react"         // a mark on a thread message: sent to the customer or kept internal
)

// boardOn reports whether the board can be posted to.
func (s *Service) boardOn() bool { return s.out[boardKind] }

// boardCard is the card of the ticket created with dedup key key; the
// store fills in the ticket id.
func boardCard(key string, now time.Time) OutboxItem {
	return OutboxItem{ID: string(boardKind) + ":triage:" + key, Channel: string(boardKind), Purpose: PurposeTriage,
		NextAt: now, CreatedAt: now, UpdatedAt: now}
}

// boardUpdate refreshes ticket id's card after the write that made
// revision rev (Ticket.Rev, which every write moves, unlike Version): one
// item per revision, so none is lost and none doubled.
func boardUpdate(id string, rev int64, now time.Time) OutboxItem {
	return OutboxItem{ID: string(boardKind) + ":update:" + id + ":" + strconv.FormatInt(rev, 10), TicketID: id,
		Channel: string(boardKind), Purpose: PurposeTriageUpdate, NextAt: now, CreatedAt: now, UpdatedAt: now}
}

// boardLine puts body in ticket id's thread on the board, once per key.
func boardLine(id, key, body string, now time.Time) OutboxItem {
	return OutboxItem{ID: string(boardKind) + ":mirror:" + key, TicketID: id, Channel: string(boardKind), Purpose: PurposeMirror,
		Body: body, NextAt: now, CreatedAt: now, UpdatedAt: now}
}

// cardChanged reports whether a change shows on the ticket's card.
func cardChanged(a, b Ticket) bool {
	offer := func(t Ticket) string {
		if t.Offer == nil {
			return ""
		}
		return t.Offer.To
	}
	return a.Owner != b.Owner || a.Status != b.Status || a.Priority != b.Priority ||
		(a.AckedAt == nil) != (b.AckedAt == nil) || offer(a) != offer(b) || a.Review != b.Review
}

// Queue puts o on the outbox for ticket, once per key: a call the
// adapter makes on its own channel when a rep acts there (a reaction on a
// thread message, a line in the ticket's thread). The item is o's channel,
// purpose and key ("<channel>:<purpose>:<key>"), so a redelivered event queues
// nothing new. Nothing is queued for a channel that cannot send.
func (s *Service) Queue(ctx context.Context, ticket, key string, o channels.Outbound) error {
	if o.Kind == "" || o.Purpose == "" || key == "" {
		return fmt.Errorf("%w: an outbox item needs a channel, a purpose and a key", ErrInvalid)
	}
	if !s.out[o.Kind] {
		return nil
	}
	now := s.now().UTC()
	return s.store.Enqueue(ctx, OutboxItem{ID: string(o.Kind) + ":" + o.Purpose + ":" + key, TicketID: ticket,
		Channel: string(o.Kind), To: o.To, Subject: o.Subject, Body: o.Body, Purpose: Purpose(o.Purpose), Headers: o.Headers,
		NextAt: now, CreatedAt: now, UpdatedAt: now})
}

// noteOnce is Note with a key: a note taken from a channel message (a
// reply in a card's thread), recorded once per key, so a redelivered event adds
// nothing. The key names the message as "<channel>:<id>", like every
// dedup key, and the note carries that channel. Whoever writes in the
// ticket's own thread is noted, rep or not: the adapter found the ticket
// from the thread, so the scope check of a rep's action does not apply.
func (s *Service) noteOnce(ctx context.Context, a Actor, id, body, key string, meta map[string]string) (Ticket, error) {
	if body == "" {
		return Ticket{}, fmt.Errorf("%w: a note needs a body", ErrInvalid)
	}
	if len(body) > MaxBody {
		return Ticket{}, fmt.Errorf("%w: note is %d bytes, the limit is %d", ErrInvalid, len(body), MaxBody)
	}
	if _, err := s.store.Ticket(ctx, id); err != nil {
		return Ticket{}, err
	}
	via, _, _ := strings.Cut(key, ":")
	if err := s.appendOnce(ctx, id, key, Event{Type: EventNote, Actor: a.ID, Body: body, Channel: via, Meta: meta}); err != nil {
		return Ticket{}, err
	}
	return s.store.Ticket(ctx, id)
}

// mirrorIngest queues a customer message that joined a ticket for the
// card's thread (messages written in that thread are there already).
func (s *Service) mirrorIngest(ref ticketRefLite, m channels.Message, key string, now time.Time) (OutboxItem, bool) {
	if !s.boardOn() || ref.created || m.Meta[channels.MetaAutomated] != "" || m.Text == "" {
		return OutboxItem{}, false
	}
	who := firstNonEmpty(m.From.Name, m.From.Email, m.From.Phone, m.From.SlackUser, "the customer")
	return boardLine(ref.id, key, fmt.Sprintf("%s (%s): %s", who, m.Kind, m.Text), now), true
}

// ticketRefLite is what mirrorIngest needs of a channels.TicketRef.
type ticketRefLite struct {
	id      string
	created bool
}

// reportDeadToSlack tells the card's thread that a message to the
// customer finally failed. (The name stays until the outbox worker, its
// caller, has moved to ownership/outbox.)
func (s *Service) reportDeadToSlack(ctx context.Context, it OutboxItem, reason string) error {
	if !s.boardOn() || it.Channel == string(boardKind) || it.TicketID == "" || it.Purpose == PurposeNotify {
		return nil
	}
	now := s.now().UTC()
	body := fmt.Sprintf("⚠ Could not deliver the %s to %s (%s): %s", it.Purpose, it.To, it.Channel, reason)
	err := s.store.Enqueue(ctx, boardLine(it.TicketID, "dead:"+it.ID, body, now))
	if err != nil && !errors.Is(err, ErrDuplicate) {
		return err
	}
	return nil
}
