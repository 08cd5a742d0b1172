// The mailbox reader end to end: a real IMAP server (emailtest)
// delivering into a real ledger on SQLite (and, for the hostile mailbox,
// on Redis too). It is an adapter-plus-ledger test, so it lives here with
// the other end-to-end tests rather than in the adapter's tree, which
// keeps channels/email's tests (and fuzz targets) free of the ledger and
// SQLite.

package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/channels/email"
	"github.com/intakehq/intake/channels/email/emailtest"
	"github.com/intakehq/intake/ownership"
	"github.com/stretchr/testify/require"
)

// ledger is a real ownership service on SQLite or Redis: what the reader
// delivers to.
type ledger struct {
	svc   reads
	store ownership.Store
}

// reads is what these tests use of the service: the reader's sink, and
// the reads that check what it delivered.
type reads interface {
	channels.Sink
	List(ctx context.Context, f ownership.Filter) (ownership.Page, error)
	Ticket(ctx context.Context, id string) (ownership.Ticket, error)
	Events(ctx context.Context, id string) ([]ownership.Event, error)
}

func newLedger(t testing.TB) *ledger {
	t.Helper()
	return newLedgerOn(t, "sqlite")
}

func (l *ledger) tickets(t testing.TB) []ownership.Ticket {
	t.Helper()
	var all []ownership.Ticket
	f := ownership.Filter{Limit: 1000}
	for {
		p, err := l.svc.List(context.Background(), f)
		require.NoError(t, err)
		all = append(all, p.Tickets...)
		if p.Next == "" {
			return all
		}
		f.Cursor = p.Next
	}
}

// messageIDs maps each inbound Message-ID on any ticket to its tickets.
func (l *ledger) messageIDs(t testing.TB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, tk := range l.tickets(t) {
		evs, err := l.svc.Events(context.Background(), tk.ID)
		require.NoError(t, err)
		for _, ev := range evs {
			if ev.Type == ownership.EventMessageIn {
				out[ev.ProviderID] = append(out[ev.ProviderID], tk.ID)
			}
		}
	}
	return out
}

type runningReader struct {
	*email.Reader
	stop func()
}

func startReader(t testing.TB, srv *emailtest.IMAPServer, l *ledger, holder string, tune ...func(*email.ReaderConfig)) *runningReader {
	t.Helper()
	cfg := email.ReaderConfig{Addr: srv.Addr(), TLS: email.TLSNone, Username: emailtest.Username, Password: emailtest.Password,
		Ours: []string{"help@northwind.example"}, RenewInterval: 200 * time.Millisecond, PollInterval: 100 * time.Millisecond}
	for _, f := range tune {
		f(&cfg)
	}
	lease := ownership.NewLeaseKeeper(l.store, "email:help", holder, 2*time.Second, nil)
	r, err := email.NewReader(cfg, l.svc, lease, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); r.Run(ctx) }()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); wg.Wait() }) }
	t.Cleanup(stop)
	return &runningReader{Reader: r, stop: stop}
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitSeen(t testing.TB, srv *emailtest.IMAPServer, n int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d messages \\Seen", n), func() bool { seen, _ := srv.Seen(t); return seen >= n })
}

