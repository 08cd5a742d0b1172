package slack_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/channels/slack"
	"github.com/intakehq/intake/channels/slack/slacktest"
	"github.com/intakehq/intake/ownership"
	"github.com/stretchr/testify/require"
)

func ticket(id, owner string) ownership.Ticket {
	return ownership.Ticket{ID: id, Owner: owner, Status: ownership.StatusOpen, Subject: "Printer on fire", Priority: "normal"}
}

// A message in a ticket's thread becomes a reply or a note by the reply
// mode, once per Slack message (the key is the message's channel and ts),
// and the bot marks which with a reaction queued through the desk.
func TestThreadMessagesFollowTheReplyMode(t *testing.T) {
	refused := fmt.Errorf("%w: T-1 is closed", ownership.ErrState)
	for _, tc := range []struct {
		name      string
		mode      string
		user      string
		text      string
		replyErr  error
		wantReply string // the reply's text; "" when none is sent
		wantNote  string // the note's text; "" when none
		noteActor string
		noteMeta  string // the note's meta key
		reaction  string
		mirror    bool // the reason is put in the thread
	}{
		{name: "explicit: plain text is a note", mode: slack.ReplyExplicit, user: uDana, text: "checking the toner",
			wantNote: "checking the toner", noteActor: "dana", noteMeta: "slack_user", reaction: "memo"},
		{name: "explicit: the prefix replies", mode: slack.ReplyExplicit, user: uDana, text: "!REPLY  on my way",
			wantReply: "on my way", reaction: "outbox_tray"},
		{name: "explicit: a non-rep's prefix is a note", mode: slack.ReplyExplicit, user: "U0GUEST", text: "!reply hi",
			wantNote: "!reply hi", noteActor: "slack:U0GUEST", noteMeta: "slack_user", reaction: "memo"},
		{name: "thread: every rep message replies", mode: slack.ReplyThread, user: uDana, text: "on my way",
			wantReply: "on my way", reaction: "outbox_tray"},
		{name: "thread: the note prefix keeps it internal", mode: slack.ReplyThread, user: uDana, text: "!note toner low",
			wantNote: "toner low", noteActor: "dana", noteMeta: "slack_user", reaction: "memo"},
		{name: "thread: a non-rep is never sent", mode: slack.ReplyThread, user: "U0GUEST", text: "hello",
			wantNote: "hello", noteActor: "slack:U0GUEST", noteMeta: "slack_user", reaction: "memo"},
		{name: "a refused reply is kept and marked", mode: slack.ReplyExplicit, user: uDana, text: "!reply on my way", replyErr: refused,
			wantReply: "on my way", wantNote: "!reply on my way", noteActor: "dana", noteMeta: "not_sent", reaction: "warning", mirror: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, func(c *slack.Config) { c.ReplyMode = tc.mode })
			r.desk.tickets["T-1"] = ticket("T-1", "dana")
			r.desk.fail["Reply"] = tc.replyErr
			r.posted(t, "T-1", "1.0")
			for i := 0; i < 2; i++ { // a redelivery carries the same keys
				code, body := r.event(t, "Ev1", slacktest.MessageEvent(triage, tc.user, tc.text, "1.5", "1.0"))
				require.Equal(t, http.StatusOK, code, body)
			}
			key := "slack:" + triage + ":1.5"
			if tc.wantReply != "" {
				rs := r.desk.called("Reply")
				require.Len(t, rs, 2)
				require.Equal(t, call{Method: "Reply", Actor: "dana", Ticket: "T-1", Body: tc.wantReply, Key: key}, rs[0])
			} else {
				require.Empty(t, r.desk.called("Reply"))
			}
			if tc.wantNote != "" {
				ns := r.desk.called("Note")
				require.Len(t, ns, 2)
				require.Equal(t, tc.wantNote, ns[0].Body)
				require.Equal(t, tc.noteActor, ns[0].Actor)
				require.Equal(t, key, ns[0].Key, "a note from a message is once per message")
				require.Contains(t, ns[0].Meta, tc.noteMeta)
			} else {
				require.Empty(t, r.desk.called("Note"))
			}
			var reacts, mirrors []call
			for _, q := range r.desk.called("Queue") {
				switch q.Out.Purpose {
				case ownership.PurposeReact:
					reacts = append(reacts, q)
				case ownership.PurposeMirror:
					mirrors = append(mirrors, q)
				}
			}
			require.Len(t, reacts, 2)
			require.Equal(t, call{Method: "Queue", Ticket: "T-1", Key: key, Out: channels.Outbound{Kind: channels.Slack, To: triage,
				Purpose: ownership.PurposeReact, Headers: map[string]string{"ts": "1.5", "name": tc.reaction}}}, reacts[0])
			if tc.mirror {
				require.Len(t, mirrors, 2)
				require.Equal(t, "notsent:"+key, mirrors[0].Key)
				require.Equal(t, "Not sent to the customer: "+refused.Error(), mirrors[0].Out.Body)
			} else {
				require.Empty(t, mirrors)
			}
		})
	}
}

