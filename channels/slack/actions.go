package slack

import (
	"context"
	"errors"
	"fmt"
	"strings"

	slackapi "github.com/slack-go/slack"

	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/routing"
)

// Identifiers of the Reply modal and the message shortcut, as configured
// in the Slack app.
const (
	ReplyModalID       = "ticket_reply"
	SendToCustomerID   = "send_to_customer"
	replyBlockID       = "reply"
	replyInputActionID = "text"
)

// handleInteraction runs a button press, the "Send to customer" shortcut
// or the Reply modal's submission, acting as the rep who clicked. The
// result it returns is the HTTP answer (nil: an empty 200); an error
// means nothing could be stored and Slack should be told so.
func (a *App) handleInteraction(ctx context.Context, cb slackapi.InteractionCallback) (any, error) {
	actor, isRep := a.actor(cb.User.ID)
	switch cb.Type {
	case slackapi.InteractionTypeBlockActions:
		if len(cb.ActionCallback.BlockActions) == 0 {
			return nil, nil
		}
		act := cb.ActionCallback.BlockActions[0]
		if !isRep {
			a.ephemeral(ctx, cb.Channel.ID, cb.User.ID, "Only reps on the roster can act on tickets.")
			return nil, nil
		}
		return nil, a.button(ctx, actor, cb, act.ActionID, act.Value)
	case slackapi.InteractionTypeMessageAction:
		if cb.CallbackID != SendToCustomerID {
			return nil, nil
		}
		return nil, a.sendToCustomer(ctx, actor, isRep, cb)
	case slackapi.InteractionTypeViewSubmission:
		if cb.View.CallbackID != ReplyModalID {
			return nil, nil
		}
		if !isRep {
			return viewError("Only reps on the roster can answer customers."), nil
		}
		text := strings.TrimSpace(cb.View.State.Values[replyBlockID][replyInputActionID].Value)
		if text == "" {
			return viewError("Write something to send."), nil
		}
		_, err := a.desk.Reply(ctx, actor, cb.View.PrivateMetadata, text, "slack:view:"+cb.View.ID)
		if err != nil {
			if isRefusal(err) {
				return viewError(sayOn(cb.View.PrivateMetadata, err)), nil
			}
			return nil, err
		}
		return nil, nil
	}
	return nil, nil
}

// button applies Ack, Take, Resolve, Reopen or Reply for the rep. A button
// carries the owner its post showed ("T-12|dana"): Take goes ahead only if
// that is still the owner, so a rep acting on a stale post is told who has
// the ticket now instead of silently taking it over.
func (a *App) button(ctx context.Context, actor ownership.Actor, cb slackapi.InteractionCallback, action, value string) error {
	id, shownOwner, _ := strings.Cut(value, "|")
	// The rep sees the card, so a ticket outside their scope is named as
	// such rather than answered as unknown; nothing is done with it.
	if _, err := a.desk.TicketFor(ctx, actor, id); ownership.IsOutOfScope(err) {
		a.ephemeral(ctx, cb.Channel.ID, cb.User.ID, outOfScope(id))
		return nil
	}
	var err error
	switch action {
	case ActionAck:
		_, err = a.desk.Ack(ctx, actor, id, nil)
	case ActionTake:
		err = a.takeIfStill(ctx, actor, id, shownOwner)
	case ActionResolve:
		_, err = a.desk.SetStatus(ctx, actor, id, ownership.StatusResolved, "resolved from Slack", nil)
	case ActionReopen:
		_, err = a.desk.SetStatus(ctx, actor, id, ownership.StatusOpen, "reopened from Slack", nil)
	case ActionReply:
		_, err = a.api.OpenViewContext(ctx, cb.TriggerID, replyModal(id))
		if err != nil {
			a.logger.Warn("slack: cannot open the reply modal", "ticket", id, "err", err)
			a.ephemeral(ctx, cb.Channel.ID, cb.User.ID, "Could not open the reply form; answer with "+a.cfg.ReplyPrefix+" in the thread.")
		}
		return nil
	default:
		return nil
	}
	if err != nil && isRefusal(err) {
		a.ephemeral(ctx, cb.Channel.ID, cb.User.ID, say(err))
		return nil
	}
	return err
}

