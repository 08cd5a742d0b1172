package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/intakehq/intake/channels"
)

// Lease keeps readers on other replicas out of the mailbox and fences the
// checkpoint: once another replica has taken the lease, Save fails and
// this reader stops.
type Lease interface {
	// Acquire takes or renews the lease; false when another holder has it.
	Acquire(ctx context.Context) (bool, error)
	// Release gives the lease up (at shutdown).
	Release(ctx context.Context)
	// Load returns the value saved under key, "" when none.
	Load(ctx context.Context, key string) (string, error)
	// Save stores value under key while the lease is still ours.
	Save(ctx context.Context, key, value string) error
}

// ReaderConfig configures the mailbox reader.
type ReaderConfig struct {
	Addr      string  // host:port
	TLS       TLSMode // implicit (default), starttls or none (loopback only)
	TLSConfig *tls.Config
	Username  string
	Password  string
	Mailbox   string // default INBOX
	// Processed, when set, is the mailbox processed mail is moved to.
	Processed string
	// Ours are the addresses we send from and receive on (loop control).
	Ours []string

	PollInterval  time.Duration // between checks when the server lacks IDLE; default 30s
	RenewInterval time.Duration // lease renewal, also the longest IDLE between checks; default 20s
	Batch         int           // messages fetched per round; default 50
	MaxSize       int64         // bytes of one message fetched; default 10 MiB
	Timeout       time.Duration // one IMAP command; default 2m
	Parse         ParseOptions
	Now           func() time.Time
}

