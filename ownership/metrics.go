package ownership

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the ledger's counters. Gauges of the current state (open,
// unowned, overdue) are computed from Summary at scrape time instead.
type Metrics struct {
	Created   *prometheus.CounterVec // by channel and routing step
	Fallbacks prometheus.Counter     // tickets routed to a team fallback
	Changes   *prometheus.CounterVec // by action and result (ok, conflict, forbidden, invalid)
	Outbound  *prometheus.CounterVec // outbox sends by channel and result (sent, retry, dead)
	Delivery  *prometheus.CounterVec // provider delivery failures by channel and status
}

// NewMetrics creates the counters and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Created: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "intake_tickets_created_total",
			Help: "Tickets created, by origin channel and the routing step that chose the owner.",
		}, []string{"channel", "step"}),
		Fallbacks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "intake_routing_fallback_total",
			Help: "Tickets given to a team's fallback because no rep was eligible.",
		}),
		Changes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "intake_ticket_changes_total",
			Help: "Ownership and status changes, by action and result.",
		}, []string{"action", "result"}),
	}
	m.Outbound = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "intake_outbox_sends_total",
		Help: "Outbox send attempts by channel and result (sent, retry, dead).",
	}, []string{"channel", "result"})
	m.Delivery = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "intake_delivery_failures_total",
		Help: "Outbound messages the provider reported as not delivered, by channel and status.",
	}, []string{"channel", "status"})
	reg.MustRegister(m.Created, m.Fallbacks, m.Changes, m.Outbound, m.Delivery)
	return m
}

func (m *Metrics) created(channel, step string) {
	m.Created.WithLabelValues(channel, step).Inc()
	if step == "fallback" {
		m.Fallbacks.Inc()
	}
}

func (m *Metrics) change(action, result string) {
	m.Changes.WithLabelValues(action, result).Inc()
}

func (m *Metrics) delivery(channel, status string) {
	m.Delivery.WithLabelValues(channel, status).Inc()
}

func (m *Metrics) outbound(channel, result string) {
	m.Outbound.WithLabelValues(channel, result).Inc()
}
