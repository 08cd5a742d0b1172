package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/intakehq/intake/channels"
)

// TLSMode is how a mail connection is secured (configs.TLSMode, restated
// here because adapters do not import configs).
type TLSMode string

// TLS modes.
const (
	TLSImplicit TLSMode = "implicit" // TLS from the first byte (port 465)
	TLSStartTLS TLSMode = "starttls" // STARTTLS is required before AUTH or mail
	TLSNone     TLSMode = "none"     // clear text; only towards a loopback address
)

// SMTPConfig configures an SMTPSender.
type SMTPConfig struct {
	Addr     string  // relay host:port
	TLS      TLSMode // "": implicit on port 465, else starttls
	Username string  // AUTH PLAIN when set
	Password string
	From     string // "Help Desk <help@example.com>" or a bare address
	// TLSConfig verifies the relay; nil uses the system roots. ServerName
	// defaults to Addr's host.
	TLSConfig *tls.Config
	// Timeout bounds one Send from dial to the relay's answer to DATA;
	// 0 means DefaultSMTPTimeout. A sooner ctx deadline wins.
	Timeout  time.Duration
	Hostname string           // EHLO name; "": os.Hostname, else "localhost"
	Now      func() time.Time // the Date header's clock; nil: time.Now
}

// DefaultSMTPTimeout is SMTPConfig.Timeout when left at zero.
const DefaultSMTPTimeout = time.Minute

// SMTPSender delivers outbound email through one relay, a new connection
// per message. It is safe for concurrent use.
type SMTPSender struct {
	cfg    SMTPConfig
	tls    *tls.Config
	from   *mail.Address
	domain string // of From, for Message-IDs
	logger *slog.Logger
}

var _ channels.Replier = (*SMTPSender)(nil)

// NewSMTPSender validates cfg and returns a sender; it does not connect.
// From must parse as an address, and TLS "none" is refused unless Addr is
// a loopback address, where no one else can read the password.
func NewSMTPSender(cfg SMTPConfig, logger *slog.Logger) (*SMTPSender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	host, port, _ := net.SplitHostPort(cfg.Addr)
	if cfg.TLS == "" {
		cfg.TLS = TLSStartTLS
		if port == "465" {
			cfg.TLS = TLSImplicit
		}
	}
	from, _ := mail.ParseAddress(cfg.From) // Validate parsed it
	from.Name = SanitizeHeader(from.Name)
	if cfg.Hostname == "" {
		cfg.Hostname = defaultHostname()
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultSMTPTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	tc := &tls.Config{}
	if cfg.TLSConfig != nil {
		tc = cfg.TLSConfig.Clone()
	}
	if tc.ServerName == "" {
		tc.ServerName = host
	}
	if tc.MinVersion == 0 {
		tc.MinVersion = tls.VersionTLS12
	}
	return &SMTPSender{
		cfg:    cfg,
		tls:    tc,
		from:   from,
		domain: from.Address[strings.LastIndexByte(from.Address, '@')+1:],
		logger: logger,
	}, nil
}

// Send delivers o to o.To and returns its Message-ID, MessageIDFor(o.ID,
// From's domain): a retry of the same outbox item carries the same id, so
// recipients see one message and their replies lead back to it. It blocks
// until the relay accepts the message, ctx ends or cfg.Timeout passes.
//
// An unparsable o.To and a 5xx reply to MAIL, RCPT or DATA are Permanent.
// Everything else is temporary: network and TLS failures, 4xx replies, a
// relay without STARTTLS in starttls mode (the password is never sent),
// and rejected credentials, which are the relay's configuration rather
// than this message's fault.
func (s *SMTPSender) Send(ctx context.Context, o channels.Outbound) (string, error) {
	if o.ID == "" {
		return "", channels.Permanent(errors.New("email: outbound message without an outbox id"))
	}
	to, err := mail.ParseAddress(o.To)
	if err != nil {
		return "", channels.Permanent(fmt.Errorf("email: recipient %q: %w", o.To, err))
	}
	msgID := MessageIDFor(o.ID, s.domain)
	if err := s.deliver(ctx, to.Address, s.compose(o, to, msgID)); err != nil {
		return "", err
	}
	s.logger.Debug("smtp message sent", "outbox", o.ID, "ticket", o.TicketID, "message_id", msgID)
	return msgID, nil
}

// deliver runs one SMTP session for raw. Every deadline on the connection
// is capped at the earlier of ctx's deadline and cfg.Timeout (go-smtp
// resets its own per-command deadlines), and the connection is closed when
// ctx ends, which unblocks whatever the client is waiting for.
func (s *SMTPSender) deliver(ctx context.Context, rcpt string, raw []byte) error {
	end := time.Now().Add(s.cfg.Timeout)
	ctxDeadline, ok := ctx.Deadline()
	ctxEnds := ok && ctxDeadline.Before(end)
	if ctxEnds {
		end = ctxDeadline
	}
	d := net.Dialer{Deadline: end}
	nc, err := d.DialContext(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return interrupted(ctx, ctxEnds, fmt.Errorf("email: smtp dial %s: %w", s.cfg.Addr, err))
	}
	defer nc.Close()
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	conn := deadlineConn{Conn: nc, end: end}
	if err := conn.SetDeadline(end); err != nil {
		return fmt.Errorf("email: smtp: %w", err)
	}
	return interrupted(ctx, ctxEnds, s.transact(conn, rcpt, raw))
}

// interrupted makes err, from a connection ctx may have ended, say so:
// closing the connection on cancel surfaces as "use of closed network
// connection", and ctx's deadline, set on the connection, may fire before
// ctx's own timer.
func interrupted(ctx context.Context, ctxDeadline bool, err error) error {
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("%w: %w", context.Cause(ctx), err)
	case ctxDeadline && errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
	}
	return err
}

