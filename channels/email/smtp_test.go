package email

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/stretchr/testify/require"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/channels/email/smtptest"
)

const testFrom = "Help Desk <help@intake.example>"

var testNow = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// newTestSender returns a sender for srv: clear text unless the server
// offers TLS, in which case starttls (or what mutate sets) trusting it.
func newTestSender(t *testing.T, srv *smtptest.Server, mutate ...func(*SMTPConfig)) *SMTPSender {
	t.Helper()
	cfg := SMTPConfig{
		Addr:      srv.Addr(),
		TLS:       TLSNone,
		From:      testFrom,
		TLSConfig: srv.TLSConfig(),
		Timeout:   5 * time.Second,
		Hostname:  "intake.test",
		Now:       func() time.Time { return testNow },
	}
	if srv.TLSConfig() != nil {
		cfg.TLS = TLSStartTLS
	}
	for _, m := range mutate {
		m(&cfg)
	}
	s, err := NewSMTPSender(cfg, nil)
	require.NoError(t, err)
	return s
}

func outbound(id string) channels.Outbound {
	return channels.Outbound{
		ID:       id,
		TicketID: "T-12",
		Kind:     channels.Email,
		To:       "Ana Customer <ana@customer.example>",
		Subject:  "[T-12] Re: Printer on fire",
		Body:     "Hello Ana,\n\nWe are on it.\n",
		Purpose:  "reply",
	}
}

// sendOne sends o and returns the one message the server received.
func sendOne(t *testing.T, srv *smtptest.Server, s *SMTPSender, o channels.Outbound) (string, smtptest.Message) {
	t.Helper()
	ref, err := s.Send(context.Background(), o)
	require.NoError(t, err)
	msgs := srv.WaitFor(t, 1, 5*time.Second)
	require.Len(t, msgs, 1)
	return ref, msgs[0]
}

func TestSendThreadingHeaders(t *testing.T) {
	srv := smtptest.Start(t)
	s := newTestSender(t, srv)
	o := outbound("reply:T-12:abc")
	o.Headers = map[string]string{
		"In-Reply-To": "<cust-2@customer.example>",
		"References":  "<cust-1@customer.example> <bad id@x> <cust-2@customer.example>, <no-at> <" + strings.Repeat("a", 1000) + "@x>",
	}
	ref, m := sendOne(t, srv, s, o)

	require.Equal(t, MessageIDFor("reply:T-12:abc", "intake.example"), ref)
	require.Equal(t, "help@intake.example", m.From)
	require.Equal(t, []string{"ana@customer.example"}, m.To)
	require.Equal(t, ref, m.Header.Get("Message-Id"))
	got, ok := OutboxIDFromMessageID(m.Header.Get("Message-Id"))
	require.True(t, ok)
	require.Equal(t, "reply:T-12:abc", got)

	irt, err := m.Header.MsgIDList("In-Reply-To")
	require.NoError(t, err)
	require.Equal(t, []string{"cust-2@customer.example"}, irt)
	refs, err := m.Header.MsgIDList("References")
	require.NoError(t, err)
	require.Equal(t, []string{"cust-1@customer.example", "cust-2@customer.example"}, refs)

	from, err := m.Header.AddressList("From")
	require.NoError(t, err)
	require.Equal(t, "help@intake.example", from[0].Address)
	require.Equal(t, "Help Desk", from[0].Name)
	to, err := m.Header.AddressList("To")
	require.NoError(t, err)
	require.Equal(t, "Ana Customer", to[0].Name)
	date, err := m.Header.Date()
	require.NoError(t, err)
	require.True(t, date.Equal(testNow), "Date = %v, want %v", date, testNow)
	require.Equal(t, "1.0", m.Header.Get("Mime-Version"))
	require.Equal(t, "text/plain; charset=utf-8", m.Header.Get("Content-Type"))
	require.Equal(t, "quoted-printable", m.Header.Get("Content-Transfer-Encoding"))
	require.False(t, m.Header.Has("Auto-Submitted"))
	requireWellFormed(t, m.Raw)
	require.Equal(t, "Hello Ana,\r\n\r\nWe are on it.\r\n", readBody(t, m.Raw))
}

