package slack_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/intakehq/intake/channels/slack"
	"github.com/intakehq/intake/channels/slack/slacktest"
	"github.com/intakehq/intake/ownership"
	"github.com/stretchr/testify/require"
)

// ephemerals returns the texts told privately to reps.
func ephemerals(r *rig) []string {
	var out []string
	for _, c := range r.slack.Ephemerals() {
		out = append(out, c.Params.Get("text"))
	}
	return out
}

// A button acts for the rep who pressed it. Take carries the owner the
// card showed: on a stale card (the ticket changed hands meanwhile) the
// rep is told who has it and nothing is taken. Refusals are told to the
// rep; anything else is a 500 so Slack shows a failure.
func TestButtons(t *testing.T) {
	for _, tc := range []struct {
		name   string
		user   string
		action string
		value  string
		fail   map[string]error
		writes []string
		told   string // the ephemeral answer, "" when none
		code   int
	}{
		{name: "ack", user: uDana, action: slack.ActionAck, value: "T-1|dana", writes: []string{"Ack"}},
		{name: "take while the card is current", user: uLee, action: slack.ActionTake, value: "T-1|dana", writes: []string{"Take"}},
		{name: "take from a stale card", user: uLee, action: slack.ActionTake, value: "T-1|maria",
			told: "T-1 changed meanwhile (now open, owned by dana); nothing was done."},
		{name: "resolve", user: uDana, action: slack.ActionResolve, value: "T-1|dana", writes: []string{"SetStatus"}},
		{name: "reopen", user: uDana, action: slack.ActionReopen, value: "T-1|dana", writes: []string{"SetStatus"}},
		{name: "not a rep", user: "U0GUEST", action: slack.ActionAck, value: "T-1|dana", told: "Only reps on the roster can act on tickets."},
		{name: "unknown ticket", user: uDana, action: slack.ActionAck, value: "T-404|dana", writes: []string{"Ack"}, told: "No such ticket."},
		{name: "refused", user: uLee, action: slack.ActionAck, value: "T-1|dana", fail: map[string]error{"Ack": fmt.Errorf("%w: only the owner acks", ownership.ErrForbidden)},
			writes: []string{"Ack"}, told: "forbidden: only the owner acks"},
		{name: "the ledger fails", user: uDana, action: slack.ActionAck, value: "T-1|dana", fail: map[string]error{"Ack": errors.New("disk full")},
			writes: []string{"Ack"}, code: http.StatusInternalServerError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			r.desk.tickets["T-1"] = ticket("T-1", "dana")
			for m, err := range tc.fail {
				r.desk.fail[m] = err
			}
			code, body := r.interact(t, slacktest.BlockAction(tc.user, triage, "1.0", tc.action, tc.value, "trig"))
			require.Equal(t, max(tc.code, http.StatusOK), code, body)
			require.Equal(t, tc.writes, r.desk.writes())
			if tc.told == "" {
				require.Empty(t, ephemerals(r))
			} else {
				require.Equal(t, []string{tc.told}, ephemerals(r))
			}
		})
	}
}