func (s *SMTPSender) transact(conn net.Conn, rcpt string, raw []byte) error {
	c, err := s.open(conn)
	if err != nil {
		return err
	}
	defer c.Close()
	var opts *smtp.MailOptions
	if !isASCII(s.from.Address) || !isASCII(rcpt) {
		if ok, _ := c.Extension("SMTPUTF8"); !ok && !isASCII(rcpt) {
			return channels.Permanent(fmt.Errorf("email: smtp: relay cannot deliver to the internationalized address %q (no SMTPUTF8)", rcpt))
		}
		opts = &smtp.MailOptions{UTF8: true}
	}
	if err := c.Mail(s.from.Address, opts); err != nil {
		return smtpFailure("MAIL FROM", err)
	}
	if err := c.Rcpt(rcpt, nil); err != nil {
		return smtpFailure("RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return smtpFailure("DATA", err)
	}
	if _, err := w.Write(raw); err != nil {
		return fmt.Errorf("email: smtp DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return smtpFailure("DATA", err)
	}
	_ = c.Quit() // the relay has the message; a failed QUIT changes nothing
	return nil
}

// open greets the relay, secures the session and authenticates. Its
// errors are all temporary: they concern the relay, not the message.
func (s *SMTPSender) open(conn net.Conn) (*smtp.Client, error) {
	var c *smtp.Client
	switch s.cfg.TLS {
	case TLSImplicit:
		c = smtp.NewClient(tls.Client(conn, s.tls))
	case TLSStartTLS:
		// NewClientStartTLS fails, before anything but EHLO is sent, when
		// the relay does not offer STARTTLS. Its EHLO names "localhost";
		// Hello below repeats it, under TLS, with our name.
		var err error
		if c, err = smtp.NewClientStartTLS(conn, s.tls); err != nil {
			return nil, fmt.Errorf("email: smtp starttls with %s: %w", s.cfg.Addr, err)
		}
	default:
		c = smtp.NewClient(conn)
	}
	if err := c.Hello(s.cfg.Hostname); err != nil {
		c.Close()
		return nil, fmt.Errorf("email: smtp hello to %s: %w", s.cfg.Addr, err)
	}
	if _, ok := c.TLSConnectionState(); !ok && s.cfg.TLS != TLSNone {
		c.Close()
		return nil, fmt.Errorf("email: smtp: session with %s is not encrypted", s.cfg.Addr)
	}
	if s.cfg.Username == "" {
		return c, nil
	}
	if !c.SupportsAuth(sasl.Plain) {
		c.Close()
		return nil, fmt.Errorf("email: smtp: %s does not offer AUTH PLAIN", s.cfg.Addr)
	}
	if err := c.Auth(sasl.NewPlainClient("", s.cfg.Username, s.cfg.Password)); err != nil {
		c.Close()
		return nil, fmt.Errorf("email: smtp auth as %q: %w", s.cfg.Username, err)
	}
	return c, nil
}

// smtpFailure wraps an error from a transaction command; a 5xx reply is
// Permanent.
func smtpFailure(cmd string, err error) error {
	err = fmt.Errorf("email: smtp %s: %w", cmd, err)
	var se *smtp.SMTPError
	if errors.As(err, &se) && se.Code >= 500 && se.Code <= 599 {
		return channels.Permanent(err)
	}
	return err
}

// Outbound purposes with headers of their own.
const (
	purposeAutoAck = "auto_ack"
	purposeNotify  = "notify"
)

// compose renders o as an RFC 5322 message: every header value sanitised
// (no CR/LF can split a header), a non-ASCII subject RFC 2047-encoded, the
// body quoted-printable UTF-8 with CRLF line endings.
func (s *SMTPSender) compose(o channels.Outbound, to *mail.Address, msgID string) []byte {
	rcpt := &mail.Address{Name: SanitizeHeader(to.Name), Address: to.Address}
	subject := o.Subject
	if o.TicketID != "" && o.Purpose != purposeNotify {
		// The customer sees the ticket in the subject, and answering
		// keeps it there: "[T-12] Re: Printer jammed".
		subject = ReplySubject(o.TicketID, subject)
	}
	fields := [][2]string{
		{"From", s.from.String()},
		{"To", rcpt.String()},
		{"Subject", mime.QEncoding.Encode("utf-8", SanitizeHeader(subject))},
		{"Date", s.cfg.Now().Format(time.RFC1123Z)},
		{"Message-ID", msgID},
	}
	inReplyTo, refs := threadHeaders(o.Headers)
	if inReplyTo != "" {
		fields = append(fields, [2]string{"In-Reply-To", inReplyTo})
	}
	if len(refs) > 0 {
		fields = append(fields, [2]string{"References", strings.Join(refs, " ")})
	}
	switch o.Purpose {
	case purposeAutoAck:
		fields = append(fields, [2]string{"Auto-Submitted", "auto-replied"}, [2]string{"X-Auto-Response-Suppress", "All"})
	case purposeNotify:
		fields = append(fields, [2]string{"Auto-Submitted", "auto-generated"})
	}
	// A loop through a forwarder that strips everything else still
	// names us here, and our filter drops it.
	fields = append(fields, [2]string{"X-Loop", s.from.Address})
	fields = append(fields,
		[2]string{"MIME-Version", "1.0"},
		[2]string{"Content-Type", "text/plain; charset=utf-8"},
		[2]string{"Content-Transfer-Encoding", "quoted-printable"},
	)
	var buf bytes.Buffer
	for _, f := range fields {
		writeField(&buf, f[0], SanitizeHeader(f[1]))
	}
	buf.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&buf)
	_, _ = io.WriteString(qp, plainBody(o.Body)) // a bytes.Buffer does not fail
	_ = qp.Close()
	return buf.Bytes()
}

// writeField writes "key: value" folded at spaces into lines of at most
// 78 characters where the words allow (an RFC 2047 word of up to 75 goes
// onto its own line, even the first); a word that would not fit the 998
// character line limit is cut. value must be sanitised (single spaces).
func writeField(b *bytes.Buffer, key, value string) {
	b.WriteString(key)
	b.WriteByte(':')
	n := len(key) + 1
	for i, w := range strings.Split(value, " ") {
		if n+1+len(w) > 78 && (i > 0 || 1+len(w) <= 78) {
			b.WriteString("\r\n")
			n = 0
		}
		if limit := 998 - n - 1; len(w) > limit {
			w = strings.ToValidUTF8(w[:limit], "")
		}
		b.WriteByte(' ')
		b.WriteString(w)
		n += 1 + len(w)
	}
	b.WriteString("\r\n")
}

// plainBody is valid UTF-8 with LF line endings and a final newline; the
// quoted-printable writer turns each LF into CRLF.
func plainBody(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return s
}

// deadlineConn caps every deadline set on the connection (by go-smtp,
// which resets them to "none" after each command, and by crypto/tls) at
// end.
type deadlineConn struct {
	net.Conn
	end time.Time
}

func (c deadlineConn) cap(t time.Time) time.Time {
	if t.IsZero() || t.After(c.end) {
		return c.end
	}
	return t
}

func (c deadlineConn) SetDeadline(t time.Time) error      { return c.Conn.SetDeadline(c.cap(t)) }
func (c deadlineConn) SetReadDeadline(t time.Time) error  { return c.Conn.SetReadDeadline(c.cap(t)) }
func (c deadlineConn) SetWriteDeadline(t time.Time) error { return c.Conn.SetWriteDeadline(c.cap(t)) }

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func defaultHostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" || strings.ContainsFunc(h, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return "localhost"
	}
	return h
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
