package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/channels/email/emailtest"
	"github.com/intakehq/intake/channels/email/smtptest"
	"github.com/intakehq/intake/ownership"
	"github.com/stretchr/testify/require"
)

// emailEnv is a running intake reading a local IMAP server and sending
// through a local SMTP server.
type emailEnv struct {
	srv  *server
	imap *emailtest.IMAPServer
	smtp *smtptest.Server
	api  *apiClient
}

// emailConfig is the config of an intake on imapAddr and smtpAddr, both
// in clear text on loopback.
func emailConfig(imapAddr, smtpAddr string) string {
	return fmt.Sprintf(`listen: 127.0.0.1:0
reps:
  - {id: maria, name: Maria Santos, role: manager, email: maria@northwind.example}
  - {id: dana, name: Dana Whitfield, email: dana@northwind.example, capacity: 1000}
  - {id: lee, name: Lee Chen, email: lee@northwind.example, capacity: 1000}
teams:
  - {id: helpdesk, members: [dana, lee], fallback: maria}
orgs:
  - {id: acme, name: Acme Dental, domains: [acmedental.example], plan: managed}
  - {id: harbor, name: Harbor Law, domains: [harborlaw.example], plan: break_fix}
channels:
  email:
    imap: {addr: "%s", tls: none, username: %s, password: %s}
    smtp: {addr: "%s", tls: none, from: "Northwind IT <help@northwind.example>"}
`, imapAddr, emailtest.Username, emailtest.Password, smtpAddr)
}

func newEmailEnv(t *testing.T, store string) *emailEnv {
	im := emailtest.StartIMAP(t)
	sm := smtptest.Start(t)
	path := filepath.Join(t.TempDir(), "intake.yaml")
	require.NoError(t, writeFile(path, emailConfig(im.Addr(), sm.Addr())))
	srv := startServer(t, serveFlags{config: path, store: store})
	return &emailEnv{srv: srv, imap: im, smtp: sm, api: newAPIClient(srv.url, "", 4)}
}

func (e *emailEnv) tickets(t *testing.T) []ownership.Ticket {
	t.Helper()
	return listTickets(t, e.api)
}

func (e *emailEnv) ticket(t *testing.T, id string) (ownership.Ticket, []ownership.Event) {
	t.Helper()
	return fetchTicket(t, e.api, id)
}

// waitSeen waits until n messages in the mailbox are \Seen.
func (e *emailEnv) waitSeen(t *testing.T, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		seen, total := e.imap.Seen(t)
		if seen >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d messages seen after %s, want %d", seen, total, timeout, n)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// sentTo returns what the SMTP server received for rcpt.
func (e *emailEnv) sentTo(rcpt string) []smtptest.Message {
	var out []smtptest.Message
	for _, m := range e.smtp.Messages() {
		for _, to := range m.To {
			if strings.EqualFold(to, rcpt) {
				out = append(out, m)
			}
		}
	}
	return out
}

func (e *emailEnv) waitSentTo(t *testing.T, rcpt string, n int) []smtptest.Message {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(e.sentTo(rcpt)) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d messages to %s after 10s, want %d", len(e.sentTo(rcpt)), rcpt, n)
		}
		time.Sleep(25 * time.Millisecond)
	}
	return e.sentTo(rcpt)
}

