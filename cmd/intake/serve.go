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

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/configs"
	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/api"
	"github.com/intakehq/intake/ownership/dashboard"
	"github.com/intakehq/intake/ownership/outbox"
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
// (tests use it with --addr 127.0.0.1:0). It only builds and starts: the
// ledger first (it needs to know only which channels are configured), then
// the channels over it, then the workers and the HTTP server.
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
	replica := replicaID(ln.Addr().String())

	store, err := openStore(ctx, cfg.Store, logger)
	if err != nil {
		return err
	}
	defer store.Close()
	reg := newRegistry()
	svc, err := newService(cfg, w, store, reg, logger)
	if err != nil {
		return err
	}
	chans, err := buildChannels(cfg, svc, store, replica, logger)
	if err != nil {
		return err
	}
	if err := startupChecks(ctx, svc, logger); err != nil {
		return err
	}

	health := &healthCheck{readOutbox: svc.Outbox, reporters: chans.health, now: time.Now}
	srv := newServer(newMux(svc, chans, health, w.tokens, dashboardUsers(cfg), strings.HasPrefix(cfg.PublicURL, "https://"), reg, logger), logger)
	stopWorkers := startWorkers(ctx, svc, chans, store, replica, logger)
	defer stopWorkers()
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
	stopWorkers()
	if err != nil {
		return fmt.Errorf("drain: %w", err)
	}
	logger.Info("stopped cleanly")
	return nil
}

// newRegistry is the metrics registry, with the Go runtime's and the
// process's collectors.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// newService builds the ledger over store. It queues replies and
// notifications only for the channels the config enables; the channels
// are built afterwards, over it.
func newService(cfg *configs.Config, w *wiring, store ownership.Store, reg prometheus.Registerer, logger *slog.Logger) (*ownership.Service, error) {
	opts := w.opts
	opts.Store, opts.Logger, opts.Metrics = store, logger, ownership.NewMetrics(reg)
	opts.RepContacts = repContacts(cfg)
	opts.Outbound = outboundKinds(cfg)
	return ownership.NewService(opts)
}

// newServer is the HTTP server with its timeouts.
func newServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// startWorkers runs the background work until the returned stop, which
// waits for it: the ledger's sweeps, the providers' reconciliation, the
// outbox sender and the channels' own workers (the mailbox reader, Slack).
func startWorkers(ctx context.Context, svc *ownership.Service, chans *channelSet, store ownership.Store, replica string, logger *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	run := func(work func(context.Context)) {
		wg.Add(1)
		go func() { defer wg.Done(); work(ctx) }()
	}
	run(ownership.NewSweeper(svc, ownership.SweeperOptions{Replica: replica, Logger: logger}).Run)
	run(channels.NewReconcileSchedule(chans.reconcilers, store, channels.ReconcileOptions{Logger: logger}).Run)
	run(outbox.New(store, svc, chans.repliers, outbox.Options{Logger: logger}).Run)
	for _, r := range chans.runners {
		run(r)
	}
	return func() { cancel(); wg.Wait() }
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
