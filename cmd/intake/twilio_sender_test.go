package main

import (
	"context"
	"net/url"
	"testing"

	"github.com/intakehq/intake/channels/twilio/twiliotest"
	"github.com/intakehq/intake/ownership"
	"github.com/stretchr/testify/require"
)

// A sender Twilio names by something that is not an E.164 number (an
// alphanumeric sender id, a short code, a Twilio Client identity on a
// call) is kept on a review ticket; nothing is queued to it, and a rep's
// reply is refused with the reason instead of being dead-lettered.
func TestTwilioUnanswerableSender(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newTwilioEnv(t, b.url(t))
			ctx := context.Background()
			senders := []struct {
				path, from, why string
				form            url.Values
			}{
				{"/twilio/sms", "ACMEBANK", "not an E.164 phone number", smsForm("SM00000000000000000000000000000a01", "ACMEBANK", "Your code is 1234")},
				{"/twilio/sms", "72345", "not an E.164 phone number", smsForm("SM00000000000000000000000000000a02", "72345", "Reply STOP to stop")},
				{"/twilio/voice", "client:alice", "Twilio Client identity", url.Values{"CallSid": {"CA00000000000000000000000000000a03"},
					"AccountSid": {twiliotest.AccountSID}, "From": {"client:alice"}, "To": {"+15557771000"}, "CallStatus": {"ringing"}}},
			}
			for i, s := range senders {
				code, body := e.post(t, s.path, s.form, "")
				require.Equal(t, 200, code, body)
				id := "T-" + string(rune('1'+i))
				tk, evs := e.ticket(t, id)
				require.Equal(t, s.from, tk.Contact.Phone, "the message is kept, with who sent it")
				require.Contains(t, tk.Review, s.why, "%s is flagged for review", id)
				require.Contains(t, []ownership.EventType{ownership.EventMessageIn, ownership.EventCall}, evs[0].Type)

				code, err := e.api.do(ctx, "POST", "/api/v1/tickets/"+id+"/messages", map[string]any{"body": "Hello?"}, nil)
				require.Error(t, err)
				require.Equal(t, 409, code)
				require.Contains(t, err.Error(), "cannot be answered")
			}

			// A real number still gets its acknowledgement: the outbox runs,
			// and the senders above got nothing through it.
			code, _ := e.post(t, "/twilio/sms", smsForm("SM00000000000000000000000000000a04", "+15557770101", "Printer down"), "")
			require.Equal(t, 200, code)
			e.sentTo(t, "+15557770101", 1)
			var box struct{ Items []ownership.OutboxItem }
			_, err := e.api.do(ctx, "GET", "/api/v1/outbox", nil, &box)
			require.NoError(t, err)
			require.NotEmpty(t, box.Items)
			for _, it := range box.Items {
				for _, s := range senders {
					require.NotEqual(t, s.from, it.To, "nothing is queued to %s (%s)", s.from, it.Purpose)
				}
				require.NotEqual(t, ownership.OutboxDead, it.State, "nothing is dead-lettered: %+v", it)
			}
			for _, m := range e.twilio.Messages() {
				for _, s := range senders {
					require.NotEqual(t, s.from, m.To)
				}
			}
		})
	}
}