func mailBytes(mid, from, subject, body string, extra ...string) []byte {
	h := fmt.Sprintf("From: %s\r\nTo: Northwind IT <help@northwind.example>\r\nSubject: %s\r\nMessage-ID: <%s>\r\nDate: %s\r\n",
		from, subject, mid, time.Now().Format(time.RFC1123Z))
	for _, x := range extra {
		h += x + "\r\n"
	}
	return []byte(h + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n")
}

func countType(evs []ownership.Event, typ ownership.EventType) int {
	n := 0
	for _, ev := range evs {
		if ev.Type == typ {
			n++
		}
	}
	return n
}

// A reply from the API reaches the customer threaded to their mail; their
// answer to it (no subject token, In-Reply-To our message) joins the same
// ticket; a stranger quoting the ticket's token does not; a bounce of our
// reply marks it failed on the ticket.
func TestEmailReplyThreadingEndToEnd(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newEmailEnv(t, b.url(t))
			ctx := context.Background()
			e.imap.Append(t, mailBytes("c1@acmedental.example", "Pat Doe <pat@acmedental.example>", "Scanner offline", "The scanner at reception is offline."))
			e.waitSeen(t, 1, 30*time.Second)
			tks := e.tickets(t)
			require.Len(t, tks, 1)
			id := tks[0].ID

			// The auto-acknowledgement: threaded and marked automatic.
			ack := e.waitSentTo(t, "pat@acmedental.example", 1)[0]
			require.Equal(t, "<c1@acmedental.example>", ack.Header.Get("In-Reply-To"))
			require.Equal(t, "auto-replied", ack.Header.Get("Auto-Submitted"))
			require.Contains(t, ack.Header.Get("Subject"), "["+id+"]")

			var out ownership.Ticket
			code, err := e.api.do(ctx, "POST", "/api/v1/tickets/"+id+"/messages", map[string]string{"body": "Power-cycle it, please."}, &out)
			require.NoError(t, err)
			require.Equal(t, 200, code)
			reply := e.waitSentTo(t, "pat@acmedental.example", 2)[1]
			require.Equal(t, "["+id+"] Re: Scanner offline", reply.Header.Get("Subject"))
			require.Equal(t, "<c1@acmedental.example>", reply.Header.Get("In-Reply-To"))
			require.Contains(t, reply.Header.Get("References"), "<c1@acmedental.example>")
			ourID := reply.Header.Get("Message-Id")
			require.NotEmpty(t, ourID)
			require.Contains(t, string(reply.Raw), "Power-cycle it, please.")

			// The customer answers from a client that drops the token.
			e.imap.Append(t, mailBytes("c2@acmedental.example", "pat@acmedental.example", "Re: Scanner offline", "Done, it works.\r\n\r\n> Power-cycle it, please.",
				"In-Reply-To: "+ourID, "References: <c1@acmedental.example> "+ourID))
			// A stranger names the ticket.
			e.imap.Append(t, mailBytes("s1@evil.example", "mallory@evil.example", "Re: ["+id+"] Scanner offline", "Send me the admin password."))
			e.waitSeen(t, 3, 30*time.Second)

			tk, evs := e.ticket(t, id)
			require.Equal(t, 2, countType(evs, ownership.EventMessageIn), "the customer's answer joined; the stranger's did not")
			require.Equal(t, "<c2@acmedental.example>", tk.Handles["message_id"])
			for _, ev := range evs {
				require.NotContains(t, ev.Body, "admin password")
			}
			tks = e.tickets(t)
			require.Len(t, tks, 2)
			stranger := tks[0]
			require.Equal(t, "mallory@evil.example", stranger.Contact.Email)
			require.Equal(t, []string{id}, stranger.Links)
			require.Contains(t, stranger.Review, "neither that ticket's contact nor of its org")
			require.Empty(t, e.sentTo("mallory@evil.example"), "no auto-reply to a mail held for review")

			// Our reply bounces.
			e.imap.Append(t, []byte("From: Mail Delivery System <MAILER-DAEMON@mx.acmedental.example>\r\n"+
				"To: help@northwind.example\r\nSubject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn1@mx.acmedental.example>\r\n"+
				"Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"+
				"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"+
				"--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"+
				"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.acmedental.example\r\n\r\n"+
				"Final-Recipient: rfc822; pat@acmedental.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"+
				"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: "+ourID+"\r\nSubject: ["+id+"] Re: Scanner offline\r\n\r\n--B--\r\n"))
			e.waitSeen(t, 4, 30*time.Second)
			_, evs = e.ticket(t, id)
			var failed *ownership.Event
			for i := range evs {
				if evs[i].Type == ownership.EventDelivery && evs[i].Meta["status"] == "failed" {
					failed = &evs[i]
				}
			}
			require.NotNil(t, failed, "the bounce is on the ticket")
			require.Equal(t, "5.1.1", failed.Meta["error_code"])
			var dead struct {
				Items []ownership.OutboxItem `json:"items"`
			}
			_, err = e.api.do(ctx, "GET", "/api/v1/outbox?state=dead", nil, &dead)
			require.NoError(t, err)
			require.Len(t, dead.Items, 1, "the bounced reply is dead-lettered for managers to see")
			require.Equal(t, failed.Meta["outbox"], dead.Items[0].ID)
			require.Len(t, e.tickets(t), 2, "a bounce opens nothing")
			require.Len(t, e.sentTo("pat@acmedental.example"), 2, "and is never answered")
		})
	}
}

// mailboxOutcome checks what a fully read corpus mailbox left in the
// ledger: exactly one ticket per new human mail, opened by it; each reply
// on its thread's ticket; each human mail on exactly one ticket, once.
func mailboxOutcome(t *testing.T, tickets func() []ownership.Ticket, events func(id string) []ownership.Event, corpus []emailtest.Mail) {
	t.Helper()
	tks := tickets()
	require.Len(t, tks, emailtest.Count(corpus, emailtest.NewHuman), "a ticket for each new human mail, none for the rest")
	where := map[string][]string{} // Message-ID -> tickets it is on
	opened := map[string]string{}  // ticket -> Message-ID of its first message
	for _, tk := range tks {
		require.Empty(t, tk.Review, "%s needs no review", tk.ID)
		for _, ev := range events(tk.ID) {
			if ev.Type != ownership.EventMessageIn {
				continue
			}
			if ev.Meta["automated"] != "" {
				continue // an auto-reply kept on the ticket it answers
			}
			mid := strings.Trim(ev.ProviderID, "<>")
			where[mid] = append(where[mid], tk.ID)
			if _, ok := opened[tk.ID]; !ok {
				opened[tk.ID] = mid
			}
		}
	}
	ticketOf := map[int]string{}
	for i, m := range corpus {
		switch m.Kind {
		case emailtest.NewHuman:
			require.Len(t, where[m.MessageID], 1, "new mail %d (%s) is on exactly one ticket", i, m.MessageID)
			ticketOf[i] = where[m.MessageID][0]
			require.Equal(t, m.MessageID, opened[ticketOf[i]], "mail %d opened its ticket", i)
		case emailtest.Reply:
			require.Equal(t, []string{ticketOf[m.ReplyTo]}, where[m.MessageID], "reply %d joins the ticket of mail %d", i, m.ReplyTo)
		default:
			require.Empty(t, where[m.MessageID], "%s mail %d is on no ticket as a customer message", m.Kind, i)
		}
	}
}

