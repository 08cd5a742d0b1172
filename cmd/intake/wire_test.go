package main

import (
	"testing"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/configs"
	"github.com/intakehq/intake/ownership"
	"github.com/stretchr/testify/require"
)

// TestBuildAckTemplates: acks.template reaches the ledger as its one
// template; channels.twilio.ack_template only as the SMS one.
func TestBuildAckTemplates(t *testing.T) {
	const twilio = "public_url: https://intake.example.test\nchannels:\n  twilio:\n" +
		"    account_sid: AC0123456789abcdef0123456789abcdef\n    auth_token: f00dfeedf00dfeedf00dfeedf00dfeed\n" +
		"    number: \"+15557771000\"\n"
	for _, tc := range []struct {
		name, yaml string
		ledger     string
		perKind    map[channels.Kind]string
	}{
		{name: "none", yaml: "listen: 127.0.0.1:0\n", perKind: map[channels.Kind]string{}},
		{name: "acks.template", yaml: "acks:\n  template: \"{{ticket}} is with {{owner}}\"\n",
			ledger: "{{ticket}} is with {{owner}}", perKind: map[channels.Kind]string{}},
		{name: "twilio's is SMS only", yaml: twilio + "    ack_template: \"Txt {{ticket}}\"\n",
			perKind: map[channels.Kind]string{channels.SMS: "Txt {{ticket}}"}},
		{name: "both", yaml: "acks:\n  template: \"{{ticket}}!\"\n" + twilio + "    ack_template: \"Txt {{ticket}}\"\n",
			ledger: "{{ticket}}!", perKind: map[channels.Kind]string{channels.SMS: "Txt {{ticket}}"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := configs.Parse([]byte(tc.yaml), "x.yaml", func(string) (string, bool) { return "", false })
			require.NoError(t, err)
			w, err := build(cfg)
			require.NoError(t, err)
			require.Equal(t, tc.ledger, w.opts.AckTemplate)
			require.Equal(t, tc.perKind, w.opts.AckTemplates)
		})
	}
}

// TestBuildAlertTo: channels.slack.alert_channel becomes the ledger's
// channel-neutral Policy.AlertTo, on Slack.
func TestBuildAlertTo(t *testing.T) {
	const slack = "channels:\n  slack:\n    bot_token: xoxb-bot-secret-value\n    signing_secret: s3cret\n    channel: C0TRIAGE\n"
	for _, tc := range []struct {
		name, yaml string
		want       ownership.Destination
	}{
		{name: "no slack", yaml: "listen: 127.0.0.1:0\n"},
		{name: "slack without alert_channel", yaml: slack},
		{name: "alert_channel", yaml: slack + "    alert_channel: C0789ALERTS\n",
			want: ownership.Destination{Kind: channels.Slack, To: "C0789ALERTS"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := configs.Parse([]byte(tc.yaml), "x.yaml", func(string) (string, bool) { return "", false })
			require.NoError(t, err)
			w, err := build(cfg)
			require.NoError(t, err)
			require.Equal(t, tc.want, w.opts.Policy.AlertTo)
		})
	}
}
