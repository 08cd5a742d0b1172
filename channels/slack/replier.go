package slack

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/ownership"
)

// gate holds every Web API call back while Slack has asked us to wait
// (429 Retry-After): continuing to call a rate-limited app gets it
// disabled.
type gate struct {
	mu    sync.Mutex
	until time.Time
}

func (g *gate) wait(now time.Time) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.until.Sub(now)
}

func (g *gate) close(until time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if until.After(g.until) {
		g.until = until
	}
}

var _ channels.Replier = (*App)(nil)

// errNotPosted: the triage post a message needs is not there yet (its
// item is still queued); retried shortly.
var errNotPosted = errors.New("the ticket's triage post is not made yet")

// Send implements channels.Replier for the outbox: triage posts and their
// updates, thread lines, direct messages, reactions and answers to
// customers who wrote on Slack.
func (a *App) Send(ctx context.Context, o channels.Outbound) (string, error) {
	if d := a.gate.wait(a.cfg.Now()); d > 0 {
		return "", &channels.RetryAfterError{After: d, Err: errors.New("slack: waiting out a rate limit")}
	}
	ref, err := a.send(ctx, o)
	var rl *slackapi.RateLimitedError
	if !errors.As(err, &rl) && !errors.Is(err, errNotPosted) && ctx.Err() == nil {
		a.health.record(callKind(o.Purpose), err, a.cfg.Now()) // waiting is not failing
	}
	switch {
	case err == nil:
		return ref, nil
	case errors.As(err, &rl):
		a.gate.close(a.cfg.Now().Add(rl.RetryAfter))
		a.logger.Warn("slack rate limit: holding sends", "retry_after", rl.RetryAfter, "outbox", o.ID)
		return "", &channels.RetryAfterError{After: rl.RetryAfter, Err: err}
	case errors.Is(err, errNotPosted):
		return "", &channels.RetryAfterError{After: 2 * time.Second, Err: err}
	case permanentSlackError(err):
		return "", channels.Permanent(err)
	}
	return "", err
}

func (a *App) send(ctx context.Context, o channels.Outbound) (string, error) {
	switch o.Purpose {
	case ownership.PurposeTriage:
		return a.postTriage(ctx, o.TicketID, o.Attempt)
	case ownership.PurposeTriageUpdate:
		return a.updateTriage(ctx, o.TicketID)
	case ownership.PurposeMirror:
		post, err := a.post(ctx, o.TicketID)
		if err != nil {
			return "", err
		}
		_, ts, err := a.api.PostMessageContext(ctx, post.Channel, slackapi.MsgOptionText(Escape(o.Body), false),
			slackapi.MsgOptionTS(post.TS))
		return ts, err
	case ownership.PurposeReact:
		err := a.api.AddReactionContext(ctx, o.Headers["name"], slackapi.NewRefToMessage(o.To, o.Headers["ts"]))
		if err != nil && strings.Contains(err.Error(), "already_reacted") {
			err = nil
		}
		return "", err
	case "notify", "alert":
		if strings.HasPrefix(o.To, "C") || strings.HasPrefix(o.To, "G") {
			// A channel (the managers' alert channel): post there.
			_, ts, err := a.api.PostMessageContext(ctx, o.To, slackapi.MsgOptionText(Escape(o.Body), false))
			return ts, err
		}
		ch, _, _, err := a.api.OpenConversationContext(ctx, &slackapi.OpenConversationParameters{Users: []string{o.To}})
		if err != nil {
			return "", fmt.Errorf("slack: open a DM with %s: %w", o.To, err)
		}
		_, ts, err := a.api.PostMessageContext(ctx, ch.ID, slackapi.MsgOptionText(Escape(o.Body), false))
		return ts, err
	default: // a reply or auto-ack to a customer who wrote on Slack
		// The rep's words go out as written (no markers): only the
		// mention and link syntax is escaped.
		opts := []slackapi.MsgOption{slackapi.MsgOptionText(escaper.Replace(o.Body), false)}
		if ts := o.Headers["thread_ts"]; ts != "" {
			opts = append(opts, slackapi.MsgOptionTS(ts))
		}
		_, ts, err := a.api.PostMessageContext(ctx, o.To, opts...)
		return ts, err
	}
}

// post returns ticket id's triage post, or errNotPosted.
func (a *App) post(ctx context.Context, id string) (Post, error) {
	p, ok, err := a.posts.of(ctx, id)
	if err == nil && !ok {
		return p, errNotPosted
	}
	return p, err
}

// postTriage posts ticket id to the triage channel and records where. A
// ticket posted before is updated instead, never posted twice: when the
// post was recorded, by the record; when Slack took the post but its
// answer was lost (a timeout, a crash before recording), a retry finds the
// post in the channel by its metadata, since chat.postMessage has no
// idempotency key.
func (a *App) postTriage(ctx context.Context, id string, attempt int) (string, error) {
	if _, ok, err := a.posts.of(ctx, id); err != nil {
		return "", err
	} else if ok {
		return a.updateTriage(ctx, id)
	}
	if attempt > 1 {
		found, err := a.findPost(ctx, id)
		if err != nil {
			return "", err
		}
		if found.TS != "" {
			if err := a.posts.set(ctx, id, found); err != nil {
				return "", err
			}
			a.logger.Info("slack triage post found after a lost answer; not posting again", "ticket", id, "ts", found.TS)
			return a.updateTriage(ctx, id)
		}
	}
	text, blocks, err := a.card(ctx, id)
	if err != nil {
		return "", err
	}
	ch, ts, err := a.api.PostMessageContext(ctx, a.cfg.Channel, slackapi.MsgOptionText(text, false), slackapi.MsgOptionBlocks(blocks...),
		slackapi.MsgOptionMetadata(slackapi.SlackMetadata{EventType: postMetadataType, EventPayload: map[string]any{"ticket": id}}))
	if err != nil {
		return "", err
	}
	if err := a.posts.set(ctx, id, Post{Channel: ch, TS: ts}); err != nil {
		return ts, err
	}
	return ts, nil
}

