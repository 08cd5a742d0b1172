package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/intakehq/intake/configs"
	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/api"
	"github.com/intakehq/intake/ownership/dashboard"
	"github.com/intakehq/intake/routing"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// serveFlags are the command line of `intake serve`.
type serveFlags struct {
	config   string
	addr     string
	store    string
	logLevel string
}

func serveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f serveFlags
	fs.StringVar(&f.config, "config", "", "config file (default: built-in one-person setup)")
	fs.StringVar(&f.addr, "addr", "", "listen address HOST:PORT (overrides the config's listen)")
	fs.StringVar(&f.store, "store", "", "store URL sqlite:PATH or redis://… (overrides the config's store and INTAKE_STORE)")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		fmt.Fprintf(stderr, "intake serve: --log-level %q: want debug, info, warn or error\n", f.logLevel)
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if err := serve(ctx, f, logger, nil); err != nil {
		var ce *configs.Error
		if errors.As(err, &ce) {
			// The same lines check-config prints, one problem a line.
			fmt.Fprintln(stderr, err)
			fmt.Fprintln(stderr, "intake serve: the configuration has errors; nothing was started")
			return 1
		}
		logger.Error("intake serve stopped", "err", err)
		return 1
	}
	return 0
}

// serve runs the gateway until ctx ends, then drains and returns nil. When
// ready is not nil it receives the bound address once the server listens
// (tests use it with --addr 127.0.0.1:0).
func serve(ctx context.Context, f serveFlags, logger *slog.Logger, ready chan<- string) error {
	if f.config == "" {
		logger.Info("no --config: built-in setup with one local admin who owns every ticket")
	}
	cfg, w, err := prepare(f)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	defer ln.Close()

	store, err := openStore(ctx, cfg.Store, logger)
	if err != nil {
		return err
	}
	defer store.Close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	opts := w.opts
	opts.Store, opts.Logger, opts.Metrics = store, logger, ownership.NewMetrics(reg)
	opts.RepContacts = repContacts(cfg)
	// The service is built first (it queues only for the channels the
	// config names), then the channels over it.
	opts.Outbound = outboundKinds(cfg)
	if cfg.Channels.Twilio != nil {
		opts.AckTemplate = cfg.Channels.Twilio.AckTemplate
	}
	if cfg.Channels.Slack != nil {
		opts.AlertChannel = cfg.Channels.Slack.AlertChannel
	}
	svc, err := ownership.NewService(opts)
	if err != nil {
		return err
	}
	chans, err := buildChannels(cfg, svc, store, replicaID(ln.Addr().String()), logger)
	if err != nil {
		return err
	}
	if err := startupChecks(ctx, svc, logger); err != nil {
		return err
	}

	srv := &http.Server{
		Handler: newMux(svc, chans, &healthCheck{store: store, reporters: chans.health, now: time.Now}, w.tokens,
			dashboardUsers(cfg), strings.HasPrefix(cfg.PublicURL, "https://"), reg, logger),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	var wg sync.WaitGroup
	sweepCtx, stopSweeps := context.WithCancel(ctx)
	defer stopSweeps()
	wg.Add(3)
	sweepLease := ownership.NewLeaseKeeper(store, "sweep", replicaID(ln.Addr().String()), time.Minute, nil)
	go func() { defer wg.Done(); sweep(sweepCtx, svc, sweepLease, logger) }()
	go func() { defer wg.Done(); chans.reconcile(sweepCtx, store, logger) }()
	go func() {
		defer wg.Done()
		ownership.NewSender(svc, chans.repliers, ownership.SenderOptions{}).Run(sweepCtx)
	}()
	chans.run(sweepCtx, &wg)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	logger.Info("intake serving", "addr", ln.Addr().String(), "store", redact(cfg.Store), "auth", authMode(w.tokens))
	if ready != nil {
		ready <- ln.Addr().String()
	}
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down: draining requests")
	drainCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = srv.Shutdown(drainCtx)
	stopSweeps()
	wg.Wait()
	if err != nil {
		return fmt.Errorf("drain: %w", err)
	}
	logger.Info("stopped cleanly")
	return nil
}

// prepare is serve's startup validation, everything it checks before any
// I/O: the file, the command line and the environment (INTAKE_STORE,
// INTAKE_ADMIN_TOKEN) loaded and checked as one, every adapter's own
// checks included, then converted into the service's parts. check-config
// runs exactly this, so a configuration it accepts starts and one serve
// refuses is refused by it with the same lines.
func prepare(f serveFlags) (*configs.Config, *wiring, error) {
	cfg, err := configs.LoadWith(f.config, nil, configs.OverridesFromEnv(f.addr, f.store))
	if err != nil {
		return nil, nil, err
	}
	w, err := build(cfg)
	if err != nil {
		return nil, nil, err
	}
	if tok := cfg.AdminToken(); tok != "" {
		w.tokens = append(w.tokens, api.Token{Name: "INTAKE_ADMIN_TOKEN", Secret: tok, Role: routing.RoleManager, Rep: "admin"})
	}
	return cfg, w, nil
}

func authMode(tokens []api.Token) string {
	if len(tokens) == 0 {
		return "open (loopback only, no tokens configured)"
	}
	return fmt.Sprintf("%d bearer tokens", len(tokens))
}

// startupChecks moves tickets whose owner left the roster, and reports any
// ticket that breaks the one-owner promise.
func startupChecks(ctx context.Context, svc *ownership.Service, logger *slog.Logger) error {
	moved, err := svc.ReassignOrphans(ctx)
	if err != nil {
		return fmt.Errorf("reassign tickets of reps who left the roster: %w", err)
	}
	if moved > 0 {
		logger.Warn("tickets reassigned because their owner left the roster", "count", moved)
	}
	a, err := svc.Audit(ctx)
	if err != nil {
		return fmt.Errorf("startup audit: %w", err)
	}
	for _, t := range a.Unowned {
		logger.Error("ticket has no owner", "ticket", t.ID, "status", t.Status, "owner", t.Owner)
	}
	if len(a.AckOverdue) > 0 || len(a.SLABreached) > 0 {
		logger.Warn("tickets need attention", "ack_overdue", len(a.AckOverdue), "sla_breached", len(a.SLABreached))
	}
	return nil
}

// sweep lapses handoff offers nobody accepted in time and rehomes tickets
// whose owner left the roster (a replica may still run an older roster).
// Every step is a compare-and-set, so replicas can sweep at once.
func sweep(ctx context.Context, svc *ownership.Service, lease *ownership.LeaseKeeper, logger *slog.Logger) {
	offers := time.NewTicker(15 * time.Second)
	defer offers.Stop()
	orphans := time.NewTicker(time.Minute)
	defer orphans.Stop()
	escalations := time.NewTicker(20 * time.Second)
	defer escalations.Stop()
	defer lease.Release(context.WithoutCancel(ctx))
	for {
		select {
		case <-ctx.Done():
			return
		case <-offers.C:
			n, err := svc.LapseOffers(ctx)
			if err != nil && !errors.Is(err, context.Canceled) {
				logger.Warn("offer sweep failed", "err", err)
			}
			if n > 0 {
				logger.Info("handoff offers lapsed", "count", n)
			}
		case <-orphans.C:
			if _, err := svc.ReassignOrphans(ctx); err != nil && !errors.Is(err, context.Canceled) {
				logger.Warn("orphan sweep failed", "err", err)
			}
		case <-escalations.C:
			// One replica escalates at a time (each move is a
			// compare-and-set anyway; the lease keeps alerts from being
			// computed twice).
			if ok, err := lease.Acquire(ctx); err != nil || !ok {
				continue
			}
			n, err := svc.Escalate(ctx)
			if err != nil && !errors.Is(err, context.Canceled) {
				logger.Warn("escalation sweep failed", "err", err)
			}
			if n > 0 {
				logger.Warn("tickets escalated: owners did not acknowledge in time", "count", n)
			}
		}
	}
}

// dashboardUsers are the configured password sign-ins, each acting as its
// rep with the rep's role.
func dashboardUsers(cfg *configs.Config) []dashboard.User {
	roles := map[string]routing.Role{}
	for _, r := range cfg.Reps {
		roles[r.ID] = r.Role
	}
	var out []dashboard.User
	for _, u := range cfg.Dashboard.Users {
		out = append(out, dashboard.User{Name: u.Name, PasswordHash: u.PasswordHash.Value(), Role: roles[u.Rep], Rep: u.Rep})
	}
	return out
}