func rawMail(mid, from, subject, body string, extra ...string) []byte {
	h := fmt.Sprintf("From: %s\r\nTo: help@northwind.example\r\nSubject: %s\r\nMessage-ID: <%s>\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\n", from, subject, mid)
	for _, e := range extra {
		h += e + "\r\n"
	}
	return []byte(h + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n")
}

func TestReaderTakesMailInOrderAndMarksSeen(t *testing.T) {
	srv := emailtest.StartIMAP(t)
	l := newLedger(t)
	srv.Append(t, rawMail("m1@acmedental.example", "Pat <pat@acmedental.example>", "Printer jammed", "It is jammed."))
	srv.Append(t, rawMail("m2@acmedental.example", "Pat <pat@acmedental.example>", "Re: Printer jammed", "Still jammed.\r\n\r\nOn Mon, Pat wrote:\r\n> It is jammed.", "In-Reply-To: <m1@acmedental.example>"))
	srv.Append(t, rawMail("m3@acmedental.example", "pat@acmedental.example", "Out of office", "Away", "Auto-Submitted: auto-replied"))
	r := startReader(t, srv, l, "a")
	waitSeen(t, srv, 3)

	tks := l.tickets(t)
	require.Len(t, tks, 1, "the reply joins, the auto-reply opens nothing")
	evs, err := l.svc.Events(context.Background(), tks[0].ID)
	require.NoError(t, err)
	require.Equal(t, "Still jammed.", evs[2].Body, "quoted history is trimmed from the new text")
	require.Contains(t, evs[2].Meta["full_text"], "> It is jammed.", "and kept in full")
	st := r.Stats()
	require.Equal(t, 3, st.Fetched)
	require.Equal(t, 1, st.Tickets)
	require.Equal(t, 1, st.Joined)
	require.Equal(t, 1, st.Ignored)

	// New mail while idling arrives without polling.
	srv.Append(t, rawMail("m4@acmedental.example", "Sam <sam@acmedental.example>", "VPN", "VPN down"))
	waitSeen(t, srv, 4)
	require.Len(t, l.tickets(t), 2)
	waitFor(t, "the checkpoint at UID 4", func() bool { return r.Stats().LastUID == 4 })
	v, err := l.store.Flag(context.Background(), "email:checkpoint:"+emailtest.Username+":INBOX")
	require.NoError(t, err)
	require.Equal(t, fmt.Sprintf("%d:4", srv.UIDValidity()), v)
}

func TestReaderReconnectsAfterServerRestart(t *testing.T) {
	srv := emailtest.StartIMAP(t)
	l := newLedger(t)
	srv.Append(t, rawMail("r1@acmedental.example", "pat@acmedental.example", "First", "one"))
	r := startReader(t, srv, l, "a")
	waitSeen(t, srv, 1)

	srv.Stop() // the reader's idling connection drops
	srv.Append(t, rawMail("r2@acmedental.example", "sam@acmedental.example", "During the outage", "two"))
	time.Sleep(300 * time.Millisecond) // a reconnect attempt or two fail
	srv.Restart(t)
	waitSeen(t, srv, 2)
	require.Len(t, l.tickets(t), 2)
	require.GreaterOrEqual(t, r.Stats().Connects, 2)
}

func TestReaderPollsWithoutIDLE(t *testing.T) {
	srv := emailtest.StartIMAP(t, emailtest.WithoutIDLE())
	l := newLedger(t)
	startReader(t, srv, l, "a")
	srv.Append(t, rawMail("p1@acmedental.example", "pat@acmedental.example", "Polled", "one"))
	waitSeen(t, srv, 1)
	require.Len(t, l.tickets(t), 1)
}

func TestReaderRescansAfterUIDValidityChange(t *testing.T) {
	srv := emailtest.StartIMAP(t)
	l := newLedger(t)
	for i := 1; i <= 3; i++ {
		srv.Append(t, rawMail(fmt.Sprintf("u%d@acmedental.example", i), "pat@acmedental.example", fmt.Sprintf("Issue %d", i), "text"))
	}
	r := startReader(t, srv, l, "a")
	waitSeen(t, srv, 3)
	r.stop()

	srv.ResetUIDValidity(t) // the same mail, renumbered, unseen again
	srv.Append(t, rawMail("u4@acmedental.example", "pat@acmedental.example", "Issue 4", "text"))
	r = startReader(t, srv, l, "a")
	waitSeen(t, srv, 4)
	require.Len(t, l.tickets(t), 4, "the rescan doubles nothing")
	for mid, ids := range l.messageIDs(t) {
		require.Len(t, ids, 1, mid)
	}
	require.Equal(t, 3, r.Stats().Duplicate)
}

func TestReaderKeepsUnparseableMailForReview(t *testing.T) {
	srv := emailtest.StartIMAP(t)
	l := newLedger(t)
	srv.Append(t, []byte("From: pat@acmedental.example\r\nSubject: broken\r\nMessage-ID: <b1@acmedental.example>\r\nContent-Type: multipart/mixed; boundary=\"zz\"\r\n\r\n--zz\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n"))
	srv.Append(t, []byte("this is not\x00 a mail header\r\n\r\nbody"))
	srv.Append(t, rawMail("b3@acmedental.example", "pat@acmedental.example", "After", "fine"))
	r := startReader(t, srv, l, "a")
	waitSeen(t, srv, 3)
	tks := l.tickets(t)
	require.Len(t, tks, 3, "nothing is dropped and the queue moves on")
	review := 0
	for _, tk := range tks {
		if tk.Review != "" {
			review++
		}
	}
	require.GreaterOrEqual(t, review, 1)
	require.Equal(t, review, r.Stats().Review)
}

func TestReaderOneReplicaAtATime(t *testing.T) {
	srv := emailtest.StartIMAP(t)
	l := newLedger(t)
	a := startReader(t, srv, l, "replica-a")
	b := startReader(t, srv, l, "replica-b")
	for i := 0; i < 5; i++ {
		srv.Append(t, rawMail(fmt.Sprintf("o%d@acmedental.example", i), "pat@acmedental.example", fmt.Sprintf("Issue %d", i), "x"))
	}
	waitSeen(t, srv, 5)
	// \Seen is set before the checkpoint is saved: wait for that too.
	waitFor(t, "the checkpoint at UID 5", func() bool { return max(a.Stats().LastUID, b.Stats().LastUID) == 5 })
	sa, sb := a.Stats(), b.Stats()
	require.Equal(t, 5, sa.Fetched+sb.Fetched)
	require.True(t, sa.Connects == 0 || sb.Connects == 0, "only the lease holder connects: %d and %d", sa.Connects, sb.Connects)

	// The holder stops (releasing the lease); the other takes over.
	holder, other := a, b
	if sa.Connects == 0 {
		holder, other = b, a
	}
	holder.stop()
	srv.Append(t, rawMail("o9@acmedental.example", "pat@acmedental.example", "After handover", "x"))
	waitSeen(t, srv, 6)
	require.Equal(t, 1, other.Stats().Fetched, "the new holder resumes from the checkpoint")
	require.Len(t, l.tickets(t), 6)
}

func TestReaderRefusesPlainTextOffLoopback(t *testing.T) {
	_, err := email.NewReader(email.ReaderConfig{Addr: "mail.example.com:143", TLS: email.TLSNone}, newLedger(t).svc,
		ownership.NewLeaseKeeper(nil, "x", "y", time.Second, nil), slog.New(slog.DiscardHandler))
	require.ErrorContains(t, err, "clear text")
	require.True(t, strings.Contains(err.Error(), "loopback"))
}

// BenchmarkReaderIngest reads a local IMAP mailbox of 2,000 varied mails
// into a SQLite ledger: msgs/s is the figure quoted in the README.
func BenchmarkReaderIngest(b *testing.B) {
	corpus := emailtest.Corpus(1, 2000, emailtest.CorpusOptions{})
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		srv := emailtest.StartIMAP(b)
		for _, m := range corpus {
			srv.Append(b, m.Raw)
		}
		l := newLedger(b)
		b.StartTimer()
		start := time.Now()
		r := startReader(b, srv, l, "bench", func(c *email.ReaderConfig) { c.Batch = 200 })
		for r.Stats().LastUID < uint32(len(corpus)) {
			time.Sleep(time.Millisecond)
		}
		total += time.Since(start)
		b.StopTimer()
		r.stop()
		if got := r.Stats().Fetched; got != len(corpus) {
			b.Fatalf("fetched %d of %d", got, len(corpus))
		}
	}
	b.ReportMetric(float64(len(corpus)*b.N)/total.Seconds(), "msgs/s")
}