func (c *ReaderConfig) defaults() error {
	if c.Addr == "" {
		return errors.New("email reader: addr is required")
	}
	if c.TLS == "" {
		c.TLS = TLSImplicit
	}
	switch c.TLS {
	case TLSImplicit, TLSStartTLS:
	case TLSNone:
		if host, _, err := net.SplitHostPort(c.Addr); err != nil || !isLoopbackHost(host) {
			return fmt.Errorf("email reader: tls none would send the password in clear text to %s; it is allowed only for a loopback address", c.Addr)
		}
	default:
		return fmt.Errorf("email reader: tls %q: want implicit, starttls or none", c.TLS)
	}
	if c.Mailbox == "" {
		c.Mailbox = "INBOX"
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 30 * time.Second
	}
	if c.RenewInterval <= 0 {
		c.RenewInterval = 20 * time.Second
	}
	if c.Batch <= 0 {
		c.Batch = 50
	}
	if c.MaxSize <= 0 {
		c.MaxSize = 10 << 20
	}
	if c.Timeout <= 0 {
		c.Timeout = 2 * time.Minute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// ReaderStats counts what the reader did, for logs, metrics and tests.
type ReaderStats struct {
	Fetched   int // messages handed to the ledger
	Tickets   int // of which opened a ticket
	Joined    int // joined an existing ticket
	Ignored   int // automated mail that threaded nowhere
	Review    int // could not be parsed; kept for review
	Duplicate int // seen before (a re-fetch)
	Connects  int // successful logins
	LastUID   uint32
}

// Reader takes mail from one IMAP mailbox into the ledger: in UID order,
// each message stored before it is marked \Seen, with a checkpoint of
// UIDVALIDITY and the last UID processed, using IDLE when the server has
// it and polling otherwise, reconnecting with backoff after any failure.
type Reader struct {
	cfg    ReaderConfig
	sink   channels.Sink
	lease  Lease
	logger *slog.Logger

	mu    sync.Mutex
	stats ReaderStats
}

// NewReader returns a Reader delivering to sink. lease coordinates
// replicas and keeps the checkpoint.
func NewReader(cfg ReaderConfig, sink channels.Sink, lease Lease, logger *slog.Logger) (*Reader, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if sink == nil || lease == nil {
		return nil, errors.New("email reader: a sink and a lease are required")
	}
	return &Reader{cfg: cfg, sink: sink, lease: lease, logger: logger.With("channel", "email", "mailbox", cfg.Mailbox)}, nil
}

// Stats returns a copy of the counters.
func (r *Reader) Stats() ReaderStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

func (r *Reader) count(f func(*ReaderStats)) {
	r.mu.Lock()
	f(&r.stats)
	r.mu.Unlock()
}

// errLeaseLost ends a session when another replica took the mailbox.
var errLeaseLost = errors.New("the mailbox lease went to another replica")

// Run reads the mailbox until ctx is done. It holds the lease while it
// reads; without it, it waits and tries again.
func (r *Reader) Run(ctx context.Context) {
	defer r.lease.Release(context.WithoutCancel(ctx))
	backoff := time.Second
	for ctx.Err() == nil {
		ok, err := r.lease.Acquire(ctx)
		switch {
		case err != nil:
			r.logger.Warn("mailbox lease unavailable", "err", err)
		case !ok:
			r.logger.Debug("another replica reads the mailbox")
		}
		if err != nil || !ok {
			sleep(ctx, r.cfg.RenewInterval)
			continue
		}
		start := time.Now()
		err = r.session(ctx)
		if ctx.Err() != nil {
			return
		}
		if time.Since(start) > time.Minute {
			backoff = time.Second
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		r.logger.Warn("mailbox session ended; reconnecting", "err", err, "retry_in", wait.Round(time.Millisecond))
		sleep(ctx, wait)
		backoff = min(backoff*2, time.Minute)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// session is one connection: log in, select, catch up, then wait for new
// mail and catch up again, until an error or ctx.
func (r *Reader) session(ctx context.Context) error {
	newMail := make(chan struct{}, 1)
	opts := &imapclient.Options{
		TLSConfig: r.cfg.TLSConfig,
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					select {
					case newMail <- struct{}{}:
					default:
					}
				}
			},
		},
	}
	c, err := r.dial(ctx, opts)
	if err != nil {
		return err
	}
	defer c.Close()
	// Commands block without a context: closing the client unblocks them.
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()

	if err := r.do(c, func() error { return c.Login(r.cfg.Username, r.cfg.Password).Wait() }); err != nil {
		return fmt.Errorf("log in as %s: %w", r.cfg.Username, err)
	}
	var sel *imap.SelectData
	if err := r.do(c, func() (err error) { sel, err = c.Select(r.cfg.Mailbox, nil).Wait(); return err }); err != nil {
		return fmt.Errorf("select %s: %w", r.cfg.Mailbox, err)
	}
	if r.cfg.Processed != "" {
		// The folder processed mail moves to; one that exists already
		// answers NO [ALREADYEXISTS] (or a plain NO on older servers),
		// and a move into a folder that truly is missing fails loudly.
		if err := r.do(c, func() error { return c.Create(r.cfg.Processed, nil).Wait() }); err != nil {
			r.logger.Debug("processed folder not created", "folder", r.cfg.Processed, "err", err)
		}
	}
	r.count(func(s *ReaderStats) { s.Connects++ })
	idle := c.Caps().Has(imap.CapIdle) || c.Caps().Has(imap.CapIMAP4rev2)
	r.logger.Info("mailbox connected", "uidvalidity", sel.UIDValidity, "messages", sel.NumMessages, "idle", idle)

	cp, err := r.checkpoint(ctx, sel.UIDValidity)
	if err != nil {
		return err
	}
	for {
		if err := r.catchUp(ctx, c, &cp); err != nil {
			return err
		}
		if ok, err := r.lease.Acquire(ctx); err != nil || !ok {
			return errors.Join(errLeaseLost, err)
		}
		if idle {
			err = r.idle(ctx, c, newMail)
		} else {
			sleep(ctx, min(r.cfg.PollInterval, r.cfg.RenewInterval))
			err = r.do(c, func() error { return c.Noop().Wait() })
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			return err
		}
	}
}

func (r *Reader) dial(ctx context.Context, opts *imapclient.Options) (*imapclient.Client, error) {
	d := net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", r.cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", r.cfg.Addr, err)
	}
	host, _, _ := net.SplitHostPort(r.cfg.Addr)
	tlsCfg := r.cfg.TLSConfig.Clone()
	if tlsCfg == nil {
		tlsCfg = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if tlsCfg.ServerName == "" {
		tlsCfg.ServerName = host
	}
	opts.TLSConfig = tlsCfg
	var c *imapclient.Client
	switch r.cfg.TLS {
	case TLSImplicit:
		c = imapclient.New(tls.Client(conn, tlsCfg), opts)
	case TLSStartTLS:
		c, err = imapclient.NewStartTLS(conn, opts)
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("starttls with %s: %w", r.cfg.Addr, err)
		}
	default:
		c = imapclient.New(conn, opts)
	}
	if err := r.do(c, c.WaitGreeting); err != nil {
		c.Close()
		return nil, fmt.Errorf("greeting from %s: %w", r.cfg.Addr, err)
	}
	return c, nil
}