func TestSendPurposeHeaders(t *testing.T) {
	for _, tc := range []struct {
		purpose, autoSubmitted, suppress string
	}{
		{"auto_ack", "auto-replied", "All"},
		{"notify", "auto-generated", ""},
		{"reply", "", ""},
	} {
		t.Run(tc.purpose, func(t *testing.T) {
			srv := smtptest.Start(t)
			o := outbound("x:" + tc.purpose)
			o.Purpose = tc.purpose
			_, m := sendOne(t, srv, newTestSender(t, srv), o)
			require.Equal(t, tc.autoSubmitted, m.Header.Get("Auto-Submitted"))
			require.Equal(t, tc.suppress, m.Header.Get("X-Auto-Response-Suppress"))
		})
	}
}

func TestSendHeaderInjection(t *testing.T) {
	srv := smtptest.Start(t)
	o := outbound("reply:T-12:inject")
	o.Subject = "Hello\r\nBcc: x@evil.example\r\n\r\nbody"
	o.Headers = map[string]string{
		"In-Reply-To": "<a@customer.example>\r\nBcc: y@evil.example",
		"References":  "<a@customer.example>\nX-Evil: 1",
	}
	_, m := sendOne(t, srv, newTestSender(t, srv), o)

	require.Equal(t, []string{"ana@customer.example"}, m.To)
	require.False(t, m.Header.Has("Bcc"))
	require.False(t, m.Header.Has("X-Evil"))
	subject, err := m.Header.Subject()
	require.NoError(t, err)
	require.Equal(t, "[T-12] Re: Hello Bcc: x@evil.example body", subject)
	require.Equal(t, "<a@customer.example>", m.Header.Get("In-Reply-To"))
	require.NotContains(t, string(m.Raw), "\nBcc:")
	requireWellFormed(t, m.Raw)
}

// The customer always sees the ticket token once, whatever the ledger's
// subject holds; notifications to reps keep theirs.
func TestSendSubjectCarriesTicketToken(t *testing.T) {
	for _, tc := range []struct{ purpose, subject, want string }{
		{"reply", "Printer on fire", "[T-12] Re: Printer on fire"},
		{"reply", "RE: [T-12] Re: Printer on fire", "[T-12] Re: Printer on fire"},
		{"auto_ack", "Re: Printer on fire", "[T-12] Re: Printer on fire"},
		{"reply", "", "[T-12] Re:"},
		{"notify", "New ticket T-12 (email from Ana)", "New ticket T-12 (email from Ana)"},
	} {
		srv := smtptest.Start(t)
		o := outbound("x:" + tc.purpose + tc.subject)
		o.Purpose, o.Subject = tc.purpose, tc.subject
		_, m := sendOne(t, srv, newTestSender(t, srv), o)
		got, err := m.Header.Subject()
		require.NoError(t, err)
		require.Equal(t, tc.want, got)
		require.Equal(t, "help@intake.example", m.Header.Get("X-Loop"))
	}
}

func TestSendNonASCIISubject(t *testing.T) {
	srv := smtptest.Start(t)
	o := outbound("reply:T-7:utf8")
	o.TicketID = "T-7"
	o.To = "Zoë Ünal <zoe@customer.example>"
	o.Subject = "[T-7] Re: Grüße – 日本語のプリンター " + strings.Repeat("ü", 80)
	o.Body = "Grüße,\r\nZoë — ☃\n"
	_, m := sendOne(t, srv, newTestSender(t, srv), o)

	header, _, _ := bytes.Cut(m.Raw, []byte("\r\n\r\n"))
	require.True(t, isASCII(string(header)), "header is not ASCII:\n%s", header)
	for _, line := range strings.Split(string(header), "\r\n") {
		require.LessOrEqual(t, len(line), 78, "header line not folded: %q", line)
	}
	r, err := mail.CreateReader(bytes.NewReader(m.Raw))
	require.NoError(t, err)
	subject, err := r.Header.Subject()
	require.NoError(t, err)
	require.Equal(t, o.Subject, subject)
	to, err := r.Header.AddressList("To")
	require.NoError(t, err)
	require.Equal(t, "Zoë Ünal", to[0].Name)
	requireWellFormed(t, m.Raw)
	require.Equal(t, "Grüße,\r\nZoë — ☃\r\n", readBody(t, m.Raw))
}