// The reader speaks TLS from the first byte or upgrades with STARTTLS,
// verifying the server's certificate; the test servers refuse LOGIN
// without TLS, so a pass means the password went encrypted.
func TestReaderTLS(t *testing.T) {
	for name, tc := range map[string]struct {
		opt  emailtest.IMAPOption
		mode email.TLSMode
	}{
		"implicit": {emailtest.WithImplicitTLS(), email.TLSImplicit},
		"starttls": {emailtest.WithSTARTTLS(), email.TLSStartTLS},
	} {
		t.Run(name, func(t *testing.T) {
			srv := emailtest.StartIMAP(t, tc.opt)
			l := newLedger(t)
			srv.Append(t, rawMail("t1@acmedental.example", "pat@acmedental.example", "Over TLS", "secret"))
			startReader(t, srv, l, "a", func(c *email.ReaderConfig) { c.TLS, c.TLSConfig = tc.mode, srv.TLSConfig() })
			waitSeen(t, srv, 1)
			require.Len(t, l.tickets(t), 1)
		})
	}
	t.Run("untrusted certificate", func(t *testing.T) {
		srv := emailtest.StartIMAP(t, emailtest.WithImplicitTLS())
		l := newLedger(t)
		srv.Append(t, rawMail("t2@acmedental.example", "pat@acmedental.example", "Over TLS", "secret"))
		r := startReader(t, srv, l, "a", func(c *email.ReaderConfig) { c.TLS = email.TLSImplicit })
		time.Sleep(500 * time.Millisecond)
		require.Zero(t, r.Stats().Connects, "a certificate the system does not trust is refused")
		seen, _ := srv.Seen(t)
		require.Zero(t, seen)
	})
}

// With a processed folder, mail leaves the inbox once it is stored.
func TestReaderMovesProcessedMail(t *testing.T) {
	srv := emailtest.StartIMAP(t)
	l := newLedger(t)
	for i := 1; i <= 3; i++ {
		srv.Append(t, rawMail(fmt.Sprintf("mv%d@acmedental.example", i), "pat@acmedental.example", fmt.Sprintf("Issue %d", i), "x"))
	}
	r := startReader(t, srv, l, "a", func(c *email.ReaderConfig) { c.Processed = "Processed" })
	waitFor(t, "the inbox to empty", func() bool { _, total := srv.Seen(t); return total == 0 })
	require.Len(t, l.tickets(t), 3)
	srv.Append(t, rawMail("mv4@acmedental.example", "pat@acmedental.example", "Issue 4", "x"))
	waitFor(t, "the new mail to move", func() bool { _, total := srv.Seen(t); return total == 0 && r.Stats().Fetched == 4 })
	require.Len(t, l.tickets(t), 4)
}
