package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/api"
	"github.com/intakehq/intake/ownership/dashboard"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// newMux wires every HTTP path of DESIGN §5.
// secureCookies says the dashboard is reached over HTTPS, so its session
// cookie is marked Secure.
func newMux(svc *ownership.Service, chans *channelSet, health *healthCheck, tokens []api.Token, users []dashboard.User, secureCookies bool, reg *prometheus.Registry, logger *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	reg.MustRegister(newLedgerCollector(svc, logger), newHealthCollector(health))
	// One throttle for the API and the dashboard: its counts live in the
	// store, so they hold across replicas.
	throttle := api.NewThrottle(svc.Store(), api.ThrottleOptions{Registerer: reg, Logger: logger})
	api.Register(mux, svc, api.Options{Tokens: tokens, Logger: logger, Throttle: throttle})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", readyz(svc, health))
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	for _, ch := range []string{"twilio", "slack"} {
		if h, ok := chans.handlers["/"+ch+"/"]; ok {
			mux.Handle("/"+ch+"/", h)
			continue
		}
		mux.HandleFunc("/"+ch+"/", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "channel " + ch + " is not enabled on this server"})
		})
	}
	sessions := api.NewSessions(tokens, svc.Router(), api.SessionOptions{Store: svc.Store(), Throttle: throttle, Secure: secureCookies, Logger: logger})
	dashboard.Register(mux, svc, dashboard.Options{Auth: sessions, Secure: secureCookies, Logger: logger, Users: users,
		Sessions: svc.Store(), Throttle: throttle, Channels: health.dashboard})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such path: " + r.Method + " " + r.URL.Path})
	})
	return instrument(mux, reg)
}

// readyz answers 503 only when the store is unreachable (this replica
// can then take in nothing); otherwise 200, with "status" "degraded" when
// any channel is, and each channel's state, problems and outbox figures.
// A load balancer keeps sending to a replica whose Slack is failing: the
// others' Slack fails the same way, and webhooks still need a home.
func readyz(svc *ownership.Service, health *healthCheck) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		body := map[string]any{"status": stateOK, "store": "ok"}
		code := http.StatusOK
		if err := svc.Store().Ping(ctx); err != nil {
			body["status"], body["store"] = "unavailable", "unreachable"
			code = http.StatusServiceUnavailable
		}
		states, err := health.check(ctx)
		if err != nil && code == http.StatusOK {
			body["store"] = "outbox unreadable: " + err.Error()
		}
		for _, c := range states {
			if c.State == stateDegraded && code == http.StatusOK {
				body["status"] = stateDegraded
			}
		}
		body["channels"] = states
		writeJSON(w, code, body)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// instrument records request counts and latency by route pattern (never
// by raw path, so ticket ids do not explode the label set).
func instrument(next *http.ServeMux, reg *prometheus.Registry) http.Handler {
	dur := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "intake_http_request_duration_seconds",
		Help:    "HTTP request latency by route pattern and status code (webhooks included).",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"route", "code"})
	reg.MustRegister(dur)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		_, pattern := next.Handler(r)
		next.ServeHTTP(rec, r)
		if pattern == "" {
			pattern = "unmatched"
		}
		dur.WithLabelValues(pattern, strconv.Itoa(rec.code)).Observe(time.Since(start).Seconds())
	})
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

// ledgerCollector exposes the ledger's current state as gauges, computed
// at scrape time from the same Summary the API serves.
type ledgerCollector struct {
	svc                                                                                         *ownership.Service
	logger                                                                                      *slog.Logger
	open, unowned, ackOverdue, slaBreached, slaAtRisk, byTeam, teamState, byChannel, up, outbox *prometheus.Desc
}

func newLedgerCollector(svc *ownership.Service, logger *slog.Logger) *ledgerCollector {
	return &ledgerCollector{
		svc:         svc,
		logger:      logger,
		open:        prometheus.NewDesc("intake_tickets_open", "Tickets open or pending.", nil, nil),
		unowned:     prometheus.NewDesc("intake_tickets_unowned", "Tickets not closed and without an owner on the roster (must be 0).", nil, nil),
		ackOverdue:  prometheus.NewDesc("intake_tickets_ack_overdue", "Open tickets whose owner has not acknowledged them in time.", nil, nil),
		slaBreached: prometheus.NewDesc("intake_tickets_sla_breached", "Open tickets past a first-response or resolution due time.", nil, nil),
		slaAtRisk:   prometheus.NewDesc("intake_tickets_sla_at_risk", "Open tickets past 80% of the time to an SLA target, not yet breached.", nil, nil),
		teamState: prometheus.NewDesc("intake_team_tickets", "Tickets by team and state: open, unowned, ack_overdue, sla_at_risk, sla_breached.",
			[]string{"team", "state"}, nil),
		byTeam:    prometheus.NewDesc("intake_tickets_open_by_team", "Open or pending tickets by team.", []string{"team"}, nil),
		byChannel: prometheus.NewDesc("intake_tickets_open_by_channel", "Open or pending tickets by origin channel.", []string{"channel"}, nil),
		up:        prometheus.NewDesc("intake_store_up", "1 when the last scrape could read the store.", nil, nil),
		outbox:    prometheus.NewDesc("intake_outbox_items", "Outbound messages waiting (pending, sending) or failed for good (dead); counted up to 1000.", []string{"state"}, nil),
	}
}

func (c *ledgerCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.open, c.unowned, c.ackOverdue, c.slaBreached, c.slaAtRisk, c.byTeam, c.teamState, c.byChannel, c.up, c.outbox} {
		ch <- d
	}
}

func (c *ledgerCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := c.svc.Summary(ctx)
	if err != nil {
		c.logger.Warn("metrics: cannot read summary", "err", err)
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, float64(s.Open))
	ch <- prometheus.MustNewConstMetric(c.unowned, prometheus.GaugeValue, float64(s.Unowned))
	ch <- prometheus.MustNewConstMetric(c.ackOverdue, prometheus.GaugeValue, float64(s.AckOverdue))
	ch <- prometheus.MustNewConstMetric(c.slaBreached, prometheus.GaugeValue, float64(s.SLABreached))
	ch <- prometheus.MustNewConstMetric(c.slaAtRisk, prometheus.GaugeValue, float64(s.SLAAtRisk))
	for team, tc := range s.Teams {
		for state, n := range map[string]int{"open": tc.Open, "unowned": tc.Unowned, "ack_overdue": tc.AckOverdue,
			"sla_at_risk": tc.SLAAtRisk, "sla_breached": tc.SLABreached} {
			ch <- prometheus.MustNewConstMetric(c.teamState, prometheus.GaugeValue, float64(n), team, state)
		}
	}
	for team, n := range s.ByTeam {
		ch <- prometheus.MustNewConstMetric(c.byTeam, prometheus.GaugeValue, float64(n), team)
	}
	for channel, n := range s.ByChannel {
		ch <- prometheus.MustNewConstMetric(c.byChannel, prometheus.GaugeValue, float64(n), channel)
	}
	for _, state := range []string{ownership.OutboxPending, ownership.OutboxSending, ownership.OutboxDead} {
		items, err := c.svc.Store().ListOutbox(ctx, state, 1000)
		if err != nil {
			c.logger.Warn("metrics: cannot read the outbox", "err", err)
			return
		}
		ch <- prometheus.MustNewConstMetric(c.outbox, prometheus.GaugeValue, float64(len(items)), state)
	}
}
