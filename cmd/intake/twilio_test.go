package main

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/channels/twilio/twiliotest"
	"github.com/intakehq/intake/ownership"
	"github.com/stretchr/testify/require"
)

const publicURL = "https://intake.example.test"

// twilioEnv is a running intake with the Twilio channel pointed at a local
// stand-in of Twilio's REST API.
type twilioEnv struct {
	srv    *server
	twilio *twiliotest.Server
	api    *apiClient
}

func newTwilioEnv(t *testing.T, store string, before ...func(*twiliotest.Server)) *twilioEnv {
	tw := twiliotest.NewServer()
	t.Cleanup(tw.Close)
	for _, f := range before {
		f(tw)
	}
	cfg := fmt.Sprintf(`listen: 127.0.0.1:0
public_url: %s
reps:
  - {id: maria, name: Maria Santos, role: manager, phone: "+15551230001"}
  - {id: dana, name: Dana Whitfield, phone: "+15551230002"}
  - {id: lee, name: Lee Chen, phone: "+15551230003"}
teams:
  - {id: helpdesk, members: [dana, lee], fallback: maria}
channels:
%s`, publicURL, twilioSection(tw))
	path := filepath.Join(t.TempDir(), "intake.yaml")
	require.NoError(t, writeFile(path, cfg))
	srv := startServer(t, serveFlags{config: path, store: store})
	return &twilioEnv{srv: srv, twilio: tw, api: newAPIClient(srv.url, "", 4)}
}

// twilioSection is the channels.twilio config of a stand-in.
func twilioSection(tw *twiliotest.Server) string {
	return fmt.Sprintf("  twilio:\n    account_sid: %s\n    auth_token: %s\n    number: \"+15557771000\"\n    api_url: %s\n",
		twiliotest.AccountSID, twiliotest.AuthToken, tw.URL())
}

// post sends a webhook signed as Twilio signs it for publicURL+path; sig
// overrides the signature when not "".
func (e *twilioEnv) post(t *testing.T, path string, form url.Values, sig string) (int, string) {
	t.Helper()
	if sig == "" {
		sig = twiliotest.Signature(twiliotest.AuthToken, publicURL+path, form)
	}
	return postBody(t, e.srv.url+path, form.Encode(), map[string]string{"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": sig})
}

func smsForm(sid, from, body string) url.Values {
	return url.Values{"MessageSid": {sid}, "AccountSid": {twiliotest.AccountSID}, "From": {from}, "To": {"+15557771000"}, "Body": {body}, "NumMedia": {"0"}}
}

func (e *twilioEnv) ticket(t *testing.T, id string) (ownership.Ticket, []ownership.Event) {
	t.Helper()
	return fetchTicket(t, e.api, id)
}

func (e *twilioEnv) count(t *testing.T) int {
	t.Helper()
	return len(listTickets(t, e.api))
}