func TestSendPermanentOn5xx(t *testing.T) {
	srv := smtptest.Start(t)
	srv.FailNext(550, "mailbox unavailable", 1)
	_, err := newTestSender(t, srv).Send(context.Background(), outbound("reply:T-1:a"))
	require.Error(t, err)
	require.True(t, channels.IsPermanent(err), "Send = %v, want a permanent error", err)
	require.Empty(t, srv.Messages())
}

func TestSendTemporaryOn4xx(t *testing.T) {
	srv := smtptest.Start(t)
	s := newTestSender(t, srv)
	srv.FailNext(451, "try again later", 1)
	_, err := s.Send(context.Background(), outbound("reply:T-1:a"))
	require.Error(t, err)
	require.False(t, channels.IsPermanent(err), "Send = %v, want a temporary error", err)
	require.Empty(t, srv.Messages())

	ref, m := sendOne(t, srv, s, outbound("reply:T-1:a"))
	require.Equal(t, ref, m.Header.Get("Message-Id"))
}

func TestSendSameOutboxIDSameMessageID(t *testing.T) {
	srv := smtptest.Start(t)
	s := newTestSender(t, srv)
	ref1, err := s.Send(context.Background(), outbound("ack:email:message:<cust-1@customer.example>"))
	require.NoError(t, err)
	ref2, err := s.Send(context.Background(), outbound("ack:email:message:<cust-1@customer.example>"))
	require.NoError(t, err)
	require.Equal(t, ref1, ref2)
	msgs := srv.WaitFor(t, 2, 5*time.Second)
	require.Equal(t, ref1, msgs[0].Header.Get("Message-Id"))
	require.Equal(t, ref1, msgs[1].Header.Get("Message-Id"))
}

func TestSendInvalidRecipientPermanent(t *testing.T) {
	srv := smtptest.Start(t)
	s := newTestSender(t, srv)
	for _, to := range []string{"", "not an address", "a@b\r\nRCPT TO:<evil@x>"} {
		o := outbound("reply:T-1:bad")
		o.To = to
		_, err := s.Send(context.Background(), o)
		require.True(t, channels.IsPermanent(err), "Send(To=%q) = %v, want a permanent error", to, err)
	}
	require.Empty(t, srv.Messages())
}

func TestSendSTARTTLSWithAuth(t *testing.T) {
	srv := smtptest.Start(t, smtptest.WithSTARTTLS(), smtptest.WithAuth("desk", "s3cret"))
	s := newTestSender(t, srv, func(c *SMTPConfig) { c.Username, c.Password = "desk", "s3cret" })
	_, m := sendOne(t, srv, s, outbound("reply:T-2:tls"))
	require.True(t, m.TLS)
	require.Equal(t, "desk", m.AuthUser)
}

func TestSendImplicitTLS(t *testing.T) {
	srv := smtptest.Start(t, smtptest.WithImplicitTLS(), smtptest.WithAuth("desk", "s3cret"))
	s := newTestSender(t, srv, func(c *SMTPConfig) {
		c.TLS, c.Username, c.Password = TLSImplicit, "desk", "s3cret"
	})
	_, m := sendOne(t, srv, s, outbound("reply:T-2:implicit"))
	require.True(t, m.TLS)
	require.Equal(t, "desk", m.AuthUser)
}

