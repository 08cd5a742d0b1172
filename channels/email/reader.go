package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
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
	if err := c.Validate(); err != nil {
		return err
	}
	if c.TLS == "" {
		c.TLS = TLSImplicit
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

	mu     sync.Mutex
	stats  ReaderStats
	health mailboxState // for Health
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
	r.health.set("connecting", nil, r.cfg.Now())
	backoff := time.Second
	for ctx.Err() == nil {
		ok, err := r.lease.Acquire(ctx)
		switch {
		case err != nil:
			r.logger.Warn("mailbox lease unavailable", "err", err)
			r.health.set("down", fmt.Errorf("mailbox lease: %w", err), r.cfg.Now())
		case !ok:
			r.logger.Debug("another replica reads the mailbox")
			r.health.set("standby", nil, r.cfg.Now())
		}
		if err != nil || !ok {
			channels.Sleep(ctx, r.cfg.RenewInterval)
			continue
		}
		start := time.Now()
		err = r.session(ctx)
		if ctx.Err() != nil {
			return
		}
		r.health.ended(err, r.cfg.Now())
		if time.Since(start) > time.Minute {
			backoff = time.Second
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		r.logger.Warn("mailbox session ended; reconnecting", "err", err, "retry_in", wait.Round(time.Millisecond))
		channels.Sleep(ctx, wait)
		backoff = min(backoff*2, time.Minute)
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
	r.health.set("connected", nil, r.cfg.Now())
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
			channels.Sleep(ctx, min(r.cfg.PollInterval, r.cfg.RenewInterval))
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