// waitEvent waits until ticket id's timeline has an event of type typ and
// returns the last such event.
func (e *twilioEnv) waitEvent(t *testing.T, id string, typ ownership.EventType) ownership.Event {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, evs := e.ticket(t, id)
		for i := len(evs) - 1; i >= 0; i-- {
			if evs[i].Type == typ {
				return evs[i]
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s has no %s event after 10s", id, typ)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sentTo waits for the outbox to deliver n messages to number, and checks
// no more arrive for a moment.
func (e *twilioEnv) sentTo(t *testing.T, number string, n int) []twiliotest.Sent {
	t.Helper()
	var got []twiliotest.Sent
	deadline := time.Now().Add(10 * time.Second)
	for {
		got = got[:0]
		for _, m := range e.twilio.Messages() {
			if m.To == number {
				got = append(got, m)
			}
		}
		if len(got) >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	require.Len(t, got, n, "messages to %s", number)
	return got
}

func TestTwilioSMS(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newTwilioEnv(t, b.url(t))
			form := smsForm("SM00000000000000000000000000000001", "+15557770101", "The office printer is offline")
			code, body := e.post(t, "/twilio/sms", form, "")
			require.Equal(t, 200, code, body)
			require.Contains(t, body, "<Response")
			for i := 0; i < 5; i++ {
				code, _ := e.post(t, "/twilio/sms", form, "")
				require.Equal(t, 200, code, "replay %d", i)
			}
			require.Equal(t, 1, e.count(t))
			tk, evs := e.ticket(t, "T-1")
			require.Equal(t, "sms", tk.Channel)
			require.NotEmpty(t, tk.Owner)
			require.Equal(t, ownership.EventMessageIn, evs[0].Type)
			acks := e.sentTo(t, "+15557770101", 1)
			require.Contains(t, acks[0].Body, "T-1")
			require.Equal(t, "+15557771000", acks[0].From)
			require.Equal(t, publicURL+"/twilio/sms/status", acks[0].StatusCallback)
			ownerPhone := map[string]string{"dana": "+15551230002", "lee": "+15551230003", "maria": "+15551230001"}[tk.Owner]
			notes := e.sentTo(t, ownerPhone, 1)
			require.Contains(t, notes[0].Body, "T-1")

			// Delivery status lands on the timeline (once the outbox has
			// recorded the send: Twilio's callback cannot come earlier).
			e.waitEvent(t, "T-1", ownership.EventMessageOut)
			st := url.Values{"MessageSid": {acks[0].SID}, "MessageStatus": {"delivered"}, "AccountSid": {twiliotest.AccountSID}}
			code, _ = e.post(t, "/twilio/sms/status", st, "")
			require.Equal(t, 200, code)

			// A second text joins; after closing, the next opens a new ticket.
			code, _ = e.post(t, "/twilio/sms", smsForm("SM00000000000000000000000000000002", "+15557770101", "still offline"), "")
			require.Equal(t, 200, code)
			require.Equal(t, 1, e.count(t))
			_, err := e.api.do(context.Background(), "POST", "/api/v1/tickets/T-1/status", map[string]any{"status": "closed"}, nil)
			require.NoError(t, err)
			code, _ = e.post(t, "/twilio/sms", smsForm("SM00000000000000000000000000000003", "+15557770101", "new issue"), "")
			require.Equal(t, 200, code)
			require.Equal(t, 2, e.count(t))

			_, evs = e.ticket(t, "T-1")
			var types []string
			for _, ev := range evs {
				types = append(types, string(ev.Type))
			}
			require.Contains(t, types, "message_out", "the auto-ack is on the timeline")
			require.Contains(t, types, "delivery", "its delivery status too")
			require.Equal(t, 2, strings.Count(strings.Join(types, " "), "message_in"))
		})
	}
}

func TestTwilioRejectsBadSignatures(t *testing.T) {
	e := newTwilioEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "intake.db"))
	form := smsForm("SM00000000000000000000000000000009", "+15557770101", "hello")
	good := twiliotest.Signature(twiliotest.AuthToken, publicURL+"/twilio/sms", form)
	tampered := url.Values{}
	for k, v := range form {
		tampered[k] = v
	}
	tampered.Set("Body", "hello, changed")
	for name, tc := range map[string]struct {
		form url.Values
		sig  string
	}{
		"wrong signature":        {form, "AAAAAAAAAAAAAAAAAAAAAAAAAAA="},
		"missing signature":      {form, "-"},
		"signed for another URL": {form, twiliotest.Signature(twiliotest.AuthToken, "https://evil.example/twilio/sms", form)},
		"tampered parameter":     {tampered, good},
		"wrong auth token":       {form, twiliotest.Signature("ffffffffffffffffffffffffffffffff", publicURL+"/twilio/sms", form)},
	} {
		t.Run(name, func(t *testing.T) {
			sig := tc.sig
			if sig == "-" {
				sig = " " // an empty header
			}
			code, _ := e.post(t, "/twilio/sms", tc.form, sig)
			require.Equal(t, 403, code)
		})
	}
	require.Equal(t, 0, e.count(t), "nothing stored")
	time.Sleep(1500 * time.Millisecond) // one outbox pass
	require.Empty(t, e.twilio.Messages(), "nothing sent")
}

