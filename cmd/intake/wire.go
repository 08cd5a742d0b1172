package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/configs"
	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/api"
	"github.com/intakehq/intake/ownership/redisstore"
	"github.com/intakehq/intake/ownership/sqlitestore"
	"github.com/intakehq/intake/routing"
)

// wiring is what the config turns into, before any I/O.
type wiring struct {
	router *routing.Router
	opts   ownership.Options // without Store, Now, Logger, Metrics
	tokens []api.Token
}

// build converts a loaded config into the parts of the service. It is
// what check-config runs too, so a config it accepts starts.
func build(cfg *configs.Config) (*wiring, error) {
	rc, err := cfg.Routing()
	if err != nil {
		return nil, err
	}
	router, err := routing.New(rc)
	if err != nil {
		return nil, fmt.Errorf("routing: %w", err)
	}
	w := &wiring{router: router}
	w.opts.Router = router
	w.opts.Availability = map[string]routing.Availability{}
	for _, r := range cfg.Reps {
		w.opts.Availability[r.ID] = r.Availability
	}
	for _, o := range cfg.Orgs {
		w.opts.Orgs = append(w.opts.Orgs, ownership.Org{ID: o.ID, Name: o.Name, Plan: string(o.Plan),
			AccountManager: o.AccountManager, Domains: o.Domains, Phones: o.Phones})
	}
	for _, c := range cfg.Contacts {
		w.opts.Contacts = append(w.opts.Contacts, ownership.ContactLink{Name: c.Name, Emails: c.Emails,
			Phones: c.Phones, SlackUser: c.SlackUser, Org: c.Org})
	}
	w.opts.TechScope = ownership.TechScope(cfg.API.TechScope)
	w.opts.AckTemplate, w.opts.AckTemplates = ackTemplates(cfg)
	w.opts.Policy = policy(cfg)
	w.opts.Policy.Calendar = routing.Calendar{Hours: rc.BusinessHours, Holidays: map[string]bool{}}
	for _, d := range cfg.SLA.Holidays {
		w.opts.Policy.Calendar.Holidays[d] = true
	}
	for _, t := range cfg.API.Tokens {
		w.tokens = append(w.tokens, api.Token{Name: t.Name, Secret: t.Token.Value(), Role: t.Role, Rep: t.Rep})
	}
	return w, nil
}

// ackTemplates are the auto-acknowledgement templates: acks.template on
// every channel, and channels.twilio.ack_template over it for SMS alone.
func ackTemplates(cfg *configs.Config) (string, map[channels.Kind]string) {
	per := map[channels.Kind]string{}
	if t := cfg.Channels.Twilio; t != nil && t.AckTemplate != "" {
		per[channels.SMS] = t.AckTemplate
	}
	return cfg.Acks.Template, per
}

var priorities = []ownership.Priority{ownership.PriorityUrgent, ownership.PriorityHigh, ownership.PriorityNormal, ownership.PriorityLow}

func policy(cfg *configs.Config) ownership.Policy {
	p := ownership.Policy{
		AckTimeout:    map[ownership.Priority]time.Duration{},
		TransferOffer: cfg.TransferOffer(),
		Plans:         map[string]ownership.PlanSLA{},
	}
	if s := cfg.Channels.Slack; s != nil && s.AlertChannel != "" {
		p.AlertTo = ownership.Destination{Kind: channels.Slack, To: s.AlertChannel}
	}
	for _, pr := range priorities {
		p.AckTimeout[pr] = cfg.AckTimeout(string(pr))
	}
	plans := map[string]configs.PlanSLA{
		string(configs.PlanManaged):  cfg.SLA.Plans.Managed,
		string(configs.PlanBreakFix): cfg.SLA.Plans.BreakFix,
		string(configs.PlanPrepaid):  cfg.SLA.Plans.Prepaid,
	}
	for name, ps := range plans {
		sla := ownership.PlanSLA{FirstResponse: map[ownership.Priority]time.Duration{}, Resolution: map[ownership.Priority]time.Duration{},
			BusinessHours: ps.BusinessHours}
		for _, pr := range priorities {
			if d := ps.FirstResponse.For(string(pr)); d > 0 {
				sla.FirstResponse[pr] = d
			}
			if d := ps.Resolution.For(string(pr)); d > 0 {
				sla.Resolution[pr] = d
			}
		}
		p.Plans[name] = sla
	}
	return p
}

// storeOpener opens one kind of store from its URL.
type storeOpener func(ctx context.Context, u string, logger *slog.Logger) (ownership.Store, error)

// stores maps a store URL scheme to its backend: one line per backend, no
// registration magic; an unknown scheme is a config error.
var stores = map[string]storeOpener{
	"sqlite": func(ctx context.Context, u string, logger *slog.Logger) (ownership.Store, error) {
		return sqlitestore.Open(ctx, strings.TrimPrefix(u, "sqlite:"), logger)
	},
	"redis":  openRedis,
	"rediss": openRedis,
}

func openRedis(ctx context.Context, u string, logger *slog.Logger) (ownership.Store, error) {
	s, err := redisstore.Open(ctx, u, logger)
	if err != nil {
		return nil, err
	}
	aof, fsync, err := s.Durability(ctx)
	switch {
	case err != nil:
		logger.Warn("cannot read Redis persistence settings; make sure AOF is on", "err", err)
	case !aof:
		logger.Warn("Redis runs without AOF persistence: accepted tickets can be lost if Redis restarts; set appendonly yes (and appendfsync always or everysec)")
	case fsync != "always":
		logger.Info("Redis AOF is on", "appendfsync", fsync, "note", "appendfsync always makes every acknowledged ticket survive a power loss")
	}
	return s, nil
}

func openStore(ctx context.Context, raw string, logger *slog.Logger) (ownership.Store, error) {
	scheme, _, ok := strings.Cut(raw, ":")
	if !ok {
		return nil, errors.New("store: want sqlite:PATH or redis://HOST:PORT")
	}
	open, ok := stores[scheme]
	if !ok {
		return nil, fmt.Errorf("store %q: unknown kind %q (want sqlite or redis)", redact(raw), scheme)
	}
	s, err := open(ctx, raw, logger)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", redact(raw), err)
	}
	return s, nil
}

// redact returns a store URL fit for logs and errors: scheme and host for
// a network store, never user, password or query; a SQLite path as is.
func redact(raw string) string {
	if strings.HasPrefix(raw, "sqlite:") {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return "<unparseable store URL>"
	}
	return u.Scheme + "://" + u.Host
}

// replicaID names this process among replicas (lease holders): its host
// and the address it serves on, which no other live process on that host
// can hold. So a process restarted in place (after a crash, say) is the
// same holder and takes its leases back at once, instead of waiting for
// them to expire.
func replicaID(listenAddr string) string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "intake"
	}
	return host + "|" + listenAddr
}
