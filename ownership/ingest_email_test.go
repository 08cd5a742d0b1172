package ownership_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/ownershiptest"
	"github.com/stretchr/testify/require"
)

func emailFixture(t *testing.T) *ownershiptest.Fixture {
	return ownershiptest.NewWithOptions(t, func(o *ownership.Options) {
		o.Outbound = map[channels.Kind]bool{channels.Email: true}
	})
}

// mail is an inbound email as the email adapter hands it over.
func mail(mid, from, subject, text string) channels.Message {
	return channels.Message{Kind: channels.Email, ExternalID: "<" + mid + ">", From: channels.Contact{Email: from},
		To: "help@northwind.example", Subject: subject, Text: text,
		Meta: map[string]string{channels.MetaMessageID: "<" + mid + ">"}}
}

// replyTo makes m answer the inbound mail whose Message-ID is parent.
func replyTo(m channels.Message, parent string) channels.Message {
	m.References = []string{"email:message:<" + parent + ">"}
	m.Meta[channels.MetaReferences] = "<" + parent + ">"
	return m
}

func accept(t *testing.T, f *ownershiptest.Fixture, m channels.Message) channels.TicketRef {
	t.Helper()
	ref, err := f.Service.Accept(context.Background(), m)
	require.NoError(t, err)
	return ref
}

func events(t *testing.T, f *ownershiptest.Fixture, id string) []ownership.Event {
	t.Helper()
	evs, err := f.Service.Events(context.Background(), id)
	require.NoError(t, err)
	return evs
}

func ticket(t *testing.T, f *ownershiptest.Fixture, id string) ownership.Ticket {
	t.Helper()
	tk, err := f.Service.Ticket(context.Background(), id)
	require.NoError(t, err)
	return tk
}

func TestEmailThreading(t *testing.T) {
	f := emailFixture(t)
	first := accept(t, f, mail("a1@acme.test", "pat@acme.test", "Printer jammed", "The printer on floor 2 is jammed."))
	require.True(t, first.Created)

	// Email threads explicitly: a new subject from the same person is a
	// new issue, not a join onto their open ticket.
	other := accept(t, f, mail("a2@acme.test", "pat@acme.test", "VPN down", "Cannot reach the VPN."))
	require.True(t, other.Created)
	require.NotEqual(t, first.ID, other.ID)

	// A reply (In-Reply-To) joins, and moves the thread handles forward.
	r := accept(t, f, replyTo(mail("a3@acme.test", "pat@acme.test", "Re: Printer jammed", "Still jammed."), "a1@acme.test"))
	require.False(t, r.Created)
	require.Equal(t, first.ID, r.ID)
	tk := ticket(t, f, first.ID)
	require.Equal(t, "<a3@acme.test>", tk.Handles["message_id"])
	require.Equal(t, "<a1@acme.test> <a3@acme.test>", tk.Handles["references"])

	// A colleague from the same org may use the token.
	m := mail("b1@acme.test", "sam@acme.test", "["+first.ID+"] any news?", "Any news on this?")
	m.TicketHint = first.ID
	require.Equal(t, first.ID, accept(t, f, m).ID)

	// A token that names no ticket opens a new one.
	m = mail("b2@acme.test", "sam@acme.test", "[T-999] hello", "hello")
	m.TicketHint = "T-999"
	require.True(t, accept(t, f, m).Created)
	require.Len(t, events(t, f, first.ID), 4, "message, assigned, reply, colleague")
}

func TestEmailStrangerCannotInjectIntoTicket(t *testing.T) {
	f := emailFixture(t)
	victim := accept(t, f, mail("v1@acme.test", "pat@acme.test", "Payroll export", "Payroll export fails."))
	before := ticket(t, f, victim.ID)

	for _, tc := range []struct {
		name string
		m    channels.Message
	}{
		{"subject token", func() channels.Message {
			m := mail("x1@evil.test", "mallory@evil.test", "Re: ["+victim.ID+"] Payroll export", "Please wire the money to ...")
			m.TicketHint = victim.ID
			return m
		}()},
		{"references", replyTo(mail("x2@evil.test", "mallory@evil.test", "Re: Payroll export", "Click this link"), "v1@acme.test")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ref := accept(t, f, tc.m)
			require.True(t, ref.Created, "a stranger opens a ticket of their own")
			require.NotEqual(t, victim.ID, ref.ID)
			nt := ticket(t, f, ref.ID)
			require.Contains(t, nt.Review, "mallory@evil.test is neither that ticket's contact nor of its org")
			require.Equal(t, []string{victim.ID}, nt.Links)
			require.Equal(t, "mallory@evil.test", nt.Contact.Email)

			// The victim's ticket keeps its status and gets only a system
			// note naming the new ticket, never the stranger's text.
			after := ticket(t, f, victim.ID)
			require.Equal(t, before.Status, after.Status)
			require.Equal(t, before.Contact, after.Contact)
			for _, ev := range events(t, f, victim.ID) {
				require.NotContains(t, ev.Body, tc.m.Text)
			}
			last := events(t, f, victim.ID)
			require.Equal(t, ownership.EventNote, last[len(last)-1].Type)
			require.Contains(t, last[len(last)-1].Body, ref.ID)
		})
	}
	// Only the victim's own message is a message_in there.
	require.Equal(t, 1, count(events(t, f, victim.ID), func(ev ownership.Event) bool { return ev.Type == ownership.EventMessageIn }))
	// A ticket held for review is not answered: an auto-ack would tell the
	// stranger that the ticket they named exists. The customer got theirs.
	items, err := f.Store.ListOutbox(context.Background(), "", 100)
	require.NoError(t, err)
	acks := map[string]int{}
	for _, it := range items {
		if it.Purpose == ownership.PurposeAutoAck {
			acks[it.To]++
		}
	}
	require.Equal(t, map[string]int{"pat@acme.test": 1}, acks, "auto-acks by address")
}

