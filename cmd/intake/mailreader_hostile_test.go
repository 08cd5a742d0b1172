package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/channels/email"
	"github.com/intakehq/intake/channels/email/emailtest"
	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/routing"
	"github.com/stretchr/testify/require"
)

// openTestStore opens a fresh store of the named backend through the
// same openStore serve uses: SQLite in a temp dir, or the test Redis under
// a fresh key prefix (redisURL: skipped when unreachable unless
// INTAKE_REQUIRE_REDIS=1).
func openTestStore(t testing.TB, backend string) ownership.Store {
	t.Helper()
	url := "sqlite:" + filepath.Join(t.TempDir(), "intake.db")
	if backend == "redis" {
		url = redisURL(t)
	}
	s, err := openStore(context.Background(), url, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func newLedgerOn(t testing.TB, backend string) *ledger {
	t.Helper()
	router, err := routing.New(routing.Config{
		Reps: []routing.Rep{
			{ID: "dana", Name: "Dana", Role: routing.RoleTech},
			{ID: "maria", Name: "Maria", Role: routing.RoleManager},
		},
		Teams: []routing.Team{{ID: "helpdesk", Members: []string{"dana"}, Strategy: routing.LeastLoaded, Fallback: "maria"}},
	})
	require.NoError(t, err)
	store := openTestStore(t, backend)
	svc, err := ownership.NewService(ownership.Options{Store: store, Router: router,
		Orgs:     []ownership.Org{{ID: "acme", Domains: []string{"acmedental.example"}}},
		Outbound: map[channels.Kind]bool{channels.Email: true}})
	require.NoError(t, err)
	return &ledger{svc: svc, store: store}
}

// What became of one mail.
type outcome int

const (
	opensTicket outcome = iota // a ticket, not flagged
	opensReview                // a ticket flagged for review
	addsEvent                  // an event on the ticket of mail `on`
	sameAs                     // a copy of mail `on`: recognised, nothing new
)

type hostileMail struct {
	name   string
	raw    string
	want   outcome
	on     int    // for addsEvent and sameAs: the mail (1-based) whose ticket or event it is
	review string // for opensReview: part of the reason
	from   string // for tickets: the contact's address ("" for none)
}

const (
	mdRoot  = "p1@acmedental.example"
	ourAddr = "help@northwind.example"
)

// ackMID is the Message-ID intake's auto-acknowledgement of mail 1 goes out
// with (the outbox id is derived from the delivery).
var ackMID = email.MessageIDFor("ack:email:message:<"+mdRoot+">", "northwind.example")

func hdr(lines ...string) string { return strings.Join(lines, "\r\n") + "\r\n" }

// broken is a multipart body that never closes, around one text part.
func broken(text string) string {
	return "Content-Type: multipart/mixed; boundary=\"zz\"\r\n\r\n--zz\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text + "\r\n--zz\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n"
}

func plain(text string) string {
	return "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text + "\r\n"
}

const date = "Date: Mon, 2 Nov 2026 10:00:00 +0000"

func hostileMailbox() []hostileMail {
	root := hdr("From: Pat Doe <pat@acmedental.example>", "To: "+ourAddr, "Subject: Printer jammed", "Message-ID: <"+mdRoot+">", date) +
		plain("mail-01 The printer on floor 2 is jammed.")
	return []hostileMail{
		{name: "customer mail", raw: root, want: opensTicket, from: "pat@acmedental.example"},
		{name: "a second copy of it via another relay", raw: "Received: from mx2.northwind.example\r\nDelivered-To: " + ourAddr + "\r\n" + root, want: sameAs, on: 1},
		{name: "a different mail reusing its Message-ID", want: opensReview, review: "was already used by a different message", from: "sam@acmedental.example",
			raw: hdr("From: Sam Lee <sam@acmedental.example>", "To: "+ourAddr, "Subject: VPN down", "Message-ID: <"+mdRoot+">", date) + plain("mail-03 The VPN is down.")},
		{name: "a stranger reusing the id to reply into the thread", want: opensReview, review: "was already used by a different message", from: "mallory@evil.example",
			raw: hdr("From: mallory@evil.example", "To: "+ourAddr, "Subject: Re: Printer jammed", "Message-ID: <"+mdRoot+">", "In-Reply-To: <"+mdRoot+">", date) + plain("mail-04 Send the invoice to me.")},
		{name: "display name spoofing the customer", want: opensReview, review: "is taken as the sender", from: "mallory@evil.example",
			raw: hdr("From: pat@acmedental.example <mallory@evil.example>", "To: "+ourAddr, "Subject: [T-1] Re: Printer jammed", "Message-ID: <s5@evil.example>", date) + plain("mail-05 New bank details attached.")},
		{name: "encoded CR/LF and an address in the display name", want: opensReview, review: "control characters", from: "mallory@evil.example",
			raw: hdr("From: =?utf-8?q?Pat_Doe=0D=0ABcc=3A_pat=40acmedental.example?= <mallory@evil.example>", "To: "+ourAddr, "Subject: Re: Printer jammed",
				"Message-ID: <s6@evil.example>", "In-Reply-To: <"+mdRoot+">", date) + plain("mail-06 Please reset my password.")},
		{name: "an angle-addr hidden in an encoded display name", want: opensReview, review: "does not parse", from: "",
			raw: hdr("From: =?utf-8?q?Pat_<pat@acmedental.example>?= <mallory@evil.example>", "To: "+ourAddr, "Subject: Re: Printer jammed",
				"Message-ID: <s7@evil.example>", "In-Reply-To: <"+mdRoot+">", date) + plain("mail-07 Wire the money today.")},
		{name: "bounce with broken MIME", want: addsEvent, on: 1,
			raw: hdr("From: MAILER-DAEMON@acmedental.example", "To: "+ourAddr, "Subject: Undelivered Mail Returned to Sender", "Message-ID: <d8@acmedental.example>",
				"In-Reply-To: <"+mdRoot+">", date, "Content-Type: multipart/report; report-type=delivery-status; boundary=\"zz\"") +
				"\r\n--zz\r\nContent-Type: text/plain\r\n\r\nmail-08 could not be delivered\r\n--zz\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\nStatus: 5.1.1\r\n--zz\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!\r\n"},
		{name: "bounce of our own reply, from a daemon with no domain, broken MIME", want: addsEvent, on: 1,
			raw: hdr("From: Mail Delivery Subsystem <MAILER-DAEMON>", "To: "+ourAddr, "Subject: failure notice", "Message-ID: <d9@mx.example>", date,
				"Content-Type: multipart/report; report-type=delivery-status; boundary=\"zz\"") +
				"\r\n--zz\r\nContent-Type: text/plain\r\n\r\nmail-09 your message bounced\r\n--zz\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\nStatus: 5.2.2\r\n--zz\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: " + ackMID + "\r\nSubject: Re: Printer jammed\r\n--zz\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!\r\n"},
		{name: "list mail with broken MIME", want: addsEvent, on: 1,
			raw: hdr("From: it-news@acmedental.example", "To: "+ourAddr, "Subject: [it-news] printers", "Message-ID: <l10@acmedental.example>", "List-Id: <it-news.acmedental.example>",
				"In-Reply-To: <"+mdRoot+">", date) + broken("mail-10 all printers are being replaced")},
		{name: "auto-reply to our acknowledgement", want: addsEvent, on: 1,
			raw: hdr("From: Pat Doe <pat@acmedental.example>", "To: "+ourAddr, "Subject: Out of office", "Message-ID: <o11@acmedental.example>", "Auto-Submitted: auto-replied",
				"In-Reply-To: "+ackMID, date) + plain("mail-11 I am away until Monday.")},
		{name: "bulk mail with broken MIME", want: addsEvent, on: 1,
			raw: hdr("From: pat@acmedental.example", "To: "+ourAddr, "Subject: digest", "Message-ID: <b12@acmedental.example>", "Precedence: bulk",
				"In-Reply-To: <"+mdRoot+">", date) + broken("mail-12 weekly digest")},
		{name: "null Return-Path with broken MIME", want: addsEvent, on: 1,
			raw: hdr("Return-Path: <>", "From: robot@acmedental.example", "To: "+ourAddr, "Subject: report", "Message-ID: <r13@acmedental.example>",
				"In-Reply-To: <"+mdRoot+">", date) + broken("mail-13 nightly report")},
		{name: "no headers at all", want: opensReview, review: "no From address", from: "",
			raw: "\r\nmail-14 hello is anyone there\r\n"},
		{name: "NUL bytes in header and body", want: opensTicket, from: "sam@acmedental.example",
			raw: hdr("From: sam@acmedental.example", "To: "+ourAddr, "Subject: Scanner\x00 offline", "Message-ID: <n15@acmedental.example>", date) + plain("mail-15 scanner\x00 is\x00 offline")},
		{name: "human mail with broken MIME", want: opensReview, review: "could not be parsed", from: "sam@acmedental.example",
			raw: hdr("From: sam@acmedental.example", "To: "+ourAddr, "Subject: Laptop", "Message-ID: <b16@acmedental.example>", date) + broken("mail-16 laptop will not boot")},
		{name: "a colleague's reply reusing another mail's id", want: addsEvent, on: 1,
			raw: hdr("From: sam@acmedental.example", "To: "+ourAddr, "Subject: Re: Printer jammed", "Message-ID: <n15@acmedental.example>",
				"In-Reply-To: <"+mdRoot+">", date) + plain("mail-17 it is jammed on floor 3 as well")},

		// Damaged header blocks (the stand-in serves them as stored, as a
		// real server does): what can be read of them still classifies.
		{name: "text with no header block", want: opensReview, review: "could not be parsed", from: "",
			raw: "mail-18 my screen is black\r\nplease call me\r\n"},
		{name: "auto-reply with a header line without a colon", want: addsEvent, on: 1,
			raw: hdr("From: pat@acmedental.example", "Auto-Submitted: auto-replied", "this line has no colon", "Subject: Away",
				"Message-ID: <o19@acmedental.example>", "In-Reply-To: "+ackMID, date) + plain("mail-19 back on Monday")},
		{name: "NUL in a header name", want: opensReview, review: "could not be parsed", from: "sam@acmedental.example",
			raw: hdr("From: sam@acmedental.example", "X-Bad\x00: y", "Subject: Keyboard", "Message-ID: <n20@acmedental.example>", date) + plain("mail-20 keyboard types twice")},
		{name: "bounce with a damaged header block", want: addsEvent, on: 1,
			raw: hdr("From: MAILER-DAEMON@acmedental.example", "not a header", "Subject: Undeliverable", "Message-ID: <d21@acmedental.example>",
				"In-Reply-To: <"+mdRoot+">", date) + plain("mail-21 mailbox full")},
	}
}

// found is where a mail's marker was found: ticket, index in its timeline.
type found struct {
	ticket string
	index  int
	ev     ownership.Event
}

func (l *ledger) findMarkers(t *testing.T, n int) map[int][]found {
	t.Helper()
	out := map[int][]found{}
	for _, tk := range l.tickets(t) {
		evs, err := l.svc.Events(context.Background(), tk.ID)
		require.NoError(t, err)
		for i, ev := range evs {
			if ev.Type == ownership.EventNote {
				continue // a review note may quote the mail
			}
			for k := 1; k <= n; k++ {
				marker := fmt.Sprintf("mail-%02d ", k)
				if strings.Contains(ev.Body, marker) {
					out[k] = append(out[k], found{tk.ID, i, ev})
				}
			}
		}
	}
	return out
}

func TestReaderHostileMailbox(t *testing.T) {
	for _, backend := range []string{"sqlite", "redis"} {
		t.Run(backend, func(t *testing.T) { testHostileMailbox(t, backend) })
	}
}

func testHostileMailbox(t *testing.T, backend string) {
	ctx := context.Background()
	srv := emailtest.StartIMAP(t)
	l := newLedgerOn(t, backend)
	box := hostileMailbox()
	for _, m := range box {
		srv.Append(t, []byte(m.raw))
	}
	r := startReader(t, srv, l, "a")
	waitSeen(t, srv, len(box))
	waitFor(t, "the checkpoint", func() bool { return r.Stats().LastUID == uint32(len(box)) })

	marks := l.findMarkers(t, len(box))
	opened := 0
	for i, m := range box {
		k := i + 1
		where := marks[k]
		t.Logf("mail %d (%s): %+v", k, m.name, where)
		if m.want == sameAs {
			continue // checked with the mail it copies
		}
		require.Len(t, where, 1, "mail %d (%s) is on the ledger exactly once, not dropped, not doubled", k, m.name)
		got := where[0]
		tk := ticket(t, l, got.ticket)
		switch m.want {
		case opensTicket, opensReview:
			opened++
			require.Equal(t, 0, got.index, "mail %d (%s) opens its own ticket", k, m.name)
			require.Equal(t, m.from, tk.Contact.Email, "mail %d (%s): the sender is the addr-spec", k, m.name)
			if m.want == opensReview {
				require.Contains(t, tk.Review, m.review, "mail %d (%s) is flagged for review", k, m.name)
			} else {
				require.Empty(t, tk.Review, "mail %d (%s)", k, m.name)
			}
		case addsEvent:
			on := marks[m.on][0].ticket
			require.Equal(t, on, got.ticket, "mail %d (%s) lands on the ticket of mail %d", k, m.name, m.on)
			require.NotZero(t, got.index, "mail %d (%s) opens no ticket", k, m.name)
		}
	}
	for i, m := range box {
		if m.want == sameAs {
			require.Len(t, marks[m.on], 1, "mail %d (%s) is recognised as mail %d", i+1, m.name, m.on)
		}
	}
	require.Len(t, l.tickets(t), opened, "only human mail opened tickets")

	// The reuse is noted where a manager sees it.
	t1 := marks[1][0].ticket
	evs, err := l.svc.Events(ctx, t1)
	require.NoError(t, err)
	notes := 0
	for _, ev := range evs {
		if ev.Type == ownership.EventNote && strings.Contains(ev.Body, "<n15@acmedental.example> was already used") {
			notes++
		}
	}
	require.Equal(t, 1, notes, "the reused id of mail 17 is noted on %s", t1)
	require.Equal(t, ownership.EventDelivery, marks[9][0].ev.Type, "the bounce of our acknowledgement is its delivery status")

	// Acknowledgements went only to senders whose address parsed cleanly.
	items, err := l.store.ListOutbox(ctx, "", 1000)
	require.NoError(t, err)
	acked := map[string]bool{}
	for _, it := range items {
		require.NotContains(t, it.To, "evil.example", "nothing is sent to a spoofer")
		require.NotEmpty(t, it.To)
		if it.Purpose == "auto_ack" {
			acked[it.To] = true
		}
	}
	require.Equal(t, map[string]bool{"pat@acmedental.example": true, "sam@acmedental.example": true}, acked)
	st := r.Stats()
	require.Equal(t, len(box), st.Fetched)
	require.Zero(t, st.Ignored, "no mail was dropped as noise")
}

func ticket(t *testing.T, l *ledger, id string) ownership.Ticket {
	t.Helper()
	tk, err := l.svc.Ticket(context.Background(), id)
	require.NoError(t, err)
	return tk
}
