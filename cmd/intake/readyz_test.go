package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/channels/slack/slacktest"
	"github.com/intakehq/intake/configs"
	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/sqlitestore"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
)

// readiness is the body of GET /readyz.
type readiness struct {
	Status   string                    `json:"status"`
	Store    string                    `json:"store"`
	Channels map[string]*channelHealth `json:"channels"`
}

func readyzOf(t *testing.T, base string) (int, readiness) {
	t.Helper()
	code, body := get(t, base+"/readyz")
	var r readiness
	require.NoError(t, json.Unmarshal([]byte(body), &r), body)
	return code, r
}

// waitChannel polls /readyz until channel is in state, and returns it.
func waitChannel(t *testing.T, base, channel, state string, timeout time.Duration) readiness {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		code, r := readyzOf(t, base)
		require.Equal(t, 200, code, "only an unreachable store makes /readyz 503")
		if c := r.Channels[channel]; c != nil && c.State == state {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz: %s is %+v after %s, want %s", channel, r.Channels[channel], timeout, state)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestReadyzSlackDMsFailing: Slack answers every attempt to open a DM with
// an error while channel posts work. /readyz, the metrics and the
// dashboard overview must all say Slack is degraded, and why.
func TestReadyzSlackDMsFailing(t *testing.T) {
	e := newSlackEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "intake.db"), "", func(s *slacktest.Server) {
		s.Fail("conversations.open", "internal_error", 1000)
	})
	r := waitChannel(t, e.srv.url, "slack", stateOK, 10*time.Second)
	require.Equal(t, stateOK, r.Status)
	for i, sid := range []string{"SM1", "SM2", "SM3"} {
		e.sms(t, sid, []string{"+15557770101", "+15557770102", "+15557770103"}[i], "Printer jammed")
	}

	r = waitChannel(t, e.srv.url, "slack", stateDegraded, 30*time.Second)
	require.Equal(t, stateDegraded, r.Status)
	sl := r.Channels["slack"]
	require.NotEmpty(t, sl.Problems)
	require.Contains(t, strings.Join(sl.Problems, "\n"), "Slack Web API direct messages to reps failing")
	require.Contains(t, strings.Join(sl.Problems, "\n"), "internal_error")
	require.Equal(t, stateOK, r.Channels["twilio"].State, "the texts went out")
	require.Equal(t, stateDisabled, r.Channels["email"].State)

	_, metrics := get(t, e.srv.url+"/metrics")
	require.Contains(t, metrics, `intake_channel_up{channel="slack"} 0`)
	require.Contains(t, metrics, `intake_channel_state{channel="slack",state="degraded"} 1`)
	require.Contains(t, metrics, `intake_channel_up{channel="twilio"} 1`)
	require.Contains(t, metrics, `intake_channel_state{channel="email",state="disabled"} 1`)

	_, page := get(t, e.srv.url+"/")
	require.Contains(t, page, `id="degraded-slack"`)
	require.Contains(t, page, "slack is degraded:")
	require.Contains(t, page, "direct messages to reps failing")
	require.NotContains(t, page, `id="degraded-twilio"`)
}

// TestReadyzEmailIMAPDown: the IMAP server stops, email shows degraded
// with the reason; it comes back, email shows ok again.
func TestReadyzEmailIMAPDown(t *testing.T) {
	e := newEmailEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "intake.db"))
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, r := readyzOf(t, e.srv.url)
		if c := r.Channels["email"]; c.State == stateOK && len(c.Notes) == 0 {
			break // logged in, not just connecting
		}
		require.True(t, time.Now().Before(deadline), "the reader never logged in: %+v", r.Channels["email"])
	}

	e.imap.Stop()
	r := waitChannel(t, e.srv.url, "email", stateDegraded, 15*time.Second)
	require.Contains(t, strings.Join(r.Channels["email"].Problems, "\n"), "IMAP "+e.imap.Addr()+" not logged in since")
	_, metrics := get(t, e.srv.url+"/metrics")
	require.Contains(t, metrics, `intake_channel_up{channel="email"} 0`)
	_, page := get(t, e.srv.url+"/")
	require.Contains(t, page, `id="degraded-email"`)

	e.imap.Restart(t)
	r = waitChannel(t, e.srv.url, "email", stateOK, 20*time.Second)
	require.Empty(t, r.Channels["email"].Problems)
	require.Equal(t, stateOK, r.Status)
}

// TestIgnoredAutomatedMailLeavesATrace: an auto-reply that answers no
// ticket never opens one (DESIGN §6), but it is not dropped unseen: it is
// counted in intake_email_messages_total{outcome="ignored"} and named in
// the email channel's notes on /readyz, next to a human mail that opened
// a ticket.
func TestIgnoredAutomatedMailLeavesATrace(t *testing.T) {
	e := newEmailEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "intake.db"))
	e.imap.Append(t, mailBytes("ooo1@acmedental.example", "pat@acmedental.example", "Out of office", "I am away until Monday.",
		"Auto-Submitted: auto-replied"))
	e.imap.Append(t, mailBytes("h1@acmedental.example", "pat@acmedental.example", "Printer jammed", "The printer is jammed again."))
	e.waitSeen(t, 2, 15*time.Second)
	require.Len(t, e.tickets(t), 1, "only the human mail opened a ticket")

	_, metrics := get(t, e.srv.url+"/metrics")
	require.Contains(t, metrics, `intake_email_messages_total{outcome="ignored"} 1`)
	require.Contains(t, metrics, `intake_email_messages_total{outcome="ticket"} 1`)
	_, r := readyzOf(t, e.srv.url)
	require.Contains(t, strings.Join(r.Channels["email"].Notes, "\n"), "1 automated mail(s)")
	require.Equal(t, stateOK, r.Channels["email"].State, "a note, not a problem")
}

