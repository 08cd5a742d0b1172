// Package emailtest provides test helpers for the email channel: an
// in-process IMAP server over go-imap's imapmemserver and a deterministic
// corpus of realistic inbound mail.
package emailtest

import (
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/intakehq/intake/channels/email/internal/testcert"
)

// The one account StartIMAP serves.
const (
	Username = "help@northwind.example"
	Password = "imap-secret"
	Mailbox  = "INBOX"
)

// IMAPOption changes how StartIMAP sets up its server.
type IMAPOption func(*imapConfig)

type imapConfig struct {
	noIDLE bool
	debug  io.Writer
	tls    string // "", "implicit" or "starttls"
}

// WithImplicitTLS serves TLS from the first byte (as on port 993) with a
// throwaway certificate; TLSConfig returns a client config trusting it.
// Logging in is then refused without TLS. Not combinable with WithoutIDLE.
func WithImplicitTLS() IMAPOption {
	return func(c *imapConfig) { c.tls = "implicit" }
}

// WithSTARTTLS offers STARTTLS with a throwaway certificate and refuses
// LOGIN until the client has used it.
func WithSTARTTLS() IMAPOption {
	return func(c *imapConfig) { c.tls = "starttls" }
}

// WithoutIDLE makes the server behave like one without the IDLE extension, so
// a client has to poll. imapserver always advertises IDLE to authenticated
// IMAP4rev1 clients and IMAP4rev2 implies it, so the server advertises only
// IMAP4rev1, strips IDLE from every capability list it sends, and answers an
// IDLE command with BAD, as a server that does not know it would. The rewrite
// works on the byte stream, line by line; a command line "<tag> IDLE" inside
// an APPEND literal would be rewritten too, which no test should need.
func WithoutIDLE() IMAPOption {
	return func(c *imapConfig) { c.noIDLE = true }
}

// WithDebugWriter copies the raw protocol, both directions, to w. The trace
// contains the password.
func WithDebugWriter(w io.Writer) IMAPOption {
	return func(c *imapConfig) { c.debug = w }
}

// IMAPServer is an in-memory IMAP server with one user, Username, and one
// mailbox, Mailbox, listening in plaintext on a loopback address. The mailbox
// outlives Stop and Restart. All methods are safe for concurrent use.
type IMAPServer struct {
	cfg  imapConfig
	mem  *imapmemserver.Server
	user *imapmemserver.User
	addr string

	serverTLS, clientTLS *tls.Config // with a TLS option

	raw rawStore // the INBOX's messages as appended, served as BODY[]

	mu  sync.Mutex // serializes Stop, Restart, Append and mailbox surgery
	srv *imapserver.Server
	ln  *trackingListener
}

// StartIMAP starts a server on 127.0.0.1 with an empty INBOX and stops it
// when the test ends. InsecureAuth is on: LOGIN works without TLS, which is
// acceptable only because the listener is loopback.
func StartIMAP(t testing.TB, opts ...IMAPOption) *IMAPServer {
	t.Helper()
	s := &IMAPServer{mem: imapmemserver.New(), user: imapmemserver.NewUser(Username, Password)}
	for _, o := range opts {
		o(&s.cfg)
	}
	if s.cfg.tls != "" {
		var err error
		if s.serverTLS, s.clientTLS, err = testcert.New(); err != nil {
			t.Fatalf("emailtest: certificate: %v", err)
		}
	}
	if err := s.user.Create(Mailbox, nil); err != nil {
		t.Fatalf("emailtest: create %s: %v", Mailbox, err)
	}
	s.mem.AddUser(s.user)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("emailtest: listen: %v", err)
	}
	s.addr = ln.Addr().String()
	s.mu.Lock()
	s.serveLocked(ln)
	s.mu.Unlock()
	t.Cleanup(s.Stop)
	return s
}

// Addr returns the host:port the server listens on; it stays the same across
// Stop and Restart.
func (s *IMAPServer) Addr() string { return s.addr }

// TLSConfig returns a client configuration trusting the server's
// certificate, or nil without a TLS option.
func (s *IMAPServer) TLSConfig() *tls.Config {
	if s.clientTLS == nil {
		return nil
	}
	return s.clientTLS.Clone()
}