// takeIfStill takes ticket id for actor only while shownOwner still owns
// it. Changes that leave the owner alone (a note, a delivery report) move
// the version too, so a conflict is re-checked rather than reported.
func (a *App) takeIfStill(ctx context.Context, actor ownership.Actor, id, shownOwner string) error {
	for attempt := 0; ; attempt++ {
		t, err := a.desk.TicketFor(ctx, actor, id)
		if err != nil {
			return err
		}
		if shownOwner != "" && t.Owner != shownOwner {
			return &ownership.ConflictError{Current: t}
		}
		v := t.Version
		_, err = a.desk.Take(ctx, actor, id, &v)
		if !errors.Is(err, ownership.ErrConflict) || attempt == 5 {
			return err
		}
	}
}

// sendToCustomer sends a thread message to the ticket's customer: the
// explicit way to reply, whatever the reply mode.
func (a *App) sendToCustomer(ctx context.Context, actor ownership.Actor, isRep bool, cb slackapi.InteractionCallback) error {
	if !isRep {
		a.ephemeral(ctx, cb.Channel.ID, cb.User.ID, "Only reps on the roster can answer customers.")
		return nil
	}
	msg := cb.Message
	id := ""
	if msg.ThreadTimestamp != "" {
		var err error
		if id, err = a.posts.ticketOf(ctx, cb.Channel.ID, msg.ThreadTimestamp); err != nil {
			return err
		}
	}
	if id == "" {
		a.ephemeral(ctx, cb.Channel.ID, cb.User.ID, "Send to customer works on messages in a ticket's thread.")
		return nil
	}
	text := unescape(strings.TrimSpace(msg.Text))
	if rest, ok := cutPrefixFold(text, a.cfg.ReplyPrefix); ok {
		text = rest
	}
	key := "slack:" + cb.Channel.ID + ":" + msg.Timestamp
	if _, err := a.desk.Reply(ctx, actor, id, text, key); err != nil {
		if isRefusal(err) {
			a.ephemeral(ctx, cb.Channel.ID, cb.User.ID, sayOn(id, err))
			return nil
		}
		return err
	}
	return a.react(ctx, id, cb.Channel.ID, msg.Timestamp, reactionSent, key)
}

// outOfScope is the answer to a rep acting, from a message they can see
// (a triage card, a thread), on a ticket outside their scope
// (api.tech_scope).
func outOfScope(id string) string {
	return id + " is not one of the tickets you work on (yours, offered to you or your team's), so nothing was done. Ask its owner or a manager."
}

// sayOn is say for an action on ticket id the rep can see in Slack: a
// ticket outside their scope is named as such.
func sayOn(id string, err error) string {
	if ownership.IsOutOfScope(err) {
		return outOfScope(id)
	}
	return say(err)
}

// isRefusal reports ledger errors that are the rep's to hear, not Slack's
// to retry.
func isRefusal(err error) bool { return ownership.IsRefusal(err) }

func (a *App) ephemeral(ctx context.Context, channel, user, text string) {
	if channel == "" {
		return
	}
	if _, err := a.api.PostEphemeralContext(ctx, channel, user, slackapi.MsgOptionText(text, false)); err != nil {
		a.logger.Warn("slack: ephemeral answer not delivered", "err", err)
	}
}

func viewError(msg string) map[string]any {
	return map[string]any{"response_action": "errors", "errors": map[string]string{replyBlockID: msg}}
}

// replyModal is the Reply button's form.
func replyModal(id string) slackapi.ModalViewRequest {
	input := slackapi.NewPlainTextInputBlockElement(slackapi.NewTextBlockObject(slackapi.PlainTextType, "What the customer will read", false, false), replyInputActionID)
	input.Multiline = true
	return slackapi.ModalViewRequest{
		Type:            slackapi.VTModal,
		CallbackID:      ReplyModalID,
		PrivateMetadata: id,
		Title:           slackapi.NewTextBlockObject(slackapi.PlainTextType, "Reply on "+id, false, false),
		Submit:          slackapi.NewTextBlockObject(slackapi.PlainTextType, "Send", false, false),
		Close:           slackapi.NewTextBlockObject(slackapi.PlainTextType, "Cancel", false, false),
		Blocks: slackapi.Blocks{BlockSet: []slackapi.Block{
			slackapi.NewInputBlock(replyBlockID, slackapi.NewTextBlockObject(slackapi.PlainTextType, "Reply", false, false), nil, input),
		}},
	}
}