// Events are routed by where they are: a ticket's thread, a customer's
// DM or shared channel, or nowhere (the triage channel outside a thread,
// a rep's DM, bots, edits); a ledger failure is a 500 Slack retries.
func TestEventsRouting(t *testing.T) {
	for _, tc := range []struct {
		name  string
		ev    map[string]any
		tweak func(map[string]any)
		want  []string // desk writes
		code  int
	}{
		{name: "thread of a ticket", ev: slacktest.MessageEvent(triage, uLee, "looking", "2.1", "1.0"), want: []string{"Note", "Queue"}},
		{name: "thread of no ticket", ev: slacktest.MessageEvent(triage, uLee, "chat", "2.1", "9.9")},
		{name: "triage channel, top level", ev: slacktest.MessageEvent(triage, uLee, "coffee?", "2.1", "")},
		{name: "customer DM", ev: slacktest.MessageEvent("D0CUST", "U0CUST", "my printer", "2.1", ""), want: []string{"Accept"}},
		{name: "shared customer channel", ev: slacktest.MessageEvent("C0SHARED", "U0CUST", "my printer", "2.1", ""), want: []string{"Accept"}},
		{name: "other channel", ev: slacktest.MessageEvent("C0OTHER", "U0CUST", "my printer", "2.1", "")},
		{name: "a rep's DM to the app", ev: slacktest.MessageEvent("D0DANA", uDana, "hi", "2.1", "")},
		{name: "a bot", ev: slacktest.MessageEvent("D0CUST", "U0CUST", "beep", "2.1", ""), tweak: func(e map[string]any) { e["bot_id"] = "B1" }},
		{name: "our own bot user", ev: slacktest.MessageEvent("D0CUST", slacktest.BotUserID, "hi", "2.1", "")},
		{name: "an edit", ev: slacktest.MessageEvent("D0CUST", "U0CUST", "edited", "2.1", ""), tweak: func(e map[string]any) { e["subtype"] = "message_changed" }},
		{name: "not a message", ev: slacktest.MessageEvent("D0CUST", "U0CUST", "x", "2.1", ""), tweak: func(e map[string]any) { e["type"] = "reaction_added" }},
		{name: "the ledger fails", ev: slacktest.MessageEvent("D0CUST", "U0CUST", "my printer", "2.1", ""), want: []string{"Accept"}, code: http.StatusInternalServerError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, func(c *slack.Config) { c.CustomerChannels = []string{"C0SHARED"} })
			r.desk.tickets["T-1"] = ticket("T-1", "dana")
			r.posted(t, "T-1", "1.0")
			if tc.code == http.StatusInternalServerError {
				r.desk.fail["Accept"] = errors.New("database is locked")
			}
			require.NoError(t, r.app.Start(t.Context()))
			if tc.tweak != nil {
				tc.tweak(tc.ev)
			}
			code, _ := r.event(t, "Ev2", tc.ev)
			require.Equal(t, max(tc.code, http.StatusOK), code)
			require.Equal(t, tc.want, r.desk.writes())
		})
	}

	r := newRig(t, func(c *slack.Config) { c.CustomerChannels = []string{"C0SHARED"} })
	r.slack.AddUser("U0CUST", "Pat Customer", "Pat@Acme.example")
	_, _ = r.event(t, "Ev3", slacktest.MessageEvent("C0SHARED", "U0CUST", "a &lt;b&gt; &amp; c", "3.1", "3.0"))
	acc := r.desk.called("Accept")
	require.Len(t, acc, 1)
	m := acc[0].Msg
	require.Equal(t, channels.Slack, m.Kind)
	require.Equal(t, "C0SHARED:3.1", m.ExternalID, "the dedup key of a Slack message")
	require.Equal(t, "a <b> & c", m.Text)
	require.Equal(t, channels.Contact{SlackUser: "U0CUST", Name: "Pat Customer", Email: "pat@acme.example"}, m.From)
	require.Equal(t, "3.0", m.Meta[channels.MetaSlackThread], "answers go to the customer's thread")
}