func TestEmailReopensResolvedAndFollowsUpClosed(t *testing.T) {
	f := emailFixture(t)
	ctx := context.Background()
	a := accept(t, f, mail("r1@acme.test", "pat@acme.test", "Outlook crash", "Outlook crashes"))
	_, err := f.Service.SetStatus(ctx, ownershiptest.Maria, a.ID, ownership.StatusResolved, "fixed", nil)
	require.NoError(t, err)
	require.Equal(t, a.ID, accept(t, f, replyTo(mail("r2@acme.test", "pat@acme.test", "Re: Outlook crash", "It is back"), "r1@acme.test")).ID)
	require.Equal(t, ownership.StatusOpen, ticket(t, f, a.ID).Status)

	_, err = f.Service.SetStatus(ctx, ownershiptest.Maria, a.ID, ownership.StatusClosed, "done", nil)
	require.NoError(t, err)
	ref := accept(t, f, replyTo(mail("r3@acme.test", "pat@acme.test", "Re: Outlook crash", "Again!"), "r2@acme.test"))
	require.True(t, ref.Created)
	nt := ticket(t, f, ref.ID)
	require.Equal(t, []string{a.ID}, nt.Links)
	require.Empty(t, nt.Review)
	require.Equal(t, ownership.StatusClosed, ticket(t, f, a.ID).Status)
}

func TestEmailAutomatedNeverOpensNorAnswers(t *testing.T) {
	f := emailFixture(t)
	a := accept(t, f, mail("h1@acme.test", "pat@acme.test", "Scanner", "Scanner offline"))
	acks, notifies := queued(t, f, "auto_ack"), queued(t, f, "notify")
	require.Equal(t, 1, acks)
	_, err := f.Service.SetStatus(context.Background(), ownershiptest.Maria, a.ID, ownership.StatusPending, "waiting", nil)
	require.NoError(t, err)

	ooo := mail("o1@acme.test", "pat@acme.test", "Out of office", "I am away until Monday")
	ooo.Meta[channels.MetaAutomated] = "Auto-Submitted: auto-replied"
	ref := accept(t, f, ooo)
	require.Empty(t, ref.ID, "an unthreaded auto-reply opens nothing")

	ooo = replyTo(mail("o2@acme.test", "pat@acme.test", "Automatic reply: Scanner", "I am away until Monday"), "h1@acme.test")
	ooo.Meta[channels.MetaAutomated] = "X-Autoreply header"
	ref = accept(t, f, ooo)
	require.Equal(t, a.ID, ref.ID, "a threaded auto-reply is kept on its ticket")
	again := accept(t, f, ooo)
	require.Equal(t, a.ID, again.ID)
	tk := ticket(t, f, a.ID)
	require.Equal(t, ownership.StatusPending, tk.Status, "an auto-reply does not reopen")
	evs := events(t, f, a.ID)
	require.Equal(t, "X-Autoreply header", evs[len(evs)-1].Meta[channels.MetaAutomated])
	require.Equal(t, 1, count(evs, func(ev ownership.Event) bool { return ev.Meta[channels.MetaAutomated] != "" }), "recorded once")

	page, err := f.Service.List(context.Background(), ownership.Filter{})
	require.NoError(t, err)
	require.Len(t, page.Tickets, 1)
	require.Equal(t, acks, queued(t, f, "auto_ack"))
	require.Equal(t, notifies, queued(t, f, "notify"), "only the first mail notified the owner")
}

func count[T any](xs []T, f func(T) bool) int {
	n := 0
	for _, x := range xs {
		if f(x) {
			n++
		}
	}
	return n
}

