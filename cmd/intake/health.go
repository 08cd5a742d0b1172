package main

import (
	"context"
	"fmt"
	"time"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/channels/email"
	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/dashboard"
	"github.com/prometheus/client_golang/prometheus"
)

// healthReporter is a channel adapter that reports its own live state
// (twilio.Channel, email.Reader, slack.App).
type healthReporter interface {
	Health() channels.Health
}

// Channel states, as /readyz, the metrics and the dashboard name them.
const (
	stateOK       = "ok"
	stateDegraded = "degraded"
	stateDisabled = "disabled"
)

// Readiness thresholds: a send still pending this long, or a message
// dead-lettered this recently, makes its channel degraded.
const (
	pendingTooOld = 5 * time.Minute
	deadWindow    = time.Hour
	// outboxScan bounds the outbox items read per state (newest first):
	// with more pending than that, the oldest seen is younger than the
	// true oldest, so a backlog that large is reported by its size.
	outboxScan = 1000
)

// channelHealth is one channel's state.
type channelHealth struct {
	State    string   `json:"state"`
	Problems []string `json:"problems,omitempty"`
	Notes    []string `json:"notes,omitempty"`
	// Outbox figures (omitted when the store cannot be read).
	Pending              int     `json:"pending"`
	OldestPendingSeconds float64 `json:"oldest_pending_seconds"`
	DeadLastHour         int     `json:"dead_letters_last_hour"`
	Dead                 int     `json:"dead_letters"`
}

// healthCheck puts together each channel's state: the adapter's own view
// and the outbox's figures for it.
type healthCheck struct {
	// readOutbox lists outbox items by state (Service.Outbox).
	readOutbox func(ctx context.Context, state string, limit int) ([]ownership.OutboxItem, error)
	reporters  map[string]healthReporter // by channel name; nil: disabled
	now        func() time.Time
}

// channelNames are the channels in the order they are shown.
var channelNames = []string{"twilio", "email", "slack"}

// outboxChannel maps an outbox item's channel to the adapter sending it.
func outboxChannel(kind string) string {
	switch channels.Kind(kind) {
	case channels.SMS, channels.Voice:
		return "twilio"
	}
	return kind
}

// check returns every channel's state. outboxErr is the error reading the
// outbox (the store unreachable); the adapters' views are there anyway.
func (h *healthCheck) check(ctx context.Context) (map[string]*channelHealth, error) {
	out := map[string]*channelHealth{}
	for _, name := range channelNames {
		r, ok := h.reporters[name]
		if !ok {
			out[name] = &channelHealth{State: stateDisabled}
			continue
		}
		rh := r.Health()
		out[name] = &channelHealth{State: stateOK, Problems: rh.Problems, Notes: rh.Notes}
	}
	outboxErr := h.outbox(ctx, out)
	for _, c := range out {
		if c.State != stateDisabled && len(c.Problems) > 0 {
			c.State = stateDegraded
		}
	}
	return out, outboxErr
}

// outbox adds the pending and dead-lettered figures of each channel.
func (h *healthCheck) outbox(ctx context.Context, out map[string]*channelHealth) error {
	now := h.now()
	oldest := map[string]time.Time{}
	lastErr := map[string]string{}
	for _, state := range []string{ownership.OutboxPending, ownership.OutboxSending, ownership.OutboxDead} {
		items, err := h.readOutbox(ctx, state, outboxScan)
		if err != nil {
			return fmt.Errorf("read the outbox: %w", err)
		}
		for _, it := range items {
			c, ok := out[outboxChannel(it.Channel)]
			if !ok {
				continue
			}
			name := outboxChannel(it.Channel)
			if state == ownership.OutboxDead {
				c.Dead++
				if now.Sub(it.UpdatedAt) <= deadWindow {
					if c.DeadLastHour == 0 {
						lastErr[name] = it.LastError // newest first
					}
					c.DeadLastHour++
				}
				continue
			}
			c.Pending++
			if o, ok := oldest[name]; !ok || it.CreatedAt.Before(o) {
				oldest[name] = it.CreatedAt
			}
		}
	}
	for _, name := range channelNames {
		c := out[name]
		if o, ok := oldest[name]; ok {
			c.OldestPendingSeconds = max(0, now.Sub(o).Seconds())
			if age := now.Sub(o); age > pendingTooOld {
				c.Problems = append(c.Problems, fmt.Sprintf("oldest of %d pending sends is %s old", c.Pending, age.Round(time.Second)))
			}
		}
		if c.DeadLastHour > 0 {
			c.Problems = append(c.Problems, fmt.Sprintf("%d messages dead-lettered in the last hour (last: %s)", c.DeadLastHour, firstLine(lastErr[name])))
		}
	}
	return nil
}

func firstLine(s string) string {
	for i, r := range s {
		if r == '\n' {
			return s[:i]
		}
	}
	if s == "" {
		return "no error recorded"
	}
	return s
}

// dashboard gives the overview its channel lines.
func (h *healthCheck) dashboard(ctx context.Context) []dashboard.ChannelStatus {
	states, _ := h.check(ctx)
	var out []dashboard.ChannelStatus
	for _, name := range channelNames {
		c := states[name]
		out = append(out, dashboard.ChannelStatus{Name: name, State: c.State, Problems: c.Problems})
	}
	return out
}

// healthCollector exposes each channel's state as metrics, computed at
// scrape time.
type healthCollector struct {
	h         *healthCheck
	up, state *prometheus.Desc
	mail      *prometheus.Desc
}

// mailCounter is the mailbox reader's tally of what became of each mail.
type mailCounter interface {
	Stats() email.ReaderStats
}

func newHealthCollector(h *healthCheck) *healthCollector {
	return &healthCollector{
		h:  h,
		up: prometheus.NewDesc("intake_channel_up", "1 when an enabled channel is working, 0 when it is degraded (see /readyz for why).", []string{"channel"}, nil),
		state: prometheus.NewDesc("intake_channel_state", "1 for each channel's current state (ok, degraded, disabled), 0 for the others.",
			[]string{"channel", "state"}, nil),
		mail: prometheus.NewDesc("intake_email_messages_total", "Mails this replica's reader handed to the ledger, by outcome: ticket (opened one), joined, review, duplicate (a re-read), "+
			"ignored (automated mail that matched no ticket: never a ticket, left in the mailbox).", []string{"outcome"}, nil),
	}
}

func (c *healthCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.up
	ch <- c.state
	ch <- c.mail
}

func (c *healthCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	states, _ := c.h.check(ctx)
	for _, name := range channelNames {
		s := states[name]
		for _, st := range []string{stateOK, stateDegraded, stateDisabled} {
			ch <- prometheus.MustNewConstMetric(c.state, prometheus.GaugeValue, b2f(s.State == st), name, st)
		}
		if s.State != stateDisabled {
			ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, b2f(s.State == stateOK), name)
		}
	}
	if m, ok := c.h.reporters["email"].(mailCounter); ok {
		st := m.Stats()
		for outcome, n := range map[string]int{"ticket": st.Tickets, "joined": st.Joined, "review": st.Review,
			"duplicate": st.Duplicate, "ignored": st.Ignored} {
			ch <- prometheus.MustNewConstMetric(c.mail, prometheus.CounterValue, float64(n), outcome)
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
