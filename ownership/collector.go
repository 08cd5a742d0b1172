package ownership

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// collectorScan bounds the outbox items counted per state at each scrape.
const collectorScan = 1000

// Collector exposes the ledger's current state as gauges, computed at
// scrape time from the same Summary the API serves (the counters are in
// Metrics).
type Collector struct {
	svc                                                                                         *Service
	logger                                                                                      *slog.Logger
	open, unowned, ackOverdue, slaBreached, slaAtRisk, byTeam, teamState, byChannel, up, outbox *prometheus.Desc
}

var _ prometheus.Collector = (*Collector)(nil)

// NewCollector returns the gauges of svc; register it once.
func NewCollector(svc *Service, logger *slog.Logger) *Collector {
	if logger == nil {
		logger = svc.logger
	}
	return &Collector{
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

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.open, c.unowned, c.ackOverdue, c.slaBreached, c.slaAtRisk, c.byTeam, c.teamState, c.byChannel, c.up, c.outbox} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. A store it cannot read gives
// intake_store_up 0 and no other gauge.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	// A scrape has no context of its own; bound it so a hung store does
	// not hang /metrics.
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
	for _, state := range []string{OutboxPending, OutboxSending, OutboxDead} {
		items, err := c.svc.Outbox(ctx, state, collectorScan)
		if err != nil {
			c.logger.Warn("metrics: cannot read the outbox", "err", err)
			return
		}
		ch <- prometheus.MustNewConstMetric(c.outbox, prometheus.GaugeValue, float64(len(items)), state)
	}
}
