package ownership

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/routing"
)

// DefaultAckTemplate is the customer auto-acknowledgement when
// Options.AckTemplate is empty; {{ticket}} and {{owner}} (the owner's first
// name) are filled in.
const DefaultAckTemplate = "Thanks, we got your message. Ticket {{ticket}} is with {{owner}}; reply here to add to it."

// CheckAckTemplate reports what is wrong with t as an auto-acknowledgement
// template: it must name {{ticket}}, since telling the customer their
// ticket number is what the ack is for (a reply quoting [T-n] joins the
// ticket). The config check and NewService both run it.
func CheckAckTemplate(t string) error {
	if !strings.Contains(t, "{{ticket}}") {
		return errors.New("must mention {{ticket}}, so the customer learns their ticket number")
	}
	return nil
}

// ackBody is the auto-acknowledgement for ref on channel k: the channel's
// own template when one is set, else the ledger's.
func (s *Service) ackBody(k channels.Kind, ref channels.TicketRef) string {
	t := s.acks[k]
	if t == "" {
		t = s.ack
	}
	return strings.NewReplacer("{{ticket}}", ref.ID, "{{owner}}", firstName(ref.OwnerName, ref.Owner)).Replace(t)
}

// queueAfterIngest queues the customer's auto-acknowledgement (new
// tickets) and the owner's notification. Ids derive from the delivery, so
// running it again (a provider retry) queues nothing twice.
func (s *Service) queueAfterIngest(ctx context.Context, m channels.Message, key string, ref channels.TicketRef) error {
	if m.Meta[channels.MetaAutomated] != "" {
		return nil // recorded quietly, never answered
	}
	var items []OutboxItem
	now := s.now().UTC()
	body := s.ackBody(m.Kind, ref)
	held := m.Meta[channels.MetaReview] != "" || m.Unanswerable != "" || m.Meta[channels.MetaIDReused] != ""
	if ref.Created && !held {
		// The ledger may have held the new ticket for review itself (a
		// stranger naming someone else's ticket): read it, so a
		// redelivery after a crash decides the same way.
		t, err := s.store.Ticket(ctx, ref.ID)
		if err != nil {
			return fmt.Errorf("queue messages for %s: %w", ref.ID, err)
		}
		held = t.Review != ""
	}
	switch {
	case !ref.Created || held:
		// Nothing goes to an address that is not one, nor to a message
		// waiting for a person's look (a reused provider id or a
		// stranger quoting another customer's ticket among them): an
		// answer would tell a stranger that ticket exists.
	case m.Kind == channels.SMS && s.out[channels.SMS] && !ref.OptedOut && m.From.Phone != "":
		items = append(items, OutboxItem{ID: "ack:" + key, TicketID: ref.ID, Channel: string(channels.SMS), To: m.From.Phone,
			Body: body, Purpose: PurposeAutoAck, NextAt: now, CreatedAt: now, UpdatedAt: now})
	case m.Kind == channels.Slack && s.out[channels.Slack] && m.Meta[channels.MetaSlackChannel] != "":
		it := OutboxItem{ID: "ack:" + key, TicketID: ref.ID, Channel: string(channels.Slack), To: m.Meta[channels.MetaSlackChannel],
			Body: body, Purpose: PurposeAutoAck, NextAt: now, CreatedAt: now, UpdatedAt: now}
		if ts := m.Meta[channels.MetaSlackThread]; ts != "" {
			it.Headers = map[string]string{"thread_ts": ts}
		}
		items = append(items, it)
	case m.Kind == channels.Email && s.out[channels.Email] && m.From.Email != "" && m.Meta[channels.MetaNoAutoReply] == "":
		it := OutboxItem{ID: "ack:" + key, TicketID: ref.ID, Channel: string(channels.Email), To: m.From.Email,
			Subject: "Re: " + m.Subject, Body: body, Purpose: PurposeAutoAck, NextAt: now, CreatedAt: now, UpdatedAt: now,
			Headers: emailThreadHeaders(withEmailThread(nil, m))}
		ok, err := s.mayAutoAck(ctx, it, now)
		if err != nil {
			return err
		}
		if ok {
			items = append(items, it)
		}
	}
	if n, ok := s.notification(ref, m, key); ok {
		items = append(items, n)
	}
	if len(items) == 0 {
		return nil
	}
	if err := s.store.Enqueue(ctx, items...); err != nil {
		return fmt.Errorf("queue messages for %s: %w", ref.ID, err)
	}
	return nil
}