// "Send to customer" on a thread message replies with its text (the reply
// prefix dropped) once per message; outside a ticket's thread, or from a
// non-rep, it only explains. The Reply modal replies once per view.
func TestSendToCustomerAndReplyModal(t *testing.T) {
	r := newRig(t)
	r.desk.tickets["T-1"] = ticket("T-1", "dana")
	r.posted(t, "T-1", "1.0")

	send := func(user, ts, thread, text string) {
		code, body := r.interact(t, slacktest.MessageShortcut(slack.SendToCustomerID, user, triage, ts, thread, text, "trig"))
		require.Equal(t, http.StatusOK, code, body)
	}
	send(uDana, "1.2", "1.0", "!reply Fixed &amp; tested")
	require.Equal(t, []call{{Method: "Reply", Actor: "dana", Ticket: "T-1", Body: "Fixed & tested", Key: "slack:" + triage + ":1.2"}}, r.desk.called("Reply"))
	q := r.desk.called("Queue")
	require.Len(t, q, 1)
	require.Equal(t, "outbox_tray", q[0].Out.Headers["name"])

	send(uDana, "1.3", "", "top level")
	send(uDana, "1.4", "7.7", "other thread")
	send("U0GUEST", "1.5", "1.0", "not a rep")
	require.Len(t, r.desk.called("Reply"), 1, "nothing else was sent")
	require.Equal(t, []string{"Send to customer works on messages in a ticket's thread.", "Send to customer works on messages in a ticket's thread.",
		"Only reps on the roster can answer customers."}, ephemerals(r))

	submit := func(user, text string) string {
		code, body := r.interact(t, slacktest.ViewSubmission(user, slack.ReplyModalID, "T-1", map[string]map[string]string{"reply": {"text": text}}))
		require.Equal(t, http.StatusOK, code)
		return body
	}
	require.Empty(t, submit(uDana, "On my way"))
	rs := r.desk.called("Reply")
	require.Len(t, rs, 2)
	require.Equal(t, "On my way", rs[1].Body)
	require.Regexp(t, `^slack:view:V`, rs[1].Key, "once per view, however often Slack submits it")
	require.Contains(t, submit(uDana, "   "), "Write something to send.")
	require.Contains(t, submit("U0GUEST", "hi"), "Only reps on the roster can answer customers.")
	r.desk.fail["Reply"] = fmt.Errorf("%w: T-1 is closed", ownership.ErrState)
	require.Contains(t, submit(uDana, "late"), "T-1 is closed", "a refusal is shown in the form")
}

// /ticket acts for the rep and answers privately; a refusal is told as
// such, a failure of ours without detail.
func TestTicketCommand(t *testing.T) {
	r := newRig(t)
	r.desk.tickets["T-1"] = ticket("T-1", "dana")
	r.desk.tickets["T-2"] = ticket("T-2", "lee")
	text := func(user, cmd string) string {
		code, body := r.command(t, user, cmd)
		require.Equal(t, http.StatusOK, code)
		require.Contains(t, body, `"response_type":"ephemeral"`)
		return body
	}
	require.Contains(t, text(uDana, "mine"), "You own 1 open ticket(s):")
	require.Contains(t, text(uDana, "mine"), "T-1 (normal, open · not acked): Printer on fire")
	require.Contains(t, text(uDana, "ack T-1"), "Acknowledged T-1.")
	require.Contains(t, text(uDana, "note T-1 toner low"), "Note added to T-1.")
	require.Equal(t, call{Method: "Note", Actor: "dana", Ticket: "T-1", Body: "toner low"}, r.desk.called("Note")[0], "a rep's note has no key")
	require.Contains(t, text(uDana, "assign T-1 @lee"), "Offered T-1 to Lee Chen")
	require.Contains(t, text(uMaria, "assign T-1 @lee"), "T-1 assigned to Lee Chen.")
	require.Contains(t, text(uDana, "assign T-1 @nobody"), "that person is not a rep on the roster")
	require.Contains(t, text(uDana, "away"), "You are away")
	require.Contains(t, text("U0GUEST", "mine"), "Only reps on the roster can use /ticket.")
	require.Equal(t, []string{"Ack", "Note", "Transfer", "Assign", "SetAvailability"}, r.desk.writes())

	r.desk.fail["Take"] = fmt.Errorf("%w: lee is at capacity", ownership.ErrOwnerFull)
	require.Contains(t, text(uDana, "take T-2"), "lee is at capacity")
	r.desk.fail["Take"] = errors.New("database is locked")
	body := text(uDana, "take T-2")
	require.Contains(t, body, "Something went wrong on our side; nothing was changed.")
	require.NotContains(t, body, "database is locked", "our failures are not shown")
}