func TestTwilioVoice(t *testing.T) {
	e := newTwilioEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "intake.db"))
	call := url.Values{"CallSid": {"CA00000000000000000000000000000001"}, "AccountSid": {twiliotest.AccountSID},
		"From": {"+15557770150"}, "To": {"+15557771000"}, "CallStatus": {"ringing"}}
	code, body := e.post(t, "/twilio/voice", call, "")
	require.Equal(t, 200, code, body)
	tk, _ := e.ticket(t, "T-1")
	ownerPhone := map[string]string{"dana": "+15551230002", "lee": "+15551230003", "maria": "+15551230001"}[tk.Owner]
	require.Contains(t, body, "<Dial", "the owner is on shift (no hours configured): ring them")
	require.Contains(t, body, ownerPhone)
	require.Contains(t, body, "T-1")
	for i := 0; i < 3; i++ {
		code, _ = e.post(t, "/twilio/voice", call, "")
		require.Equal(t, 200, code)
	}
	require.Equal(t, 1, e.count(t))

	noAnswer := url.Values{"CallSid": call["CallSid"], "AccountSid": call["AccountSid"], "DialCallStatus": {"no-answer"}, "CallStatus": {"in-progress"}}
	code, body = e.post(t, "/twilio/voice/status?ticket=T-1", noAnswer, "")
	require.Equal(t, 200, code, body)
	require.Contains(t, body, "<Record")

	rec := url.Values{"CallSid": call["CallSid"], "AccountSid": call["AccountSid"], "RecordingSid": {"RE00000000000000000000000000000001"},
		"RecordingUrl": {"https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE1"}, "RecordingDuration": {"12"}}
	tr := url.Values{"CallSid": call["CallSid"], "AccountSid": call["AccountSid"], "RecordingSid": rec["RecordingSid"],
		"TranscriptionText": {"Hi, the server room is beeping."}, "TranscriptionStatus": {"completed"}}
	for i := 0; i < 3; i++ {
		code, _ = e.post(t, "/twilio/voice/recording?ticket=T-1", rec, "")
		require.Equal(t, 200, code)
		code, _ = e.post(t, "/twilio/voice/transcription?ticket=T-1", tr, "")
		require.Equal(t, 200, code)
	}
	_, evs := e.ticket(t, "T-1")
	var voicemails, calls int
	for _, ev := range evs {
		switch ev.Type {
		case ownership.EventVoicemail:
			voicemails++
		case ownership.EventCall:
			calls++
		}
	}
	require.Equal(t, 2, voicemails, "one recording and one transcription, replays deduped")
	require.Equal(t, 2, calls, "the call and its no-answer")
	require.Equal(t, 1, e.count(t))
}