// do runs one command, closing the connection if it takes longer than the
// command timeout (a server that stopped answering).
func (r *Reader) do(c *imapclient.Client, f func() error) error {
	t := time.AfterFunc(r.cfg.Timeout, func() { c.Close() })
	defer t.Stop()
	return f()
}

// idle waits in IDLE until the server reports new mail or it is time to
// renew the lease.
func (r *Reader) idle(ctx context.Context, c *imapclient.Client, newMail <-chan struct{}) error {
	var cmd *imapclient.IdleCommand
	if err := r.do(c, func() (err error) { cmd, err = c.Idle(); return err }); err != nil {
		return fmt.Errorf("idle: %w", err)
	}
	t := time.NewTimer(r.cfg.RenewInterval)
	defer t.Stop()
	select {
	case <-newMail:
	case <-t.C:
	case <-ctx.Done():
	case <-c.Closed():
	}
	return r.do(c, func() error {
		if err := cmd.Close(); err != nil {
			return fmt.Errorf("end idle: %w", err)
		}
		return cmd.Wait()
	})
}

// checkpoint is where the reader is in the mailbox.
type checkpoint struct {
	validity uint32
	last     imap.UID
}

func (r *Reader) checkpointKey() string {
	return "email:checkpoint:" + strings.ToLower(r.cfg.Username) + ":" + r.cfg.Mailbox
}

// checkpoint loads the saved position. A different UIDVALIDITY means the
// UIDs were renumbered: start from the first message again; Message-ID
// dedupe keeps what was taken before from being doubled.
func (r *Reader) checkpoint(ctx context.Context, validity uint32) (checkpoint, error) {
	v, err := r.lease.Load(ctx, r.checkpointKey())
	if err != nil {
		return checkpoint{}, fmt.Errorf("load mailbox checkpoint: %w", err)
	}
	cp := checkpoint{validity: validity}
	if v == "" {
		return cp, nil
	}
	vs, ls, _ := strings.Cut(v, ":")
	saved, err1 := strconv.ParseUint(vs, 10, 32)
	last, err2 := strconv.ParseUint(ls, 10, 32)
	if err1 != nil || err2 != nil {
		r.logger.Warn("mailbox checkpoint unreadable; rescanning", "value", v)
		return cp, nil
	}
	if uint32(saved) != validity {
		r.logger.Warn("mailbox UIDVALIDITY changed; rescanning, duplicates are recognised by Message-ID",
			"was", saved, "now", validity)
		return cp, nil
	}
	cp.last = imap.UID(last)
	return cp, nil
}

// catchUp takes in every message after the checkpoint, a batch at a time,
// in UID order.
func (r *Reader) catchUp(ctx context.Context, c *imapclient.Client, cp *checkpoint) error {
	for ctx.Err() == nil {
		var found *imap.SearchData
		err := r.do(c, func() (err error) {
			set := imap.UIDSet{imap.UIDRange{Start: cp.last + 1, Stop: 0}}
			found, err = c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{set}}, nil).Wait()
			return err
		})
		if err != nil {
			return fmt.Errorf("search new mail: %w", err)
		}
		var uids []imap.UID
		for _, u := range found.AllUIDs() {
			// "n:*" always matches the highest UID, even one below n.
			if u > cp.last {
				uids = append(uids, u)
			}
		}
		if len(uids) == 0 {
			return nil
		}
		slices.Sort(uids)
		if len(uids) > r.cfg.Batch {
			uids = uids[:r.cfg.Batch]
		}
		if err := r.batch(ctx, c, cp, uids); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// batch fetches uids, hands each message to the ledger in UID order, then