// TestReadyzStoreClosed: with the store closed, /readyz answers 503 and
// says the store is unreachable; the channels are still listed.
func TestReadyzStoreClosed(t *testing.T) {
	ctx := context.Background()
	store, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "intake.db"), discardLogger())
	require.NoError(t, err)
	cfg := configs.Default()
	w, err := build(cfg)
	require.NoError(t, err)
	opts := w.opts
	opts.Store, opts.Logger = store, discardLogger()
	reg := prometheus.NewRegistry()
	opts.Metrics = ownership.NewMetrics(reg)
	svc, err := ownership.NewService(opts)
	require.NoError(t, err)
	chans := &channelSet{health: map[string]healthReporter{}}
	srv := httptest.NewServer(newMux(svc, chans, &healthCheck{readOutbox: svc.Outbox, reporters: chans.health, now: time.Now}, nil, nil, false, reg, discardLogger()))
	defer srv.Close()

	code, r := readyzOf(t, srv.URL)
	require.Equal(t, 200, code)
	require.Equal(t, "ok", r.Store)

	require.NoError(t, store.Close())
	code, r = readyzOf(t, srv.URL)
	require.Equal(t, 503, code)
	require.Equal(t, "unreachable", r.Store)
	require.Equal(t, "unavailable", r.Status)
	require.Equal(t, stateDisabled, r.Channels["slack"].State)
}

// TestHealthOutboxFigures: a send pending longer than pendingTooOld and a
// message dead-lettered within the hour make their channels degraded, on
// the checker's clock (no test waits minutes); old dead letters alone do
// not.
func TestHealthOutboxFigures(t *testing.T) {
	ctx := context.Background()
	store, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "intake.db"), discardLogger())
	require.NoError(t, err)
	defer store.Close()
	t0 := time.Now().UTC()
	require.NoError(t, store.Enqueue(ctx,
		ownership.OutboxItem{ID: "sms-1", TicketID: "T-1", Channel: "sms", To: "+15557770101", Body: "hi", Purpose: "reply", NextAt: t0, CreatedAt: t0, UpdatedAt: t0},
		ownership.OutboxItem{ID: "mail-1", TicketID: "T-1", Channel: "email", To: "pat@acme.example", Body: "hi", Purpose: "reply", NextAt: t0, CreatedAt: t0, UpdatedAt: t0},
	))
	claimed, err := store.ClaimOutbox(ctx, t0, time.Minute, 10)
	require.NoError(t, err)
	for _, it := range claimed {
		if it.ID == "mail-1" {
			require.NoError(t, store.FinishOutbox(ctx, it.ID, it.Attempts, ownership.OutboxResult{State: ownership.OutboxDead, Error: "550 mailbox unavailable", At: t0}))
		} else {
			require.NoError(t, store.FinishOutbox(ctx, it.ID, it.Attempts, ownership.OutboxResult{State: ownership.OutboxPending, NextAt: t0.Add(time.Minute), Error: "timeout", At: t0}))
		}
	}
	ok := fakeReporter{}
	now := t0
	h := &healthCheck{readOutbox: store.ListOutbox, reporters: map[string]healthReporter{"twilio": ok, "email": ok}, now: func() time.Time { return now }}

	now = t0.Add(time.Minute)
	st, err := h.check(ctx)
	require.NoError(t, err)
	require.Equal(t, stateOK, st["twilio"].State, "a send a minute old is not late")
	require.Equal(t, 1, st["twilio"].Pending)
	require.Equal(t, stateDegraded, st["email"].State)
	require.Equal(t, []string{"1 messages dead-lettered in the last hour (last: 550 mailbox unavailable)"}, st["email"].Problems)
	require.Equal(t, stateDisabled, st["slack"].State)

	now = t0.Add(10 * time.Minute)
	st, err = h.check(ctx)
	require.NoError(t, err)
	require.Equal(t, stateDegraded, st["twilio"].State)
	require.Equal(t, []string{"oldest of 1 pending sends is 10m0s old"}, st["twilio"].Problems)
	require.InDelta(t, 600, st["twilio"].OldestPendingSeconds, 1)

	now = t0.Add(2 * time.Hour)
	st, err = h.check(ctx)
	require.NoError(t, err)
	require.Equal(t, 0, st["email"].DeadLastHour)
	require.Equal(t, 1, st["email"].Dead)
	require.Equal(t, stateOK, st["email"].State, "a dead letter from hours ago is on the outbox page, not an outage")
}

// fakeReporter is an adapter with nothing to report.
type fakeReporter struct{}

func (fakeReporter) Health() channels.Health { return channels.Health{} }