func TestSendSTARTTLSRequired(t *testing.T) {
	// The server offers AUTH PLAIN in clear text and no STARTTLS.
	srv := smtptest.Start(t, smtptest.WithAuth("desk", "s3cret"))
	s := newTestSender(t, srv, func(c *SMTPConfig) {
		c.TLS, c.Username, c.Password = TLSStartTLS, "desk", "s3cret"
	})
	_, err := s.Send(context.Background(), outbound("reply:T-3:plain"))
	require.Error(t, err)
	require.False(t, channels.IsPermanent(err), "Send = %v, want a temporary error", err)
	require.NotContains(t, err.Error(), "s3cret")
	require.Zero(t, srv.AuthAttempts(), "the password was offered to a server without STARTTLS")
	require.Empty(t, srv.Messages())
}

func TestSendBadPasswordTemporary(t *testing.T) {
	srv := smtptest.Start(t, smtptest.WithSTARTTLS(), smtptest.WithAuth("desk", "s3cret"))
	s := newTestSender(t, srv, func(c *SMTPConfig) { c.Username, c.Password = "desk", "wrong-pw" })
	_, err := s.Send(context.Background(), outbound("reply:T-3:pw"))
	require.Error(t, err)
	require.False(t, channels.IsPermanent(err), "Send = %v, want a temporary error", err)
	require.NotContains(t, err.Error(), "wrong-pw")
	require.Equal(t, 1, srv.AuthAttempts())
}

// silentServer accepts connections and never answers.
func silentServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	return l.Addr().String()
}

func TestSendHonoursContext(t *testing.T) {
	addr := silentServer(t)
	s, err := NewSMTPSender(SMTPConfig{Addr: addr, TLS: TLSNone, From: testFrom, Timeout: time.Minute}, nil)
	require.NoError(t, err)

	t.Run("deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := s.Send(ctx, outbound("reply:T-4:slow"))
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.False(t, channels.IsPermanent(err))
		require.Less(t, time.Since(start), 5*time.Second)
	})
	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		_, err := s.Send(ctx, outbound("reply:T-4:slow"))
		require.ErrorIs(t, err, context.Canceled)
		require.Less(t, time.Since(start), 5*time.Second)
	})
	t.Run("already cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := s.Send(ctx, outbound("reply:T-4:slow"))
		require.ErrorIs(t, err, context.Canceled)
	})
}

func TestSendTimeout(t *testing.T) {
	addr := silentServer(t)
	s, err := NewSMTPSender(SMTPConfig{Addr: addr, TLS: TLSNone, From: testFrom, Timeout: 100 * time.Millisecond}, nil)
	require.NoError(t, err)
	start := time.Now()
	_, err = s.Send(context.Background(), outbound("reply:T-4:slow"))
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	require.True(t, ne.Timeout(), "Send = %v, want a timeout", err)
	require.False(t, channels.IsPermanent(err))
	require.Less(t, time.Since(start), 5*time.Second)
}

func TestNewSMTPSender(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     SMTPConfig
		wantErr string
		wantTLS TLSMode
	}{
		{"default starttls", SMTPConfig{Addr: "smtp.example.com:587", From: testFrom}, "", TLSStartTLS},
		{"default implicit on 465", SMTPConfig{Addr: "smtp.example.com:465", From: testFrom}, "", TLSImplicit},
		{"none on loopback", SMTPConfig{Addr: "127.0.0.1:25", TLS: TLSNone, From: testFrom}, "", TLSNone},
		{"none on localhost", SMTPConfig{Addr: "localhost:25", TLS: TLSNone, From: testFrom}, "", TLSNone},
		{"none on ::1", SMTPConfig{Addr: "[::1]:25", TLS: TLSNone, From: testFrom}, "", TLSNone},
		{"none remote", SMTPConfig{Addr: "smtp.example.com:25", TLS: TLSNone, From: testFrom}, "loopback", ""},
		{"unknown tls", SMTPConfig{Addr: "smtp.example.com:25", TLS: "ssl", From: testFrom}, "want", ""},
		{"no port", SMTPConfig{Addr: "smtp.example.com", From: testFrom}, "addr", ""},
		{"bad from", SMTPConfig{Addr: "smtp.example.com:587", From: "help desk"}, "from", ""},
		{"no from", SMTPConfig{Addr: "smtp.example.com:587"}, "from", ""},
		{"password alone", SMTPConfig{Addr: "smtp.example.com:587", From: testFrom, Password: "pw"}, "username", ""},
		{"bad hostname", SMTPConfig{Addr: "smtp.example.com:587", From: testFrom, Hostname: "a\r\nb"}, "hostname", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewSMTPSender(tc.cfg, nil)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				require.NotContains(t, fmt.Sprint(err), "pw")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.wantTLS, s.cfg.TLS)
		})
	}
}

