package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/ownership"
)

// Reactions the bot puts on thread messages.
const (
	reactionSent     = "outbox_tray" // sent to the customer
	reactionInternal = "memo"        // kept as an internal note
	reactionFailed   = "warning"     // meant for the customer, not sent
)

// messageEvent is the part of a message event the adapter reads.
type messageEvent struct {
	Type        string `json:"type"`
	Subtype     string `json:"subtype"`
	Channel     string `json:"channel"`
	ChannelType string `json:"channel_type"`
	User        string `json:"user"`
	BotID       string `json:"bot_id"`
	Text        string `json:"text"`
	TS          string `json:"ts"`
	ThreadTS    string `json:"thread_ts"`
}

// handleEventsPayload handles one Events API body (over HTTP or Socket
// Mode) and returns the response text and status. The work is stored
// before the answer, under keys derived from the message (channel and ts),
// so Slack's retries and duplicate deliveries of one event_id change
// nothing the second time.
func (a *App) handleEventsPayload(ctx context.Context, body []byte) (string, int) {
	var env struct {
		Type      string          `json:"type"`
		Challenge string          `json:"challenge"`
		TeamID    string          `json:"team_id"`
		EventID   string          `json:"event_id"`
		Event     json.RawMessage `json:"event"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return "body is not JSON", http.StatusBadRequest
	}
	switch env.Type {
	case "url_verification":
		return env.Challenge, http.StatusOK
	case "event_callback":
	default:
		return "", http.StatusOK
	}
	var ev messageEvent
	if err := json.Unmarshal(env.Event, &ev); err != nil {
		return "event is not JSON", http.StatusBadRequest
	}
	if err := a.handleMessage(ctx, ev); err != nil {
		a.logger.Error("slack event not stored; Slack will retry", "event_id", env.EventID, "err", err)
		return "could not store the event", http.StatusInternalServerError
	}
	return "", http.StatusOK
}

// handleMessage routes one message event: a thread reply on a ticket's
// post, or a customer writing to the app.
func (a *App) handleMessage(ctx context.Context, ev messageEvent) error {
	if bot := a.botUser.Load(); ev.Type != "message" || ev.User == "" || ev.BotID != "" || (bot != nil && ev.User == *bot) {
		return nil // not a person's message, or our own (no loops)
	}
	switch ev.Subtype {
	case "", "thread_broadcast", "file_share":
	default:
		return nil // edits, deletions, joins: not new human text
	}
	if ev.ThreadTS != "" && ev.ThreadTS != ev.TS {
		id, err := a.posts.ticketOf(ctx, ev.Channel, ev.ThreadTS)
		if err != nil {
			return err
		}
		if id != "" {
			return a.threadMessage(ctx, id, ev)
		}
	}
	if ev.Channel == a.cfg.Channel {
		return nil // talk in the triage channel outside a ticket thread
	}
	if ev.ChannelType != "im" && !a.customers[ev.Channel] {
		return nil
	}
	if _, isRep := a.actor(ev.User); isRep {
		return nil
	}
	m := channels.Message{Kind: channels.Slack, ExternalID: ev.Channel + ":" + ev.TS,
		From: a.customer(ctx, ev.User), To: ev.Channel, Text: unescape(ev.Text),
		Meta: map[string]string{channels.MetaSlackChannel: ev.Channel}}
	if ev.ChannelType != "im" {
		// In a shared channel, answers go to the customer's thread.
		m.Meta[channels.MetaSlackThread] = firstNonEmpty(ev.ThreadTS, ev.TS)
	}
	_, err := a.desk.Accept(ctx, m)
	return err
}

// customer names a Slack user from their profile (users.info): their name,
// and their email, which links them to their org by domain. Best effort:
// without it the ticket still opens, under the user id.
func (a *App) customer(ctx context.Context, user string) channels.Contact {
	c := channels.Contact{SlackUser: user}
	if v, ok := a.people.Load(user); ok {
		return v.(channels.Contact)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	u, err := a.api.GetUserInfoContext(ctx, user)
	if err != nil {
		a.logger.Debug("slack: no profile for a customer", "user", user, "err", err)
		return c
	}
	c.Name = firstNonEmpty(u.Profile.RealName, u.RealName, u.Name)
	c.Email = strings.ToLower(u.Profile.Email)
	a.people.Store(user, c)
	return c
}

// threadMessage applies the reply mode to a message in ticket id's thread:
// sent to the customer only when a rep says so, otherwise kept as an
// internal note; the bot marks which with a reaction.
func (a *App) threadMessage(ctx context.Context, id string, ev messageEvent) error {
	key := "slack:" + ev.Channel + ":" + ev.TS
	actor, isRep := a.actor(ev.User)
	text := unescape(strings.TrimSpace(ev.Text))
	send, body := a.decide(text, isRep)
	if send {
		_, err := a.desk.Reply(ctx, actor, id, body, key)
		switch {
		case err == nil:
			return a.react(ctx, id, ev.Channel, ev.TS, reactionSent, key)
		case errors.Is(err, ownership.ErrState), errors.Is(err, ownership.ErrInvalid), errors.Is(err, ownership.ErrForbidden),
			ownership.IsOutOfScope(err):
			// Meant for the customer but not sendable: kept, marked, and
			// the reason put in the thread.
			if _, nerr := a.desk.Note(ctx, actor, id, text, key, map[string]string{"not_sent": sayOn(id, err)}); nerr != nil {
				return nerr
			}
			if rerr := a.react(ctx, id, ev.Channel, ev.TS, reactionFailed, key); rerr != nil {
				return rerr
			}
			return a.desk.Queue(ctx, id, "notsent:"+key, channels.Outbound{Kind: channels.Slack, Purpose: ownership.PurposeMirror,
				Body: "Not sent to the customer: " + sayOn(id, err)})
		default:
			return err
		}
	}
	if !isRep {
		actor = ownership.Actor{ID: "slack:" + ev.User}
	}
	if _, err := a.desk.Note(ctx, actor, id, body, key, map[string]string{"slack_user": ev.User}); err != nil {
		return err
	}
	return a.react(ctx, id, ev.Channel, ev.TS, reactionInternal, key)
}

// react queues the bot's reaction name on message (channel, ts) in
// ticket's thread, once per key.
func (a *App) react(ctx context.Context, ticket, channel, ts, name, key string) error {
	return a.desk.Queue(ctx, ticket, key, channels.Outbound{Kind: channels.Slack, To: channel, Purpose: ownership.PurposeReact,
		Headers: map[string]string{"ts": ts, "name": name}})
}

// decide says whether a thread message goes to the customer, and its
// text without the prefix. Only roster reps ever send.
func (a *App) decide(text string, isRep bool) (bool, string) {
	if a.cfg.ReplyMode == ReplyThread {
		if rest, ok := cutPrefixFold(text, a.cfg.NotePrefix); ok {
			return false, rest
		}
		return isRep && text != "", text
	}
	if rest, ok := cutPrefixFold(text, a.cfg.ReplyPrefix); ok && isRep && rest != "" {
		return true, rest
	}
	return false, text // a note, as written
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if prefix == "" || len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return strings.TrimSpace(s[len(prefix):]), true
}

// unescape undoes Slack's escaping of message text (&amp; &lt; &gt;).
func unescape(s string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

// say turns a ledger error into words for the rep.
func say(err error) string {
	var ce *ownership.ConflictError
	if errors.As(err, &ce) {
		t := ce.Current
		return fmt.Sprintf("%s changed meanwhile (now %s, owned by %s); nothing was done.", t.ID, t.Status, firstNonEmpty(t.Owner, "no one"))
	}
	if errors.Is(err, ownership.ErrNotFound) {
		return "No such ticket."
	}
	return err.Error()
}