// marks them \Seen (and moves them) and saves the checkpoint. A crash in
// between fetches them again; the ledger recognises them.
func (r *Reader) batch(ctx context.Context, c *imapclient.Client, cp *checkpoint, uids []imap.UID) error {
	section := &imap.FetchItemBodySection{Peek: true, Partial: &imap.SectionPartial{Offset: 0, Size: r.cfg.MaxSize}}
	opts := &imap.FetchOptions{UID: true, RFC822Size: true, BodySection: []*imap.FetchItemBodySection{section}}
	var done []imap.UID
	err := r.do(c, func() error {
		cmd := c.Fetch(imap.UIDSetNum(uids...), opts)
		defer cmd.Close()
		for {
			msg := cmd.Next()
			if msg == nil {
				break
			}
			buf, err := msg.Collect()
			if err != nil {
				return err
			}
			if buf.UID == 0 {
				continue
			}
			raw := buf.FindBodySection(section)
			if err := r.ingest(ctx, buf.UID, raw, buf.RFC822Size); err != nil {
				return err
			}
			done = append(done, buf.UID)
		}
		return cmd.Close()
	})
	if err != nil && len(done) == 0 {
		return fmt.Errorf("fetch mail: %w", err)
	}
	// Messages the server listed but did not return (expunged meanwhile)
	// are passed over; fetched ones are marked even if a later one failed.
	if len(done) > 0 {
		if merr := r.mark(c, done); merr != nil {
			return errors.Join(err, merr)
		}
	}
	if err != nil {
		return fmt.Errorf("fetch mail: %w", err)
	}
	last := slices.Max(uids)
	if err := r.lease.Save(ctx, r.checkpointKey(), fmt.Sprintf("%d:%d", cp.validity, last)); err != nil {
		return fmt.Errorf("save mailbox checkpoint: %w", err)
	}
	cp.last = last
	r.count(func(s *ReaderStats) { s.LastUID = uint32(last) })
	return nil
}

// mark flags processed messages \Seen and moves them when configured.
func (r *Reader) mark(c *imapclient.Client, uids []imap.UID) error {
	set := imap.UIDSetNum(uids...)
	err := r.do(c, func() error {
		return c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close()
	})
	if err != nil {
		return fmt.Errorf("mark mail seen: %w", err)
	}
	if r.cfg.Processed != "" {
		if err := r.do(c, func() error { _, err := c.Move(set, r.cfg.Processed).Wait(); return err }); err != nil {
			return fmt.Errorf("move mail to %s: %w", r.cfg.Processed, err)
		}
	}
	return nil
}

// ingest hands one message to the ledger. A message the ledger refuses
// as invalid is handed over again as raw text for review rather than
// blocking the mailbox; any other error (the store is down) stops the
// batch so the message is fetched again.
func (r *Reader) ingest(ctx context.Context, uid imap.UID, raw []byte, size int64) error {
	p, perr := Parse(raw, r.cfg.Parse)
	m := Inbound(p, perr, raw, r.cfg.Ours, r.cfg.Now())
	if size > int64(len(raw)) {
		m.Meta["truncated"] = "true"
		m.Meta["size"] = strconv.FormatInt(size, 10)
	}
	ref, err := r.sink.Accept(ctx, m)
	if errors.Is(err, channels.ErrRejected) {
		r.logger.Warn("ledger refused a mail; keeping it for review", "uid", uid, "err", err)
		m = Inbound(p, fmt.Errorf("refused: %w", err), raw, r.cfg.Ours, r.cfg.Now())
		if m.Meta[channels.MetaReview] != "" && m.Text == "" {
			m.Text = "(empty)"
		}
		m.Event = ""
		delete(m.Meta, channels.MetaAutomated)
		ref, err = r.sink.Accept(ctx, m)
		if errors.Is(err, channels.ErrRejected) {
			// Not even its raw text can be stored: say so loudly and move
			// on; the mail stays in the mailbox.
			r.logger.Error("mail could not be stored even as raw text; left in the mailbox", "uid", uid,
				"message_id", m.Meta[channels.MetaMessageID], "err", err)
			r.count(func(s *ReaderStats) { s.Fetched++; s.Review++ })
			return nil
		}
	}
	if err != nil {
		return fmt.Errorf("store mail uid %d: %w", uid, err)
	}
	r.count(func(s *ReaderStats) {
		s.Fetched++
		switch {
		case ref.Duplicate:
			s.Duplicate++
		case m.Meta[channels.MetaReview] != "":
			s.Review++
		case ref.Created:
			s.Tickets++
		case ref.ID != "":
			s.Joined++
		default:
			s.Ignored++
		}
	})
	r.logger.Debug("mail taken in", "uid", uid, "ticket", ref.ID, "created", ref.Created, "duplicate", ref.Duplicate,
		"automated", m.Meta[channels.MetaAutomated])
	return nil
}