func TestEmailAutoAckThreadsAndIsRateLimited(t *testing.T) {
	f := emailFixture(t)
	ref := accept(t, f, mail("k1@acme.test", "pat@acme.test", "Laptop", "Laptop broken"))
	var ack ownership.OutboxItem
	for _, it := range outbox(t, f) {
		if it.Purpose == "auto_ack" {
			ack = it
		}
	}
	require.Equal(t, "email", ack.Channel)
	require.Equal(t, "pat@acme.test", ack.To)
	require.Equal(t, ref.ID, ack.TicketID)
	require.Equal(t, "Re: Laptop", ack.Subject)
	require.Equal(t, map[string]string{"In-Reply-To": "<k1@acme.test>", "References": "<k1@acme.test>"}, ack.Headers)
	require.Contains(t, ack.Body, ref.ID)

	for i := 2; i <= 5; i++ {
		accept(t, f, mail("k"+string(rune('0'+i))+"@acme.test", "pat@acme.test", "Issue "+string(rune('0'+i)), "text"))
	}
	require.Equal(t, 3, queued(t, f, "auto_ack"), "at most 3 auto-acks per sender per hour")
	f.Clock.Add(61 * time.Minute)
	accept(t, f, mail("k6@acme.test", "pat@acme.test", "Issue 6", "text"))
	require.Equal(t, 4, queued(t, f, "auto_ack"), "the window moves on")

	m := mail("q1@other.test", "lee@other.test", "Help", "text")
	m.Meta[channels.MetaNoAutoReply] = "X-Auto-Response-Suppress: All"
	require.True(t, accept(t, f, m).Created)
	require.Equal(t, 4, queued(t, f, "auto_ack"), "the sender asked for no auto-reply")

	bad := mail("u1@acme.test", "pat2@acme.test", "Unreadable email", "raw bytes")
	bad.Meta[channels.MetaReview] = "could not parse: broken multipart"
	ref = accept(t, f, bad)
	require.True(t, ref.Created)
	require.Equal(t, "could not parse: broken multipart", ticket(t, f, ref.ID).Review)
	require.Equal(t, 4, queued(t, f, "auto_ack"), "mail we could not read gets no auto-reply")
}

func TestEmailReplyCarriesThreadAndBounceMarksItFailed(t *testing.T) {
	f := emailFixture(t)
	ctx := context.Background()
	ref := accept(t, f, mail("p1@acme.test", "pat@acme.test", "Wifi slow", "Wifi is slow"))
	accept(t, f, replyTo(mail("p2@acme.test", "pat@acme.test", "Re: Wifi slow", "Still slow"), "p1@acme.test"))
	_, err := f.Service.Reply(ctx, ownershiptest.Dana, ref.ID, "Rebooting the AP now.\n"+strings.Repeat("Long detail. ", 200), "k1")
	require.NoError(t, err, "email replies are not limited to SMS length")
	it, err := f.Store.OutboxItem(ctx, "reply:"+ref.ID+":k1")
	require.NoError(t, err)
	require.Equal(t, "email", it.Channel)
	require.Equal(t, "pat@acme.test", it.To)
	require.Equal(t, "Wifi slow", it.Subject)
	require.Equal(t, map[string]string{"In-Reply-To": "<p2@acme.test>", "References": "<p1@acme.test> <p2@acme.test>"}, it.Headers)

	// The customer answers our reply: In-Reply-To names our message.
	ans := mail("p3@acme.test", "pat@acme.test", "Re: Wifi slow", "Better now")
	ans.References = []string{channels.OutboxRef(it.ID)}
	require.Equal(t, ref.ID, accept(t, f, ans).ID)

	// Our message bounces: the bounce lands on the ticket and dead-letters it.
	claimed, err := f.Store.ClaimOutbox(ctx, f.Clock.Now().Add(time.Hour), time.Hour, 10)
	require.NoError(t, err)
	for _, c := range claimed {
		require.NoError(t, f.Store.FinishOutbox(ctx, c.ID, c.Attempts, ownership.OutboxResult{State: ownership.OutboxSent, At: f.Clock.Now()}))
	}
	bounce := channels.Message{Kind: channels.Email, Event: channels.EventStatus, ExternalID: "<dsn1@mx.acme.test>",
		From: channels.Contact{Email: "mailer-daemon@mx.acme.test"}, Text: "550 5.1.1 mailbox unknown",
		Meta: map[string]string{channels.MetaOutbox: it.ID, "status": "failed", "error_code": "5.1.1"}}
	require.Equal(t, ref.ID, accept(t, f, bounce).ID)
	accept(t, f, bounce)
	it, err = f.Store.OutboxItem(ctx, it.ID)
	require.NoError(t, err)
	require.Equal(t, ownership.OutboxDead, it.State)
	evs := events(t, f, ref.ID)
	require.Equal(t, 1, count(evs, func(ev ownership.Event) bool {
		return ev.Type == ownership.EventDelivery && ev.Meta["status"] == "failed" && ev.Body == "550 5.1.1 mailbox unknown"
	}))
}