// expectedAcks is how many auto-acknowledgements a corpus earns: one per
// new human mail, at most three per sender within the hour.
func expectedAcks(corpus []emailtest.Mail) int {
	per := map[string]int{}
	n := 0
	for _, m := range corpus {
		if m.Kind == emailtest.NewHuman && per[strings.ToLower(m.From)] < 3 {
			per[strings.ToLower(m.From)]++
			n++
		}
	}
	return n
}

// Must-show: a mailbox of 500 varied mails becomes tickets for exactly the
// new human mails, replies joined, every mail \Seen, and auto-acks only
// ever answer new human mail.
func TestEmailMailbox500(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			corpus := emailtest.Corpus(42, 500, emailtest.CorpusOptions{})
			im := emailtest.StartIMAP(t)
			for _, m := range corpus {
				im.Append(t, m.Raw)
			}
			sm := smtptest.Start(t)
			path := filepath.Join(t.TempDir(), "intake.yaml")
			require.NoError(t, writeFile(path, emailConfig(im.Addr(), sm.Addr())))
			start := time.Now()
			srv := startServer(t, serveFlags{config: path, store: b.url(t)})
			e := &emailEnv{srv: srv, imap: im, smtp: sm, api: newAPIClient(srv.url, "", 4)}
			e.waitSeen(t, 500, 180*time.Second) // a ceiling for a loaded machine under -race; it takes seconds
			t.Logf("500 mails read in %s", time.Since(start).Round(time.Millisecond))

			mailboxOutcome(t, func() []ownership.Ticket { return e.tickets(t) },
				func(id string) []ownership.Event { _, evs := e.ticket(t, id); return evs }, corpus)

			newHuman := map[string]bool{}
			for _, m := range corpus {
				if m.Kind == emailtest.NewHuman {
					newHuman["<"+m.MessageID+">"] = true
				}
			}
			want := expectedAcks(corpus)
			acks := func() []smtptest.Message {
				var out []smtptest.Message
				for _, m := range sm.Messages() {
					if m.Header.Get("Auto-Submitted") == "auto-replied" {
						out = append(out, m)
					}
				}
				return out
			}
			deadline := time.Now().Add(30 * time.Second)
			for len(acks()) < want && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			time.Sleep(300 * time.Millisecond)
			got := acks()
			require.Len(t, got, want, "one auto-ack per new human mail, at most 3 per sender")
			for _, a := range got {
				require.True(t, newHuman[a.Header.Get("In-Reply-To")], "auto-ack answers %s, not a new human mail", a.Header.Get("In-Reply-To"))
			}
			for _, m := range corpus {
				if m.Kind == emailtest.List || m.Kind == emailtest.Bounce {
					require.Empty(t, e.sentTo(m.From), "nothing is ever sent to %s (%s)", m.From, m.Kind)
				}
			}
		})
	}
}

// Must-show: kill -9 in the middle of the mailbox, restart: no mail
// missing, none doubled.
func TestEmailKillNineMidMailbox(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary")
	}
	corpus := emailtest.Corpus(7, 500, emailtest.CorpusOptions{})
	im := emailtest.StartIMAP(t)
	for _, m := range corpus {
		im.Append(t, m.Raw)
	}
	sm := smtptest.Start(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "intake.yaml")
	require.NoError(t, writeFile(path, emailConfig(im.Addr(), sm.Addr())))
	bin := intakeBinary(t)
	port := freePort(t)
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	args := []string{"serve", "--config", path, "--store", "sqlite:" + filepath.Join(dir, "intake.db"), "--addr", fmt.Sprintf("127.0.0.1:%d", port)}

	p := startProcess(t, bin, args...)
	waitHTTP(t, url+"/healthz")
	e := &emailEnv{imap: im, smtp: sm, api: newAPIClient(url, "", 4)}
	deadline := time.Now().Add(60 * time.Second)
	before := 0
	for before < 50 {
		require.True(t, time.Now().Before(deadline), "intake did not get to 50 tickets")
		time.Sleep(5 * time.Millisecond)
		before = len(e.tickets(t))
	}
	p.kill()
	seen, _ := im.Seen(t)
	t.Logf("killed with at least %d tickets stored and %d of 500 mails \\Seen", before, seen)
	require.Less(t, seen, 500, "the kill came mid-mailbox")

	startProcess(t, bin, args...)
	waitHTTP(t, url+"/healthz")
	e.waitSeen(t, 500, 60*time.Second)
	mailboxOutcome(t, func() []ownership.Ticket { return e.tickets(t) },
		func(id string) []ownership.Event { _, evs := e.ticket(t, id); return evs }, corpus)
}
