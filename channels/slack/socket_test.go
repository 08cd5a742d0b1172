package slack_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/intakehq/intake/channels/slack"
	"github.com/intakehq/intake/channels/slack/slacktest"
	"github.com/stretchr/testify/require"
)

// Over Socket Mode an envelope is acknowledged only once its work is
// stored, so Slack redelivers one whose work failed; a command's answer
// rides on its ack.
func TestSocketModeAcksAfterStoring(t *testing.T) {
	r := newRig(t, func(c *slack.Config) { c.AppToken = slacktest.AppToken })
	r.desk.tickets["T-1"] = ticket("T-1", "dana")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = r.app.RunSocketMode(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	r.slack.WaitSocket(t, 10*time.Second)

	r.desk.fail["Accept"] = errors.New("database is locked")
	failed := r.slack.SocketSend(t, "events_api", json.RawMessage(slacktest.EventCallback("EvS1",
		slacktest.MessageEvent("D0CUST", "U0CUST", "Laptop will not charge", "1800000200.000100", ""))))
	cmd := r.slack.SocketSend(t, "slash_commands", slacktest.SlashCommand(uDana, triage, "mine", "trigC"))
	ack := r.slack.WaitAck(t, cmd, 10*time.Second)
	require.Contains(t, string(ack), "T-1")
	require.Contains(t, string(ack), "ephemeral")
	require.False(t, r.slack.Acked(failed), "envelopes are handled in order: the failed one was seen and left unacked")
	require.Len(t, r.desk.called("Accept"), 1)

	delete(r.desk.fail, "Accept")
	again := r.slack.SocketSend(t, "events_api", json.RawMessage(slacktest.EventCallback("EvS1",
		slacktest.MessageEvent("D0CUST", "U0CUST", "Laptop will not charge", "1800000200.000100", ""))))
	r.slack.WaitAck(t, again, 10*time.Second)
	require.Len(t, r.desk.called("Accept"), 2)

	form := slacktest.BlockAction(uDana, triage, "1.0", slack.ActionAck, "T-1|dana", "trigS")
	r.slack.WaitAck(t, r.slack.SocketSend(t, "interactive", json.RawMessage(form.Get("payload"))), 10*time.Second)
	require.Len(t, r.desk.called("Ack"), 1)
}