func (s *IMAPServer) caps() imap.CapSet {
	caps := imap.CapSet{
		imap.CapIMAP4rev1: {},
		imap.CapUIDPlus:   {},
		imap.CapNamespace: {},
		imap.CapMove:      {},
	}
	if !s.cfg.noIDLE {
		// IMAP4rev2 implies IDLE; imapserver also lists IDLE explicitly
		// to authenticated IMAP4rev1 clients.
		caps[imap.CapIMAP4rev2] = struct{}{}
	}
	return caps
}

func (s *IMAPServer) serveLocked(ln net.Listener) {
	opts := &imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &rawSession{SessionIMAP4rev2: s.mem.NewSession().(imapserver.SessionIMAP4rev2), store: &s.raw}, nil, nil
		},
		Caps:         s.caps(),
		Logger:       discardLogger{},
		InsecureAuth: s.cfg.tls == "",
		DebugWriter:  s.cfg.debug,
	}
	if s.cfg.tls == "starttls" {
		opts.TLSConfig = s.serverTLS
	}
	srv := imapserver.New(opts)
	tl := &trackingListener{Listener: ln, noIDLE: s.cfg.noIDLE, conns: map[net.Conn]struct{}{}}
	s.srv, s.ln = srv, tl
	var serving net.Listener = tl
	if s.cfg.tls == "implicit" {
		serving = tls.NewListener(tl, s.serverTLS)
	}
	go srv.Serve(serving) // returns once Stop closes the listener; the error says nothing new
}

// Stop closes the listener and every live client connection, as a crashed
// or restarted server would; clients see their connection drop. The mailbox
// keeps its messages, flags and UIDVALIDITY. Stop on a stopped server does
// nothing.
func (s *IMAPServer) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()
}

func (s *IMAPServer) stopLocked() bool {
	if s.srv == nil {
		return false
	}
	// Close waits for Serve to return and closes the connections the
	// server has registered; closing the tracked ones as well covers a
	// connection accepted but not yet registered.
	_ = s.srv.Close()
	s.ln.closeConns()
	s.srv, s.ln = nil, nil
	return true
}

// Restart stops the server if it is running, then listens again on the same
// address, retrying the bind for up to five seconds.
func (s *IMAPServer) Restart(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()
	if err := s.listenLocked(); err != nil {
		t.Fatalf("emailtest: restart on %s: %v", s.addr, err)
	}
}

func (s *IMAPServer) listenLocked() error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		ln, err := net.Listen("tcp", s.addr)
		if err == nil {
			s.serveLocked(ln)
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Append adds raw to the INBOX with the given flags, directly through the
// backend, and returns its UID. It works while the server is stopped; while
// it runs, clients with the INBOX selected get an EXISTS update, also in IDLE.
func (s *IMAPServer) Append(t testing.TB, raw []byte, flags ...imap.Flag) uint32 {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	data, err := s.user.Append(Mailbox, literal{bytes.NewReader(raw)}, &imap.AppendOptions{Flags: flags})
	if err != nil {
		t.Fatalf("emailtest: append: %v", err)
	}
	s.raw.put(data.UID, raw)
	return uint32(data.UID)
}

// UIDValidity returns the INBOX's current UIDVALIDITY.
func (s *IMAPServer) UIDValidity() uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.user.Status(Mailbox, &imap.StatusOptions{UIDValidity: true})
	if err != nil {
		panic("emailtest: " + err.Error()) // the harness never leaves the INBOX missing
	}
	return st.UIDValidity
}

// ResetUIDValidity re-creates the INBOX under a new UIDVALIDITY with the same
// messages, flags and internal dates in the same order, renumbered from UID 1
// as a rebuilt mailbox would be, and returns the new UIDVALIDITY. If the
// server is running it is stopped for the swap and restarted on the same
// address, so connected clients drop and must re-select.
func (s *IMAPServer) ResetUIDValidity(t testing.TB) uint32 {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	wasRunning := s.stopLocked()

	const old = "emailtest-old-inbox"
	must := func(what string, err error) {
		if err != nil {
			t.Fatalf("emailtest: reset UIDVALIDITY: %s: %v", what, err)
		}
	}
	must("rename", s.user.Rename(Mailbox, old, nil))
	must("create", s.user.Create(Mailbox, nil)) // imapmemserver bumps UIDVALIDITY per Create
	sess := imapmemserver.NewUserSession(s.user)
	_, err := sess.Select(old, &imap.SelectOptions{})
	must("select", err)
	present, err := sess.Search(imapserver.NumKindUID, &imap.SearchCriteria{}, &imap.SearchOptions{})
	must("search", err)
	_, err = sess.Copy(imap.UIDSet{{Start: 1, Stop: 0}}, Mailbox) // 1:*
	must("copy", err)
	s.raw.renumber(present.AllUIDs())
	must("close", sess.Close())
	must("delete", s.user.Delete(old))

	if wasRunning {
		must("restart", s.listenLocked())
	}
	st, err := s.user.Status(Mailbox, &imap.StatusOptions{UIDValidity: true})
	must("status", err)
	return st.UIDValidity
}