// notification tells the owner about new work, over the first channel that
// can reach them (a Slack DM, a text, an email).
func (s *Service) notification(ref channels.TicketRef, m channels.Message, key string) (OutboxItem, bool) {
	now := s.now().UTC()
	from := firstNonEmpty(m.From.Name, m.From.Phone, m.From.Email, m.From.SlackUser)
	var what string
	switch {
	case m.Event == channels.EventVoicemail:
		what = fmt.Sprintf("Voicemail on %s from %s", ref.ID, from)
	case m.Event == channels.EventCall:
		if !ref.Created {
			return OutboxItem{}, false // the phone rings the owner; no text per call step
		}
		what = fmt.Sprintf("New ticket %s: call from %s", ref.ID, from)
	case ref.Created:
		what = fmt.Sprintf("New ticket %s (%s from %s)", ref.ID, m.Kind, from)
	default:
		what = fmt.Sprintf("New message on %s from %s", ref.ID, from)
	}
	if t := firstLine(m.Text, 120); t != "" {
		what += ": " + t
	}
	return s.repMessage(ref.Owner, ref.ID, "notify:"+key, what, now)
}

// emailThreadHeaders are the In-Reply-To and References of a message
// answering the thread kept in ticket handles h.
func emailThreadHeaders(h map[string]string) map[string]string {
	if h["message_id"] == "" {
		return nil
	}
	return map[string]string{"In-Reply-To": h["message_id"], "References": h["references"]}
}

// Auto-acknowledgements per sender address: at most autoAckLimit in
// autoAckWindow, so a sender (or a forwarding loop the filter missed)
// opening ticket after ticket is not answered each time.
const (
	autoAckLimit  = 3
	autoAckWindow = time.Hour
)

// mayAutoAck reports whether it may be queued under the per-sender limit,
// and counts it when so. An item queued before (a retried delivery) is
// always allowed: enqueueing it again is a no-op.
func (s *Service) mayAutoAck(ctx context.Context, it OutboxItem, now time.Time) (bool, error) {
	if _, err := s.store.OutboxItem(ctx, it.ID); err == nil {
		return true, nil
	} else if !errors.Is(err, ErrNotFound) {
		return false, err
	}
	key := autoAckFlag(it.Channel, it.To)
	v, err := s.store.Flag(ctx, key)
	if err != nil {
		return false, err
	}
	var recent []string
	for _, f := range strings.Fields(v) {
		if sec, err := strconv.ParseInt(f, 10, 64); err == nil && now.Sub(time.Unix(sec, 0)) < autoAckWindow {
			recent = append(recent, f)
		}
	}
	if len(recent) >= autoAckLimit {
		s.logger.Info("auto-acknowledgement skipped: sender over the limit", "ticket", it.TicketID, "limit", autoAckLimit, "window", autoAckWindow)
		return false, nil
	}
	recent = append(recent, strconv.FormatInt(now.Unix(), 10))
	return true, s.store.SetFlag(ctx, key, strings.Join(recent, " "))
}

func firstName(name, id string) string {
	if f := strings.Fields(name); len(f) > 0 {
		return f[0]
	}
	return id
}

// repMessage is a message to rep over the first channel that reaches them:
// a Slack DM, a text, an email.
func (s *Service) repMessage(rep, ticket, id, text string, now time.Time) (OutboxItem, bool) {
	rc := s.reps[rep]
	it := OutboxItem{ID: id, TicketID: ticket, Body: text, Purpose: PurposeNotify, NextAt: now, CreatedAt: now, UpdatedAt: now}
	switch {
	case s.out[channels.Slack] && rc.SlackUser != "":
		it.Channel, it.To = string(channels.Slack), rc.SlackUser
	case s.out[channels.SMS] && rc.Phone != "":
		it.Channel, it.To = string(channels.SMS), rc.Phone
	case s.out[channels.Email] && rc.Email != "":
		it.Channel, it.To, it.Subject = string(channels.Email), rc.Email, text
	default:
		return OutboxItem{}, false
	}
	return it, true
}

// managerAlerts is one alert per manager, over the channel that reaches
// them best; ids derive from key, so a repeated sweep queues nothing new.
func (s *Service) managerAlerts(ticket, key, text string, now time.Time) []OutboxItem {
	var items []OutboxItem
	for _, r := range s.router.Reps() {
		if r.Role != routing.RoleManager {
			continue
		}
		if it, ok := s.repMessage(r.ID, ticket, "alert:"+key+":"+r.ID, text, now); ok {
			it.Purpose = PurposeAlert
			items = append(items, it)
		}
	}
	if to := s.policy.AlertTo; to.To != "" && s.out[to.Kind] {
		// The id keeps its old ":channel" suffix, so an upgrade in the
		// middle of a sweep queues nothing twice.
		items = append(items, OutboxItem{ID: "alert:" + key + ":channel", TicketID: ticket, Channel: string(to.Kind),
			To: to.To, Body: text, Purpose: PurposeAlert, NextAt: now, CreatedAt: now, UpdatedAt: now})
	}
	if len(items) == 0 {
		s.logger.Warn("manager alert has no channel to go out on", "ticket", ticket, "alert", text)
	}
	return items
}