func TestThreadHeaders(t *testing.T) {
	var many []string
	for i := range 30 {
		many = append(many, fmt.Sprintf("<m%d@x.example>", i))
	}
	for _, tc := range []struct {
		name      string
		headers   map[string]string
		inReplyTo string
		refs      []string
	}{
		{"none", nil, "", nil},
		{"in-reply-to only", map[string]string{"In-Reply-To": "<a@x>"}, "<a@x>", []string{"<a@x>"}},
		{"bare ids bracketed", map[string]string{"in-reply-to": "a@x", "references": "r@x"}, "<a@x>", []string{"<r@x>", "<a@x>"}},
		{"parent moved last", map[string]string{"In-Reply-To": "<a@x>", "References": "<a@x> <b@x>"}, "<a@x>", []string{"<b@x>", "<a@x>"}},
		{"invalid dropped", map[string]string{
			"In-Reply-To": "<no-at> <a b@x> <c@x>",
			"References":  "<@x> <x@> <a@b@c> <ü@x> <a<b@x> \"q\"@x <ok@x>",
		}, "<c@x>", []string{"<\"q\"@x>", "<ok@x>", "<c@x>"}},
		{"capped to last 20", map[string]string{"References": strings.Join(many, " ")}, "", many[10:]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			irt, refs := threadHeaders(tc.headers)
			require.Equal(t, tc.inReplyTo, irt)
			require.Equal(t, tc.refs, refs)
		})
	}
}

func TestMessageIDFor(t *testing.T) {
	long := strings.Repeat("x", maxReversibleID+1)
	for _, tc := range []struct {
		id, domain, want string
	}{
		{"ab", "intake.example", "<intake.mfra@intake.example>"},
		{"ab", "Intake.EXAMPLE", "<intake.mfra@intake.example>"},
		{"ab", "bücher.example", "<intake.mfra@xn--bcher-kva.example>"},
		{"ab", "", "<intake.mfra@intake.invalid>"},
		{"ab", "bad domain>", "<intake.mfra@intake.invalid>"},
		{"reply:T-12:abc", "x.example", "<intake.ojsxa3dzhjkc2mjshjqweyy@x.example>"},
		{long, "x.example", "<intake-h." + hashHex(long) + "@x.example>"},
		{"", "x.example", "<intake-h." + hashHex("") + "@x.example>"},
	} {
		require.Equal(t, tc.want, MessageIDFor(tc.id, tc.domain), "MessageIDFor(%q, %q)", tc.id, tc.domain)
	}
}

func hashHex(id string) string {
	mid := MessageIDFor(id, "x")
	return strings.TrimSuffix(strings.TrimPrefix(mid, "<intake-h."), "@x>")
}