// handleCommand runs /ticket for the rep and answers in plain words,
// visible only to them.
func (a *App) handleCommand(ctx context.Context, sc slackapi.SlashCommand) map[string]any {
	answer := func(text string) map[string]any { return map[string]any{"response_type": "ephemeral", "text": text} }
	cmd, err := ParseCommand(sc.Text)
	if err != nil {
		return answer(Escape(err.Error())) // it may quote the rep's words
	}
	if cmd.Verb == VerbHelp {
		return answer(Help())
	}
	actor, ok := a.actor(sc.UserID)
	if !ok {
		return answer("Only reps on the roster can use /ticket.")
	}
	text, err := a.runCommand(ctx, actor, cmd)
	if err != nil {
		if isRefusal(err) {
			return answer(Escape(say(err)))
		}
		a.logger.Error("slack command failed", "verb", cmd.Verb, "err", err)
		return answer("Something went wrong on our side; nothing was changed. Try again in a moment.")
	}
	return answer(text)
}

func (a *App) runCommand(ctx context.Context, actor ownership.Actor, cmd Command) (string, error) {
	id := cmd.Ticket
	switch cmd.Verb {
	case VerbMine:
		p, err := a.desk.ListFor(ctx, actor, ownership.Filter{Owner: actor.ID, Statuses: []ownership.Status{ownership.StatusOpen, ownership.StatusPending}, Limit: 50})
		if err != nil {
			return "", err
		}
		if len(p.Tickets) == 0 {
			return "You own no open tickets.", nil
		}
		var b strings.Builder
		fmt.Fprintf(&b, "You own %d open ticket(s):", len(p.Tickets))
		for _, t := range p.Tickets {
			acked := ""
			if t.AckedAt == nil {
				acked = " · not acked"
			}
			fmt.Fprintf(&b, "\n• %s (%s, %s%s): %s", t.ID, t.Priority, t.Status, acked, Escape(t.Subject))
		}
		return b.String(), nil
	case VerbAck:
		_, err := a.desk.Ack(ctx, actor, id, nil)
		return "Acknowledged " + id + ".", err
	case VerbTake:
		t, err := a.desk.Take(ctx, actor, id, nil)
		return fmt.Sprintf("%s is yours now (it was %s's).", id, firstNonEmpty(t.Owner, "no one's")), err
	case VerbAccept:
		_, err := a.desk.AcceptTransfer(ctx, actor, id, nil)
		return id + " is yours now.", err
	case VerbResolve:
		_, err := a.desk.SetStatus(ctx, actor, id, ownership.StatusResolved, "resolved from Slack", nil)
		return id + " resolved.", err
	case VerbNote:
		_, err := a.desk.Note(ctx, actor, id, cmd.Text, "", nil)
		return "Note added to " + id + ".", err
	case VerbTime:
		_, err := a.desk.LogTime(ctx, actor, id, cmd.Minutes, cmd.Text)
		return fmt.Sprintf("Logged %d minutes on %s.", cmd.Minutes, id), err
	case VerbAssign:
		to, ok := a.repBySlackOrName(cmd.User, cmd.Name)
		if !ok {
			return "", fmt.Errorf("%w: that person is not a rep on the roster", ownership.ErrInvalid)
		}
		if actor.IsManager() {
			_, err := a.desk.Assign(ctx, actor, id, to.ID, "assigned from Slack", nil)
			return fmt.Sprintf("%s assigned to %s.", id, to.Name), err
		}
		_, err := a.desk.Transfer(ctx, actor, id, to.ID, "handoff from Slack", nil)
		return fmt.Sprintf("Offered %s to %s; it stays yours until they accept (/ticket accept %s).", id, to.Name, id), err
	case VerbAway, VerbBack:
		av := routing.Available
		if cmd.Verb == VerbAway {
			av = routing.Away
		}
		_, err := a.desk.SetAvailability(ctx, actor, actor.ID, av)
		if cmd.Verb == VerbAway {
			return "You are away: new tickets go to others, and your open tickets are handed on.", err
		}
		return "Welcome back: you are available for new tickets.", err
	}
	return Help(), nil
}
