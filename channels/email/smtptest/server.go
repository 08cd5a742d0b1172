// Package smtptest runs an in-process SMTP server for tests: go-smtp's
// server on 127.0.0.1:0, optionally with STARTTLS or implicit TLS over a
// self-signed certificate and with AUTH PLAIN, recording every message it
// accepts. It speaks the real protocol, so a sender is tested the way a
// relay will see it.
package smtptest

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"io"
	"log"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/intakehq/intake/channels/email/internal/testcert"
)

// Message is one message the server accepted.
type Message struct {
	From     string   // MAIL FROM
	To       []string // RCPT TO, in order
	Raw      []byte   // the DATA as received, CRLF line endings, dot-unstuffed
	Header   mail.Header
	TLS      bool   // the session was encrypted (STARTTLS or implicit)
	AuthUser string // the authenticated username, "" without AUTH
}

// Option configures Start.
type Option func(*Server)

// WithSTARTTLS offers STARTTLS over a self-signed certificate for
// 127.0.0.1 and localhost; Server.TLSConfig trusts it.
func WithSTARTTLS() Option { return func(s *Server) { s.startTLS = true } }

// WithImplicitTLS serves TLS from the first byte (port 465 style) with the
// same self-signed certificate.
func WithImplicitTLS() Option { return func(s *Server) { s.implicitTLS = true } }

// WithAuth requires AUTH PLAIN with this username and password before MAIL.
// AUTH is offered even on an unencrypted session so a test can see a
// client that would send its password in clear text.
func WithAuth(username, password string) Option {
	return func(s *Server) { s.username, s.password = username, password }
}

// Server is a running test server. Its methods are safe for concurrent use.
type Server struct {
	startTLS, implicitTLS bool
	username, password    string

	srv       *smtp.Server
	addr      string
	clientTLS *tls.Config

	mu           sync.Mutex
	changed      chan struct{} // closed and replaced whenever msgs grows
	msgs         []Message
	authAttempts int
	fail         *smtp.SMTPError
	failCount    int
}

// Start listens on 127.0.0.1:0 and serves until the test ends (closed with
// t.Cleanup). It fails the test if it cannot listen.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{changed: make(chan struct{})}
	for _, o := range opts {
		o(s)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: listen: %v", err)
	}
	s.addr = l.Addr().String()

	s.srv = smtp.NewServer(smtp.BackendFunc(s.newSession))
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	s.srv.ReadTimeout = 10 * time.Second
	s.srv.WriteTimeout = 10 * time.Second
	s.srv.MaxMessageBytes = 10 << 20
	s.srv.EnableSMTPUTF8 = true
	logw := &testLogWriter{t: t}
	s.srv.ErrorLog = log.New(logw, "smtptest: ", 0)
	if s.startTLS || s.implicitTLS {
		serverTLS, clientTLS, err := testcert.New()
		if err != nil {
			t.Fatalf("smtptest: certificate: %v", err)
		}
		s.clientTLS = clientTLS
		if s.startTLS {
			s.srv.TLSConfig = serverTLS
		}
		if s.implicitTLS {
			l = tls.NewListener(l, serverTLS)
		}
	}
	go s.srv.Serve(l) //nolint:errcheck // returns nil after Close
	t.Cleanup(func() {
		logw.close()
		s.srv.Close() //nolint:errcheck // nothing to do about it in a test
	})
	return s
}

// Addr is the host:port the server listens on.
func (s *Server) Addr() string { return s.addr }

// TLSConfig returns a client configuration that trusts the server's
// certificate, or nil when the server runs without TLS.
func (s *Server) TLSConfig() *tls.Config {
	if s.clientTLS == nil {
		return nil
	}
	return s.clientTLS.Clone()
}

// Messages returns the messages accepted so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// AuthAttempts counts AUTH exchanges a client started, successful or not.
func (s *Server) AuthAttempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authAttempts
}

// WaitFor waits until at least n messages were accepted and returns them;
// it fails the test after timeout.
func (s *Server) WaitFor(t testing.TB, n int, timeout time.Duration) []Message {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		msgs, changed := append([]Message(nil), s.msgs...), s.changed
		s.mu.Unlock()
		if len(msgs) >= n {
			return msgs
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("smtptest: got %d messages after %s, want %d", len(msgs), timeout, n)
			return nil
		}
	}
}

// FailNext answers the next count DATA commands with code and msg (451
// for a temporary failure, 550 for a permanent one) instead of accepting
// the message.
func (s *Server) FailNext(code int, msg string, count int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCodeNotSet, Message: msg}
	s.failCount = count
}

func (s *Server) takeFailure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failCount <= 0 {
		return nil
	}
	s.failCount--
	return s.fail
}

func (s *Server) record(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	return &session{srv: s, tls: isTLS}, nil
}

// session is one SMTP transaction state; go-smtp calls it from the
// connection's goroutine only.
type session struct {
	srv  *Server
	tls  bool
	user string
	from string
	to   []string
}

var _ smtp.AuthSession = (*session)(nil)

func (ss *session) AuthMechanisms() []string {
	if ss.srv.username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain || ss.srv.username == "" {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	ss.srv.mu.Lock()
	ss.srv.authAttempts++
	ss.srv.mu.Unlock()
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != ss.srv.username || password != ss.srv.password {
			return smtp.ErrAuthFailed
		}
		ss.user = username
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.srv.username != "" && ss.user == "" {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := ss.srv.takeFailure(); err != nil {
		return err
	}
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "unparsable header: " + err.Error()}
	}
	ss.srv.record(Message{
		From:     ss.from,
		To:       append([]string(nil), ss.to...),
		Raw:      raw,
		Header:   mail.Header{Header: message.Header{Header: h}},
		TLS:      ss.tls,
		AuthUser: ss.user,
	})
	return nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error { return nil }

// testLogWriter sends the server's error log to the test log until the
// test ends (logging after that panics).
type testLogWriter struct {
	t      testing.TB
	mu     sync.Mutex
	closed bool
}

func (w *testLogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.t.Logf("%s", bytes.TrimRight(p, "\n"))
	}
	return len(p), nil
}

func (w *testLogWriter) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
}