// TestTwilioOutbox: replies go through the outbox; a 429 is retried after
// Retry-After and delivered once; a permanent error (21610, unsubscribed)
// is dead-lettered, visible to managers and on the timeline.
func TestTwilioOutbox(t *testing.T) {
	e := newTwilioEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "intake.db"))
	ctx := context.Background()
	code, _ := e.post(t, "/twilio/sms", smsForm("SM00000000000000000000000000000101", "+15557770101", "VPN down"), "")
	require.Equal(t, 200, code)
	e.sentTo(t, "+15557770101", 1) // the auto-ack

	e.waitEvent(t, "T-1", ownership.EventMessageOut) // the ack is recorded: the reply's status can follow
	e.twilio.FailNext(1, 429, 20429, "1")
	_, err := e.api.do(ctx, "POST", "/api/v1/tickets/T-1/messages", map[string]any{"body": "Restarting the VPN server now."}, nil)
	require.NoError(t, err)
	sent := e.sentTo(t, "+15557770101", 2)
	require.Equal(t, "Restarting the VPN server now.", sent[1].Body)
	time.Sleep(1200 * time.Millisecond)
	e.sentTo(t, "+15557770101", 2) // still two: the 429 attempt was not delivered, the retry was, once

	e.twilio.FailTo("+15557770102", 21610)
	code, _ = e.post(t, "/twilio/sms", smsForm("SM00000000000000000000000000000102", "+15557770102", "printer"), "")
	require.Equal(t, 200, code)
	var dead struct {
		Items []ownership.OutboxItem `json:"items"`
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(dead.Items) == 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		_, err = e.api.do(ctx, "GET", "/api/v1/outbox?state=dead", nil, &dead)
		require.NoError(t, err)
	}
	require.Len(t, dead.Items, 1)
	require.Equal(t, "+15557770102", dead.Items[0].To)
	require.Contains(t, dead.Items[0].LastError, "21610")
	// The dead letter is recorded on the timeline right after the outbox.
	last := e.waitEvent(t, "T-2", ownership.EventDelivery)
	require.Equal(t, "dead", last.Meta["status"])
	_, metrics := get(t, e.srv.url+"/metrics")
	require.Contains(t, metrics, `intake_outbox_items{state="dead"} 1`)
	require.Contains(t, metrics, `intake_outbox_sends_total{channel="sms",result="dead"} 1`)

	// A manager retries the dead letter: it is attempted again (and, the
	// number still being unsubscribed, dead again after a second attempt).
	var retried ownership.OutboxItem
	_, err = e.api.do(ctx, "POST", "/api/v1/outbox/"+url.PathEscape(dead.Items[0].ID)+"/retry", nil, &retried)
	require.NoError(t, err)
	require.Equal(t, ownership.OutboxPending, retried.State)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		_, err = e.api.do(ctx, "GET", "/api/v1/outbox?state=dead", nil, &dead)
		require.NoError(t, err)
		if len(dead.Items) == 1 && dead.Items[0].Attempts == 2 {
			break
		}
	}
	require.Equal(t, 2, dead.Items[0].Attempts)

	// A message Twilio accepted but later reports undelivered is dead-lettered too.
	e.waitEvent(t, "T-1", ownership.EventDelivery) // the reply's send is recorded
	st := url.Values{"MessageSid": {sent[1].SID}, "MessageStatus": {"undelivered"}, "ErrorCode": {"30003"}, "AccountSid": {twiliotest.AccountSID}}
	code, _ = e.post(t, "/twilio/sms/status", st, "")
	require.Equal(t, 200, code)
	_, err = e.api.do(ctx, "GET", "/api/v1/outbox?state=dead", nil, &dead)
	require.NoError(t, err)
	require.Len(t, dead.Items, 2)
	require.Contains(t, dead.Items[0].LastError+dead.Items[1].LastError, "undelivered (error 30003)")
}

// TestTwilioReconcilesMissedTexts: a text Twilio could not deliver while
// intake was down is taken in by the startup sweep of Twilio's API, once.
func TestTwilioReconcilesMissedTexts(t *testing.T) {
	e := newTwilioEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "intake.db"), func(tw *twiliotest.Server) {
		tw.AddInbound("SM000000000000000000000000000000aa", "+15557770177", "+15557771000", "Sent while you were down", time.Now().Add(-time.Hour))
	})
	deadline := time.Now().Add(10 * time.Second)
	for e.count(t) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	require.Equal(t, 1, e.count(t))
	tk, evs := e.ticket(t, "T-1")
	require.Equal(t, "+15557770177", tk.Contact.Phone)
	require.Equal(t, "Sent while you were down", evs[0].Body)
	// The webhook arriving late (Twilio's retry) changes nothing.
	code, _ := e.post(t, "/twilio/sms", smsForm("SM000000000000000000000000000000aa", "+15557770177", "Sent while you were down"), "")
	require.Equal(t, 200, code)
	require.Equal(t, 1, e.count(t))
}