// postMetadataType marks triage posts, so a post whose answer was lost
// can be found again.
const postMetadataType = "intake_ticket"

// findPost looks for ticket id's post in the triage channel; a zero Post
// when it is not there. It pages back through the history (any number of
// posts may have landed since, e.g. a backlog sent after an outage) but
// only as far as the ticket's creation, less postClockSkew: its post
// cannot be older, so the lookup stays bounded however long the channel.
func (a *App) findPost(ctx context.Context, id string) (Post, error) {
	t, err := a.desk.Ticket(ctx, id)
	if err != nil {
		return Post{}, fmt.Errorf("slack: look for the post of %s: %w", id, err)
	}
	params := &slackapi.GetConversationHistoryParameters{ChannelID: a.cfg.Channel, Limit: 200, IncludeAllMetadata: true}
	if !t.CreatedAt.IsZero() {
		params.Oldest = slackTS(t.CreatedAt.Add(-postClockSkew))
	}
	for {
		h, err := a.api.GetConversationHistoryContext(ctx, params)
		if err != nil {
			return Post{}, fmt.Errorf("slack: look for the post of %s: %w", id, err)
		}
		for _, m := range h.Messages {
			if m.Metadata.EventType == postMetadataType && fmt.Sprint(m.Metadata.EventPayload["ticket"]) == id {
				return Post{Channel: a.cfg.Channel, TS: m.Timestamp}, nil
			}
		}
		if !h.HasMore || h.ResponseMetaData.NextCursor == "" {
			return Post{}, nil
		}
		params.Cursor = h.ResponseMetaData.NextCursor
	}
}

// postClockSkew is how far Slack's clock may be behind ours: the history
// is read from that long before the ticket was created.
const postClockSkew = 10 * time.Minute

// slackTS is t as a Slack timestamp ("seconds.micros").
func slackTS(t time.Time) string {
	return fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000)
}

func (a *App) updateTriage(ctx context.Context, id string) (string, error) {
	p, err := a.post(ctx, id)
	if err != nil {
		return "", err
	}
	text, blocks, err := a.card(ctx, id)
	if err != nil {
		return "", err
	}
	_, ts, _, err := a.api.UpdateMessageContext(ctx, p.Channel, p.TS, slackapi.MsgOptionText(text, false), slackapi.MsgOptionBlocks(blocks...))
	return ts, err
}

// card renders ticket id as it is now.
func (a *App) card(ctx context.Context, id string) (string, []slackapi.Block, error) {
	t, err := a.desk.Ticket(ctx, id)
	if err != nil {
		return "", nil, err
	}
	c := Card{TicketID: t.ID, Subject: t.Subject, Org: a.cfg.OrgNames[t.Org], Channel: t.Channel,
		Priority: string(t.Priority), Status: string(t.Status), Acked: t.AckedAt != nil, SLADue: t.FirstResponseDue, Review: t.Review,
		Customer: firstNonEmpty(t.Contact.Name, t.Contact.Email, t.Contact.Phone, t.Contact.SlackUser)}
	if c.Org == "" {
		c.Org = t.Org
	}
	if r, ok := a.byID[t.Owner]; ok {
		c.OwnerSlack, c.OwnerName = r.SlackUser, r.Name
	} else {
		c.OwnerName = t.Owner
	}
	if t.Offer != nil {
		c.Offer = firstNonEmpty(a.byID[t.Offer.To].Name, t.Offer.To)
	}
	if evs, err := a.desk.Events(ctx, id); err == nil {
		for _, ev := range evs {
			if ev.Type == ownership.EventMessageIn || ev.Type == ownership.EventVoicemail {
				c.Snippet = ev.Body
				break
			}
		}
	}
	text, blocks := CardBlocks(c, a.cfg.Now())
	// Buttons carry the owner the post shows, so a press on a stale post
	// is caught (see button).
	for _, b := range blocks {
		if ab, ok := b.(*slackapi.ActionBlock); ok && ab.Elements != nil {
			for _, el := range ab.Elements.ElementSet {
				if btn, ok := el.(*slackapi.ButtonBlockElement); ok {
					btn.Value = t.ID + "|" + t.Owner
				}
			}
		}
	}
	return text, blocks, nil
}

// permanentSlackError reports Slack errors that retrying cannot fix.
func permanentSlackError(err error) bool {
	var se slackapi.SlackErrorResponse
	msg := err.Error()
	if errors.As(err, &se) {
		msg = se.Err
	}
	for _, e := range []string{"channel_not_found", "is_archived", "not_in_channel", "msg_too_long", "no_text",
		"user_not_found", "cannot_dm_bot", "message_not_found", "invalid_blocks", "restricted_action"} {
		if strings.Contains(msg, e) {
			return true
		}
	}
	return false
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
