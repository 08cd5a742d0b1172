package ownership

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/intakehq/intake/channels"
)

// Outbox purposes of the Slack posts that keep techs in the picture. The
// Slack adapter renders each from the ticket as it is when the post is
// sent, so a burst of changes shows the latest state, never a stale one.
const (
	PurposeTriage       = "triage"        // the ticket's post in the triage channel
	PurposeTriageUpdate = "triage_update" // chat.update of that post
	PurposeMirror       = "mirror"        // a line in the post's thread (a customer message, a failed delivery)
	PurposeReact        = "react"         // a reaction on a thread message: sent or kept internal
)

// slackOn reports whether Slack can be posted to.
func (s *Service) slackOn() bool { return s.out[channels.Slack] }

// slackTriage is the triage post of the ticket created with dedup key key;
// the store fills in the ticket id.
func slackTriage(key string, now time.Time) OutboxItem {
	return OutboxItem{ID: "slack:triage:" + key, Channel: string(channels.Slack), Purpose: PurposeTriage,
		NextAt: now, CreatedAt: now, UpdatedAt: now}
}

// slackUpdate refreshes ticket id's triage post after the write that made
// revision rev (Ticket.Rev, which every write moves, unlike Version): one
// item per revision, so none is lost and none doubled.
func slackUpdate(id string, rev int64, now time.Time) OutboxItem {
	return OutboxItem{ID: "slack:update:" + id + ":" + strconv.FormatInt(rev, 10), TicketID: id,
		Channel: string(channels.Slack), Purpose: PurposeTriageUpdate, NextAt: now, CreatedAt: now, UpdatedAt: now}
}

// slackMirror puts body in ticket id's thread, once per key.
func slackMirror(id, key, body string, now time.Time) OutboxItem {
	return OutboxItem{ID: "slack:mirror:" + key, TicketID: id, Channel: string(channels.Slack), Purpose: PurposeMirror,
		Body: body, NextAt: now, CreatedAt: now, UpdatedAt: now}
}

// cardChanged reports whether a change shows on the triage post.
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

// SlackPost is where a ticket's triage post is: channel and message ts.
type SlackPost struct {
	Channel string
	TS      string
}

func slackPostFlag(ticket string) string { return "slack:post:" + ticket }
func slackThreadFlag(channel, ts string) string {
	return "slack:thread:" + channel + ":" + ts
}

// SetSlackPost records ticket id's triage post, both ways, so thread
// messages find their ticket.
func (s *Service) SetSlackPost(ctx context.Context, id string, p SlackPost) error {
	if err := s.store.SetFlag(ctx, slackThreadFlag(p.Channel, p.TS), id); err != nil {
		return fmt.Errorf("record slack thread of %s: %w", id, err)
	}
	if err := s.store.SetFlag(ctx, slackPostFlag(id), p.Channel+" "+p.TS); err != nil {
		return fmt.Errorf("record slack post of %s: %w", id, err)
	}
	return nil
}

// SlackPostOf returns ticket id's triage post; ErrNotFound when it has not
// been posted (yet).
func (s *Service) SlackPostOf(ctx context.Context, id string) (SlackPost, error) {
	v, err := s.store.Flag(ctx, slackPostFlag(id))
	if err != nil {
		return SlackPost{}, err
	}
	var p SlackPost
	if _, err := fmt.Sscan(v, &p.Channel, &p.TS); err != nil || v == "" {
		return SlackPost{}, ErrNotFound
	}
	return p, nil
}

// TicketOfSlackThread returns the ticket whose triage post is the thread
// root (channel, ts); ErrNotFound when none.
func (s *Service) TicketOfSlackThread(ctx context.Context, channel, ts string) (string, error) {
	v, err := s.store.Flag(ctx, slackThreadFlag(channel, ts))
	if err != nil {
		return "", err
	}
	if v == "" {
		return "", ErrNotFound
	}
	return v, nil
}

// NoteOnce records a rep's internal note from a channel (a Slack thread
// message), once per key: a redelivered event adds nothing.
func (s *Service) NoteOnce(ctx context.Context, a Actor, id, body, key string, meta map[string]string) error {
	if body == "" {
		return fmt.Errorf("%w: a note needs text", ErrInvalid)
	}
	if len(body) > MaxBody {
		return fmt.Errorf("%w: note is %d bytes, the limit is %d", ErrInvalid, len(body), MaxBody)
	}
	if _, err := s.store.Ticket(ctx, id); err != nil {
		return err
	}
	return s.appendOnce(ctx, id, key, Event{Type: EventNote, Actor: a.ID, Body: body, Channel: string(channels.Slack), Meta: meta})
}

// React queues a reaction on a Slack message (the bot marking a thread
// message as sent to the customer or kept internal), once per key.
func (s *Service) React(ctx context.Context, ticket, channel, ts, name, key string) error {
	if !s.slackOn() {
		return nil
	}
	now := s.now().UTC()
	return s.store.Enqueue(ctx, OutboxItem{ID: "slack:react:" + key, TicketID: ticket, Channel: string(channels.Slack),
		To: channel, Purpose: PurposeReact, Headers: map[string]string{"ts": ts, "name": name},
		NextAt: now, CreatedAt: now, UpdatedAt: now})
}

// mirrorIngest queues a customer message that joined a ticket for the
// ticket's Slack thread (messages from Slack threads themselves are there
// already).
func (s *Service) mirrorIngest(ref ticketRefLite, m channels.Message, key string, now time.Time) (OutboxItem, bool) {
	if !s.slackOn() || ref.created || m.Meta[channels.MetaAutomated] != "" || m.Text == "" {
		return OutboxItem{}, false
	}
	who := firstNonEmpty(m.From.Name, m.From.Email, m.From.Phone, m.From.SlackUser, "the customer")
	return slackMirror(ref.id, key, fmt.Sprintf("%s (%s): %s", who, m.Kind, m.Text), now), true
}

// ticketRefLite is what mirrorIngest needs of a channels.TicketRef.
type ticketRefLite struct {
	id      string
	created bool
}

// reportDeadToSlack tells the ticket's thread that a message to the
// customer finally failed.
func (s *Service) reportDeadToSlack(ctx context.Context, it OutboxItem, reason string) error {
	if !s.slackOn() || it.Channel == string(channels.Slack) || it.TicketID == "" || it.Purpose == PurposeNotify {
		return nil
	}
	now := s.now().UTC()
	body := fmt.Sprintf("⚠ Could not deliver the %s to %s (%s): %s", it.Purpose, it.To, it.Channel, reason)
	err := s.store.Enqueue(ctx, slackMirror(it.TicketID, "dead:"+it.ID, body, now))
	if err != nil && !errors.Is(err, ErrDuplicate) {
		return err
	}
	return nil
}

// Mirror puts body in ticket id's Slack thread, once per key.
func (s *Service) Mirror(ctx context.Context, id, key, body string) error {
	if !s.slackOn() {
		return nil
	}
	return s.store.Enqueue(ctx, slackMirror(id, key, body, s.now().UTC()))
}
