package ownership_test

import (
	"testing"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/ownership"
	"github.com/intakehq/intake/ownership/ownershiptest"
	"github.com/stretchr/testify/require"
)

// The auto-acknowledgement is the ledger's: one template words it on every
// channel, and a channel's own template (SMS, from
// channels.twilio.ack_template) words that channel's alone.
func TestAckTemplatePerChannel(t *testing.T) {
	all := map[channels.Kind]bool{channels.SMS: true, channels.Email: true, channels.Slack: true}
	slackDM := channels.Message{Kind: channels.Slack, ExternalID: "E1", From: channels.Contact{SlackUser: "UCUST1"},
		Text: "VPN is down", Meta: map[string]string{channels.MetaSlackChannel: "D0CUST1"}}
	inbound := []channels.Message{
		sms("SM1", "+15557770101", "Printer on fire"),
		mail("m1@globex.test", "pat@globex.test", "Printer", "It is on fire."),
		slackDM,
	}
	for _, tc := range []struct {
		name    string
		ledger  string
		perKind map[channels.Kind]string
		want    map[string]string // channel -> the body of its ack
	}{
		{name: "default text everywhere",
			want: map[string]string{
				"sms":   "Thanks, we got your message. Ticket T-1 is with Dana; reply here to add to it.",
				"email": "Thanks, we got your message. Ticket T-2 is with Lee; reply here to add to it.",
				"slack": "Thanks, we got your message. Ticket T-3 is with Kim; reply here to add to it.",
			}},
		{name: "the ledger's template on every channel", ledger: "{{ticket}} is with {{owner}}.",
			want: map[string]string{"sms": "T-1 is with Dana.", "email": "T-2 is with Lee.", "slack": "T-3 is with Kim."}},
		{name: "an SMS template words SMS alone", ledger: "{{ticket}} is with {{owner}}.",
			perKind: map[channels.Kind]string{channels.SMS: "Txt: {{ticket}}"},
			want:    map[string]string{"sms": "Txt: T-1", "email": "T-2 is with Lee.", "slack": "T-3 is with Kim."}},
		{name: "an SMS template alone leaves the others the default", perKind: map[channels.Kind]string{channels.SMS: "Txt: {{ticket}}"},
			want: map[string]string{
				"sms":   "Txt: T-1",
				"email": "Thanks, we got your message. Ticket T-2 is with Lee; reply here to add to it.",
				"slack": "Thanks, we got your message. Ticket T-3 is with Kim; reply here to add to it.",
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := ownershiptest.NewWithOptions(t, func(o *ownership.Options) {
				o.Outbound = all
				o.AckTemplate, o.AckTemplates = tc.ledger, tc.perKind
			})
			for _, m := range inbound {
				require.True(t, accept(t, f, m).Created)
			}
			got := map[string]string{}
			for _, it := range outbox(t, f) {
				if it.Purpose == ownership.PurposeAutoAck {
					got[it.Channel] = it.Body
				}
			}
			require.Equal(t, tc.want, got)
		})
	}
}

// A template that does not name the ticket is refused by the ledger too,
// not only by the config check: the ack exists to tell the number.
func TestAckTemplateMustNameTheTicket(t *testing.T) {
	f := ownershiptest.New(t)
	base := ownership.Options{Store: f.Store, Router: f.Service.Router()}
	for name, set := range map[string]func(*ownership.Options){
		"ledger": func(o *ownership.Options) { o.AckTemplate = "Thanks, {{owner}} has it." },
		"sms":    func(o *ownership.Options) { o.AckTemplates = map[channels.Kind]string{channels.SMS: "Got it."} },
	} {
		o := base
		set(&o)
		_, err := ownership.NewService(o)
		require.ErrorContains(t, err, "must mention {{ticket}}", name)
	}
	o := base
	o.AckTemplates = map[channels.Kind]string{channels.SMS: ""} // "": the ledger's
	_, err := ownership.NewService(o)
	require.NoError(t, err)
	require.NoError(t, ownership.CheckAckTemplate(ownership.DefaultAckTemplate))
}