// Seen returns how many INBOX messages carry \Seen, and how many there are.
func (s *IMAPServer) Seen(t testing.TB) (seen, total int) {
	t.Helper()
	var n uint32
	s.inspect(t, func(sess *imapmemserver.UserSession, sel *imap.SelectData) {
		n = sel.NumMessages
		seen = len(search(t, sess, &imap.SearchCriteria{Flag: []imap.Flag{imap.FlagSeen}}))
	})
	return seen, int(n)
}

// SeenUIDs returns the UIDs of the INBOX messages that carry \Seen, in
// ascending order.
func (s *IMAPServer) SeenUIDs(t testing.TB) []uint32 {
	t.Helper()
	var uids []uint32
	s.inspect(t, func(sess *imapmemserver.UserSession, _ *imap.SelectData) {
		uids = search(t, sess, &imap.SearchCriteria{Flag: []imap.Flag{imap.FlagSeen}})
	})
	return uids
}

// Flags returns the flags of the INBOX message with this UID, sorted; it
// fails the test if there is no such message. imapmemserver stores flags
// lowercased; system flags are returned in their canonical spelling
// (imap.FlagSeen), keywords lowercased.
func (s *IMAPServer) Flags(t testing.TB, uid uint32) []imap.Flag {
	t.Helper()
	var flags []imap.Flag
	s.inspect(t, func(sess *imapmemserver.UserSession, sel *imap.SelectData) {
		one := []imap.UIDSet{{{Start: imap.UID(uid), Stop: imap.UID(uid)}}}
		if len(search(t, sess, &imap.SearchCriteria{UID: one})) == 0 {
			t.Fatalf("emailtest: no message with UID %d", uid)
		}
		// SELECT reports every flag used in the mailbox; keep those this
		// message has.
		for _, f := range sel.Flags {
			if len(search(t, sess, &imap.SearchCriteria{UID: one, Flag: []imap.Flag{f}})) > 0 {
				flags = append(flags, canonicalFlag(f))
			}
		}
	})
	slices.Sort(flags)
	return flags
}

// inspect runs f with a backend session that has the INBOX selected, holding
// the harness lock so the mailbox is not swapped underneath.
func (s *IMAPServer) inspect(t testing.TB, f func(*imapmemserver.UserSession, *imap.SelectData)) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := imapmemserver.NewUserSession(s.user)
	defer sess.Close()
	sel, err := sess.Select(Mailbox, &imap.SelectOptions{ReadOnly: true})
	if err != nil {
		t.Fatalf("emailtest: select: %v", err)
	}
	f(sess, sel)
}

func search(t testing.TB, sess *imapmemserver.UserSession, c *imap.SearchCriteria) []uint32 {
	t.Helper()
	data, err := sess.Search(imapserver.NumKindUID, c, &imap.SearchOptions{})
	if err != nil {
		t.Fatalf("emailtest: search: %v", err)
	}
	uids, _ := data.All.(imap.UIDSet).Nums()
	out := make([]uint32, len(uids))
	for i, u := range uids {
		out[i] = uint32(u)
	}
	return out
}

var systemFlags = []imap.Flag{
	imap.FlagSeen, imap.FlagAnswered, imap.FlagFlagged, imap.FlagDeleted,
	imap.FlagDraft, imap.FlagForwarded, imap.FlagMDNSent, imap.FlagJunk,
	imap.FlagNotJunk, imap.FlagPhishing, imap.FlagImportant,
}

func canonicalFlag(f imap.Flag) imap.Flag {
	for _, sf := range systemFlags {
		if strings.EqualFold(string(f), string(sf)) {
			return sf
		}
	}
	return f
}

type literal struct{ *bytes.Reader }

func (l literal) Size() int64 { return l.Reader.Size() }

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}