func TestOutboxIDFromMessageID(t *testing.T) {
	for _, id := range []string{
		"reply:T-12:abc",
		"ack:email:message:<CAF=x+y@mail.gmail.com>",
		"notify:T-9:\r\n <weird> \x00 ü 日本",
		"a",
		strings.Repeat("z", maxReversibleID),
	} {
		mid := MessageIDFor(id, "intake.example")
		for _, form := range []string{mid, strings.Trim(mid, "<>"), strings.ToUpper(mid), " " + mid + " "} {
			got, ok := OutboxIDFromMessageID(form)
			require.True(t, ok, "OutboxIDFromMessageID(%q) = _, false", form)
			require.Equal(t, id, got, "OutboxIDFromMessageID(%q)", form)
		}
	}
	for _, mid := range []string{
		"",
		"<>",
		"<CAF123@mail.gmail.com>",
		"<intake.@x.example>",
		"<intake.mfra>",
		"<intake.mfra@>",
		"<intake.1abc@x.example>", // '1' is not base32
		"<intake.mfrb@x.example>", // non-canonical trailing bits
		"<intake.mfr@x.example>",  // impossible length
		MessageIDFor(strings.Repeat("x", maxReversibleID+1), "x.example"),
		"<notintake.mfra@x.example>",
	} {
		got, ok := OutboxIDFromMessageID(mid)
		require.False(t, ok, "OutboxIDFromMessageID(%q) = %q, true; want false", mid, got)
	}
}

func FuzzMessageIDRoundTrip(f *testing.F) {
	f.Add("reply:T-12:abc", "intake.example")
	f.Add("ack:email:message:<a@b>", "")
	f.Add("", "bücher.example")
	f.Add("\r\n<>@ ", "x y")
	f.Fuzz(func(t *testing.T, id, domain string) {
		mid := MessageIDFor(id, domain)
		if clean, ok := cleanMsgID(mid); !ok || clean != mid {
			t.Fatalf("MessageIDFor(%q, %q) = %q, not a well-formed Message-ID", id, domain, mid)
		}
		got, ok := OutboxIDFromMessageID(mid)
		reversible := id != "" && len(id) <= maxReversibleID
		if ok != reversible || (ok && got != id) {
			t.Fatalf("OutboxIDFromMessageID(MessageIDFor(%q, %q)) = %q, %v", id, domain, got, ok)
		}
		// Arbitrary input must not panic, and what decodes round-trips.
		if back, ok := OutboxIDFromMessageID(id); ok {
			if again, ok := OutboxIDFromMessageID(MessageIDFor(back, domain)); !ok || again != back {
				t.Fatalf("OutboxIDFromMessageID(%q) = %q, which does not round-trip", id, back)
			}
		}
	})
}

// requireWellFormed checks RFC 5322 line rules on raw: CRLF only, no line
// over 998 characters, header lines ASCII.
func requireWellFormed(t *testing.T, raw []byte) {
	t.Helper()
	require.NotContains(t, strings.ReplaceAll(string(raw), "\r\n", ""), "\n", "bare LF")
	require.NotContains(t, strings.ReplaceAll(string(raw), "\r\n", ""), "\r", "bare CR")
	for _, line := range strings.Split(string(raw), "\r\n") {
		require.LessOrEqual(t, len(line), 998, "line too long: %q", line)
	}
}

func readBody(t *testing.T, raw []byte) string {
	t.Helper()
	r, err := mail.CreateReader(bytes.NewReader(raw))
	require.NoError(t, err)
	p, err := r.NextPart()
	require.NoError(t, err)
	b, err := io.ReadAll(p.Body)
	require.NoError(t, err)
	return string(b)
}

func TestSendLongSubjectFolded(t *testing.T) {
	srv := smtptest.Start(t)
	o := outbound("reply:T-8:long")
	o.Purpose = "notify" // a subject taken as it is
	o.Subject = strings.Repeat("word ", 300) + strings.Repeat("x", 2000)
	_, m := sendOne(t, srv, newTestSender(t, srv), o)
	requireWellFormed(t, m.Raw)
	subject, err := m.Header.Subject()
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(subject, strings.Repeat("word ", 300)+"xxx"), "Subject = %.40q…", subject)
	header, _, _ := bytes.Cut(m.Raw, []byte("\r\n\r\n"))
	for _, line := range strings.Split(string(header), "\r\n") {
		if !strings.Contains(line, "xxxxxxxx") {
			require.LessOrEqual(t, len(line), 78, "header line not folded: %q", line)
		}
	}
}
