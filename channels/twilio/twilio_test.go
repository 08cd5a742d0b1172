package twilio_test

import (
	"encoding/xml"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/channels/channeltest"
	"github.com/intakehq/intake/channels/twilio"
	"github.com/intakehq/intake/channels/twilio/twiliotest"
	"github.com/stretchr/testify/require"
)

const (
	accountSID = twiliotest.AccountSID
	authToken  = twiliotest.AuthToken
	publicURL  = "https://intake.example.com"
	ourNumber  = "+15550001111"
	customer   = "+15557654321"
	messageSID = "SM0123456789abcdef0123456789abcdef"
	callSID    = "CA0123456789abcdef0123456789abcdef"
	recSID     = "RE0123456789abcdef0123456789abcdef"
)

var fixedNow = time.Date(2026, 3, 4, 10, 30, 0, 0, time.UTC)

func testConfig() twilio.Config {
	return twilio.Config{
		AccountSID: accountSID, AuthToken: authToken, Number: ourNumber,
		PublicURL: publicURL, Now: func() time.Time { return fixedNow },
	}
}

func newChannel(t *testing.T, sink channels.Sink) *twilio.Channel {
	t.Helper()
	c, err := twilio.New(testConfig(), sink, nil)
	require.NoError(t, err)
	return c
}

func smsForm(body string) url.Values {
	return url.Values{
		"AccountSid": {accountSID}, "MessageSid": {messageSID}, "SmsMessageSid": {messageSID}, "SmsSid": {messageSID},
		"From": {customer}, "To": {ourNumber}, "Body": {body}, "NumMedia": {"0"}, "NumSegments": {"1"},
		"SmsStatus": {"received"}, "ApiVersion": {"2010-04-01"}, "FromCity": {"SPRINGFIELD"}, "FromCountry": {"US"},
	}
}

func callForm() url.Values {
	return url.Values{
		"AccountSid": {accountSID}, "CallSid": {callSID}, "From": {customer}, "Caller": {customer},
		"To": {ourNumber}, "Called": {ourNumber}, "CallStatus": {"ringing"}, "Direction": {"inbound"},
		"ApiVersion": {"2010-04-01"}, "FromCountry": {"US"},
	}
}

// post sends a webhook signed for publicURL+path to h.
func post(t *testing.T, h http.Handler, path string, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	return serve(h, twiliotest.SignedRequest(t, authToken, publicURL+path, form))
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// response is the TwiML this channel produces, decoded.
type response struct {
	XMLName xml.Name `xml:"Response"`
	Verbs   []verb   `xml:",any"`
}

type verb struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Text    string     `xml:",chardata"`
}

func (v verb) attr(name string) string {
	for _, a := range v.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (r response) names() []string {
	var out []string
	for _, v := range r.Verbs {
		out = append(out, v.XMLName.Local)
	}
	return out
}

func (r response) verb(t *testing.T, name string) verb {
	t.Helper()
	for _, v := range r.Verbs {
		if v.XMLName.Local == name {
			return v
		}
	}
	t.Fatalf("TwiML has no <%s>: %v", name, r.names())
	return verb{}
}

// twiml checks w is a 200 TwiML answer and decodes it.
func twiml(t *testing.T, w *httptest.ResponseRecorder) response {
	t.Helper()
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.Equal(t, "text/xml; charset=utf-8", w.Header().Get("Content-Type"))
	require.True(t, strings.HasPrefix(w.Body.String(), `<?xml version="1.0" encoding="UTF-8"?>`), w.Body.String())
	var r response
	require.NoError(t, xml.Unmarshal(w.Body.Bytes(), &r), w.Body.String())
	return r
}

func TestSMSInbound(t *testing.T) {
	sink := &channeltest.Recorder{Ref: channels.TicketRef{ID: "T-1", Created: true}}
	c := newChannel(t, sink)

	w := post(t, c.Handler(), "/twilio/sms", smsForm("  My printer is on fire  "))

	require.Empty(t, twiml(t, w).Verbs, "the auto-ack goes through the outbox, not TwiML")
	require.Equal(t, []channels.Message{{
		Kind:       channels.SMS,
		Event:      channels.EventMessage,
		ExternalID: messageSID,
		From:       channels.Contact{Phone: customer},
		To:         ourNumber,
		Text:       "  My printer is on fire  ",
		ReceivedAt: fixedNow,
		Meta: map[string]string{
			"message_sid": messageSID, "account_sid": accountSID, "num_segments": "1", "num_media": "0",
			"sms_status": "received", "from_city": "SPRINGFIELD", "from_country": "US",
		},
	}}, sink.Accepted())
	require.Equal(t, "sms:message:"+messageSID, sink.Accepted()[0].DedupKey())
}

func TestSMSReplayAnswersTheSame(t *testing.T) {
	sink := &channeltest.Recorder{Ref: channels.TicketRef{ID: "T-1"}}
	c := newChannel(t, sink)
	first := post(t, c.Handler(), "/twilio/sms", smsForm("hello"))
	for range 3 {
		again := post(t, c.Handler(), "/twilio/sms", smsForm("hello"))
		require.Equal(t, first.Body.String(), again.Body.String())
	}
	msgs := sink.Accepted()
	require.Len(t, msgs, 4, "every delivery reaches the sink, which dedupes by key")
	for _, m := range msgs {
		require.Equal(t, msgs[0].DedupKey(), m.DedupKey())
	}
}

func TestMMSMediaKeptAsLinks(t *testing.T) {
	sink := &channeltest.Recorder{}
	c := newChannel(t, sink)
	form := smsForm("see photo")
	form.Set("NumMedia", "2")
	form.Set("MediaUrl0", "https://api.twilio.com/2010-04-01/Accounts/"+accountSID+"/Messages/"+messageSID+"/Media/ME1")
	form.Set("MediaContentType0", "image/jpeg")
	form.Set("MediaUrl1", "https://api.twilio.com/2010-04-01/Accounts/"+accountSID+"/Messages/"+messageSID+"/Media/ME2")
	form.Set("MediaContentType1", "application/pdf")
	form.Set("MediaUrl2", "https://evil.example/not-counted") // beyond NumMedia

	twiml(t, post(t, c.Handler(), "/twilio/sms", form))

	require.Equal(t, []channels.Attachment{
		{Name: "media0", ContentType: "image/jpeg", URL: form.Get("MediaUrl0")},
		{Name: "media1", ContentType: "application/pdf", URL: form.Get("MediaUrl1")},
	}, sink.Accepted()[0].Attachments)
}

func TestSMSKeywords(t *testing.T) {
	for _, tc := range []struct {
		body  string
		event string
		help  bool
	}{
		{"STOP", channels.EventOptOut, false},
		{" stop ", channels.EventOptOut, false},
		{"Stop", channels.EventOptOut, false},
		{"stopall", channels.EventOptOut, false},
		{"UNSUBSCRIBE", channels.EventOptOut, false},
		{"cancel", channels.EventOptOut, false},
		{"End", channels.EventOptOut, false},
		{"QUIT\n", channels.EventOptOut, false},
		{"please stop", channels.EventMessage, false},
		{"START", channels.EventOptIn, false},
		{"yes", channels.EventOptIn, false},
		{" Unstop", channels.EventOptIn, false},
		{"HELP", channels.EventMessage, true},
		{"info", channels.EventMessage, true},
		{"help me please", channels.EventMessage, false},
	} {
		t.Run(tc.body, func(t *testing.T) {
			sink := &channeltest.Recorder{}
			c := newChannel(t, sink)
			resp := twiml(t, post(t, c.Handler(), "/twilio/sms", smsForm(tc.body)))

			msgs := sink.Accepted()
			require.Len(t, msgs, 1)
			require.Equal(t, tc.event, msgs[0].Event)
			require.Equal(t, tc.body, msgs[0].Text)
			require.Equal(t, customer, msgs[0].From.Phone)
			if tc.help {
				require.Equal(t, []string{"Message"}, resp.names())
				require.Contains(t, resp.verb(t, "Message").Text, "Reply STOP")
			} else {
				require.Empty(t, resp.Verbs)
			}
		})
	}
}

func TestSMSStatusCallback(t *testing.T) {
	sink := &channeltest.Recorder{}
	c := newChannel(t, sink)
	form := url.Values{
		"AccountSid": {accountSID}, "MessageSid": {messageSID}, "SmsSid": {messageSID},
		"MessageStatus": {"undelivered"}, "SmsStatus": {"undelivered"}, "ErrorCode": {"30003"},
		"To": {customer}, "From": {ourNumber}, "ApiVersion": {"2010-04-01"},
	}
	require.Empty(t, twiml(t, post(t, c.Handler(), "/twilio/sms/status", form)).Verbs)
	require.Equal(t, []channels.Message{{
		Kind: channels.SMS, Event: channels.EventStatus, ExternalID: messageSID + ":undelivered", To: customer,
		ReceivedAt: fixedNow,
		Meta:       map[string]string{"message_sid": messageSID, "status": "undelivered", "error_code": "30003"},
	}}, sink.Accepted())
}

func TestWebhookRejectsBadSignatures(t *testing.T) {
	form := smsForm("hello")
	signed := func(token, u string, f url.Values) *http.Request {
		return twiliotest.SignedRequest(t, token, u, f)
	}
	tamper := func(r *http.Request, f url.Values) *http.Request {
		r.Body = httpBody(f.Encode())
		r.ContentLength = int64(len(f.Encode()))
		return r
	}
	other := url.Values{}
	for k, v := range form {
		other[k] = v
	}
	for _, tc := range []struct {
		name string
		req  func() *http.Request
	}{
		{"missing signature", func() *http.Request {
			r := signed(authToken, publicURL+"/twilio/sms", form)
			r.Header.Del("X-Twilio-Signature")
			return r
		}},
		{"wrong signature", func() *http.Request {
			r := signed(authToken, publicURL+"/twilio/sms", form)
			r.Header.Set("X-Twilio-Signature", "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
			return r
		}},
		{"not base64", func() *http.Request {
			r := signed(authToken, publicURL+"/twilio/sms", form)
			r.Header.Set("X-Twilio-Signature", "%%%")
			return r
		}},
		{"other token", func() *http.Request {
			return signed("ffffffffffffffffffffffffffffffff", publicURL+"/twilio/sms", form)
		}},
		{"signed for another path", func() *http.Request {
			r := signed(authToken, publicURL+"/twilio/voice", form)
			r.URL.Path, r.RequestURI = "/twilio/sms", "/twilio/sms"
			return r
		}},
		{"signed for another host", func() *http.Request {
			r := signed(authToken, "https://evil.example/twilio/sms", form)
			r.Host = "intake.example.com"
			return r
		}},
		{"query added after signing", func() *http.Request {
			r := signed(authToken, publicURL+"/twilio/sms", form)
			r.URL.RawQuery, r.RequestURI = "ticket=T-9", "/twilio/sms?ticket=T-9"
			return r
		}},
		{"tampered parameter", func() *http.Request {
			r := signed(authToken, publicURL+"/twilio/sms", form)
			f := url.Values{}
			for k, v := range form {
				f[k] = v
			}
			f.Set("Body", "hello, transfer the money")
			return tamper(r, f)
		}},
		{"parameter added", func() *http.Request {
			r := signed(authToken, publicURL+"/twilio/sms", form)
			f := url.Values{"Extra": {"1"}}
			for k, v := range form {
				f[k] = v
			}
			return tamper(r, f)
		}},
		{"parameter removed", func() *http.Request {
			r := signed(authToken, publicURL+"/twilio/sms", form)
			f := url.Values{}
			for k, v := range form {
				if k != "FromCity" {
					f[k] = v
				}
			}
			return tamper(r, f)
		}},
		{"other account, correctly signed", func() *http.Request {
			f := smsForm("hello")
			f.Set("AccountSid", "AC99999999999999999999999999999999")
			return signed(authToken, publicURL+"/twilio/sms", f)
		}},
		{"no account, correctly signed", func() *http.Request {
			f := smsForm("hello")
			f.Del("AccountSid")
			return signed(authToken, publicURL+"/twilio/sms", f)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := &channeltest.Recorder{}
			c := newChannel(t, sink)
			w := channeltest.AssertVerifiedBeforeSink(t, c.Handler(), tc.req(), sink)
			require.Equal(t, http.StatusForbidden, w.Code, w.Body.String())
			channeltest.AssertNoSecret(t, w.Body.String(), authToken)
		})
	}
}

func httpBody(s string) *readCloser { return &readCloser{strings.NewReader(s)} }

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }

func TestWebhookRejectsBadRequests(t *testing.T) {
	sign := func(path, body string) *http.Request {
		f, _ := url.ParseQuery(body)
		r := httptest.NewRequest(http.MethodPost, publicURL+path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("X-Twilio-Signature", twiliotest.Signature(authToken, publicURL+path, f))
		return r
	}
	withoutSid := smsForm("hi")
	withoutSid.Del("MessageSid")
	withoutFrom := smsForm("hi")
	withoutFrom.Del("From")
	badSid := smsForm("hi")
	badSid.Set("MessageSid", "SM../../etc")
	big := smsForm(strings.Repeat("x", 70<<10))

	for _, tc := range []struct {
		name   string
		req    *http.Request
		status int
	}{
		{"oversized body", sign("/twilio/sms", big.Encode()), http.StatusRequestEntityTooLarge},
		{"malformed form", sign("/twilio/sms", "AccountSid="+accountSID+"&Body=%zz"), http.StatusBadRequest},
		{"repeated key", sign("/twilio/sms", smsForm("hi").Encode()+"&Body=evil"), http.StatusBadRequest},
		{"missing MessageSid", sign("/twilio/sms", withoutSid.Encode()), http.StatusBadRequest},
		{"missing From", sign("/twilio/sms", withoutFrom.Encode()), http.StatusBadRequest},
		{"invalid MessageSid", sign("/twilio/sms", badSid.Encode()), http.StatusBadRequest},
		{"missing CallSid", sign("/twilio/voice", "AccountSid="+accountSID+"&From=%2B1555"), http.StatusBadRequest},
		{"status without status", sign("/twilio/sms/status", "AccountSid="+accountSID+"&MessageSid="+messageSID), http.StatusBadRequest},
		{"json body", func() *http.Request {
			r := sign("/twilio/sms", "")
			r.Header.Set("Content-Type", "application/json")
			return r
		}(), http.StatusUnsupportedMediaType},
		{"unsigned json body", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, publicURL+"/twilio/sms", strings.NewReader(`{"Body":"hi"}`))
			r.Header.Set("Content-Type", "application/json")
			return r
		}(), http.StatusForbidden},
		{"unsigned oversized body", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, publicURL+"/twilio/sms", strings.NewReader(big.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}(), http.StatusForbidden},
		{"GET", httptest.NewRequest(http.MethodGet, publicURL+"/twilio/sms", nil), http.StatusMethodNotAllowed},
		{"unknown path", sign("/twilio/fax", smsForm("hi").Encode()), http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := &channeltest.Recorder{}
			c := newChannel(t, sink)
			w := serve(c.Handler(), tc.req)
			require.Equal(t, tc.status, w.Code, w.Body.String())
			require.Empty(t, sink.Accepted())
		})
	}
}

func TestSinkErrorAsksTwilioToRetry(t *testing.T) {
	sink := channeltest.NewFailing(errors.New("disk full"))
	c := newChannel(t, sink)
	for _, tc := range []struct {
		path string
		form url.Values
	}{
		{"/twilio/sms", smsForm("hello")},
		{"/twilio/voice", callForm()},
	} {
		w := channeltest.AssertSinkErrorIs5xx(t, c.Handler(), twiliotest.SignedRequest(t, authToken, publicURL+tc.path, tc.form), sink, sink.Err)
		require.Equal(t, http.StatusServiceUnavailable, w.Code)
		require.Empty(t, w.Body.String(), "no TwiML: the message was not taken")
	}
	require.Len(t, sink.Accepted(), 2)
}

// Behind a proxy the request arrives with an internal Host; the signature
// is over the public URL Twilio called.
func TestBehindProxy(t *testing.T) {
	sink := &channeltest.Recorder{}
	c := newChannel(t, sink)
	srv := httptest.NewServer(c.Handler())
	defer srv.Close()

	send := func(signedFor string, header http.Header) int {
		t.Helper()
		form := smsForm("hi")
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/twilio/sms", strings.NewReader(form.Encode()))
		require.NoError(t, err)
		req.Host = "internal:8080"
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", twiliotest.Signature(authToken, signedFor, form))
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}

	require.Equal(t, http.StatusOK, send(publicURL+"/twilio/sms", nil))
	require.Equal(t, http.StatusOK, send("https://intake.example.com:443/twilio/sms", nil), "default port may be in the signed URL")
	require.Len(t, sink.Accepted(), 2)

	require.Equal(t, http.StatusForbidden, send("http://internal:8080/twilio/sms", nil), "the Host header is not the URL")
	require.Equal(t, http.StatusForbidden, send(srv.URL+"/twilio/sms", nil))
	require.Equal(t, http.StatusForbidden, send("https://evil.example/twilio/sms",
		http.Header{"X-Forwarded-Host": {"evil.example"}, "X-Forwarded-Proto": {"https"}}), "forwarded headers are ignored")
	require.Len(t, sink.Accepted(), 2)
}

func TestVoiceOwnerOnShiftIsDialled(t *testing.T) {
	sink := &channeltest.Recorder{Ref: channels.TicketRef{ID: "T-7", Created: true, Owner: "dana",
		OwnerName: "Dana Scully", OwnerPhone: "+15550002222", OwnerOnShift: true}}
	c := newChannel(t, sink)

	resp := twiml(t, post(t, c.Handler(), "/twilio/voice", callForm()))

	require.Equal(t, []string{"Say", "Dial"}, resp.names())
	require.Equal(t, "Thanks for calling. Your ticket is T-7. Connecting you to Dana Scully.", resp.verb(t, "Say").Text)
	dial := resp.verb(t, "Dial")
	require.Equal(t, "+15550002222", dial.Text)
	require.Equal(t, "20", dial.attr("timeout"))
	require.Equal(t, publicURL+"/twilio/voice/status?ticket=T-7", dial.attr("action"))
	require.Equal(t, "POST", dial.attr("method"))

	require.Equal(t, []channels.Message{{
		Kind: channels.Voice, Event: channels.EventCall, ExternalID: callSID,
		From: channels.Contact{Phone: customer}, To: ourNumber, Text: "Incoming call", ReceivedAt: fixedNow,
		Meta: map[string]string{"call_sid": callSID, "account_sid": accountSID, "call_status": "ringing",
			"direction": "inbound", "from_country": "US"},
	}}, sink.Accepted())
}

func assertVoicemail(t *testing.T, resp response, ticket string) {
	t.Helper()
	require.Equal(t, []string{"Say", "Record", "Hangup"}, resp.names())
	require.Contains(t, resp.verb(t, "Say").Text, "Your ticket is "+ticket+".")
	rec := resp.verb(t, "Record")
	require.Equal(t, publicURL+"/twilio/voice/recording?ticket="+ticket, rec.attr("action"))
	require.Equal(t, publicURL+"/twilio/voice/transcription?ticket="+ticket, rec.attr("transcribeCallback"))
	require.Equal(t, "true", rec.attr("transcribe"))
	require.Equal(t, "300", rec.attr("maxLength"))
	require.Equal(t, "true", rec.attr("playBeep"))
	require.Equal(t, "POST", rec.attr("method"))
}

func TestVoiceOwnerOffShiftTakesVoicemail(t *testing.T) {
	for name, ref := range map[string]channels.TicketRef{
		"off shift": {ID: "T-8", OwnerName: "Dana", OwnerPhone: "+15550002222", OwnerOnShift: false},
		"no phone":  {ID: "T-8", OwnerName: "Dana", OwnerOnShift: true},
	} {
		t.Run(name, func(t *testing.T) {
			c := newChannel(t, &channeltest.Recorder{Ref: ref})
			assertVoicemail(t, twiml(t, post(t, c.Handler(), "/twilio/voice", callForm())), "T-8")
		})
	}
}

func TestVoiceDialOutcomes(t *testing.T) {
	dialForm := func(status string) url.Values {
		f := callForm()
		f.Set("CallStatus", "in-progress")
		f.Set("DialCallStatus", status)
		f.Set("DialCallSid", "CAffffffffffffffffffffffffffffffff")
		return f
	}
	for _, tc := range []struct {
		status string
		verbs  []string
	}{
		{"no-answer", []string{"Say", "Record", "Hangup"}},
		{"busy", []string{"Say", "Record", "Hangup"}},
		{"failed", []string{"Say", "Record", "Hangup"}},
		{"canceled", []string{"Say", "Record", "Hangup"}},
		{"completed", []string{"Hangup"}},
	} {
		t.Run(tc.status, func(t *testing.T) {
			sink := &channeltest.Recorder{Ref: channels.TicketRef{ID: "T-7"}}
			c := newChannel(t, sink)
			resp := twiml(t, post(t, c.Handler(), "/twilio/voice/status?ticket=T-7", dialForm(tc.status)))
			require.Equal(t, tc.verbs, resp.names())
			if tc.status != "completed" {
				assertVoicemail(t, resp, "T-7")
			}
			m := sink.Accepted()[0]
			require.Equal(t, channels.Voice, m.Kind)
			require.Equal(t, channels.EventCall, m.Event)
			require.Equal(t, callSID+":dial:"+tc.status, m.ExternalID, "the owner's leg has its own key")
			require.Equal(t, "voice:call:"+callSID, m.ThreadKey)
			require.Equal(t, tc.status, m.Meta["dial_call_status"])
			require.Equal(t, "in-progress", m.Meta["call_status"])
			require.Equal(t, "T-7", m.Meta["ticket"])
		})
	}

	t.Run("status callback", func(t *testing.T) {
		sink := &channeltest.Recorder{Ref: channels.TicketRef{ID: "T-7"}}
		c := newChannel(t, sink)
		f := callForm()
		f.Set("CallStatus", "completed")
		f.Set("CallDuration", "42")
		require.Empty(t, twiml(t, post(t, c.Handler(), "/twilio/voice/status", f)).Verbs)
		m := sink.Accepted()[0]
		require.Equal(t, callSID+":completed", m.ExternalID)
		require.Equal(t, "voice:call:"+callSID, m.ThreadKey)
		require.Equal(t, map[string]string{"call_sid": callSID, "call_status": "completed", "call_duration": "42"}, m.Meta)
	})
}

func TestVoicemailRecordingAndTranscription(t *testing.T) {
	sink := &channeltest.Recorder{Ref: channels.TicketRef{ID: "T-7"}}
	c := newChannel(t, sink)
	recURL := "https://api.twilio.com/2010-04-01/Accounts/" + accountSID + "/Recordings/" + recSID

	rec := callForm()
	rec.Set("CallStatus", "completed")
	rec.Set("RecordingSid", recSID)
	rec.Set("RecordingUrl", recURL)
	rec.Set("RecordingDuration", "17")
	resp := twiml(t, post(t, c.Handler(), "/twilio/voice/recording?ticket=T-7", rec))
	require.Equal(t, []string{"Say", "Hangup"}, resp.names())
	require.Equal(t, "Thank you. Goodbye.", resp.verb(t, "Say").Text)

	tr := callForm()
	tr.Set("RecordingSid", recSID)
	tr.Set("RecordingUrl", recURL)
	tr.Set("TranscriptionSid", "TR0123456789abcdef0123456789abcdef")
	tr.Set("TranscriptionStatus", "completed")
	tr.Set("TranscriptionText", "Hi, my VPN is down <again> & I can't work.")
	require.Empty(t, twiml(t, post(t, c.Handler(), "/twilio/voice/transcription?ticket=T-7", tr)).Verbs)

	msgs := sink.Accepted()
	require.Len(t, msgs, 2)
	require.Equal(t, channels.Message{
		Kind: channels.Voice, Event: channels.EventVoicemail, ExternalID: recSID, ThreadKey: "voice:call:" + callSID,
		From: channels.Contact{Phone: customer}, To: ourNumber, Text: "Voicemail (17 s)", ReceivedAt: fixedNow,
		Attachments: []channels.Attachment{{Name: recSID + ".mp3", ContentType: "audio/mpeg", URL: recURL + ".mp3"}},
		Meta:        map[string]string{"recording_sid": recSID, "call_sid": callSID, "recording_duration": "17", "ticket": "T-7"},
	}, msgs[0])
	require.Equal(t, channels.Message{
		Kind: channels.Voice, Event: channels.EventVoicemail, ExternalID: recSID + ":transcription",
		ThreadKey: "voice:call:" + callSID, From: channels.Contact{Phone: customer}, To: ourNumber,
		Text: "Hi, my VPN is down <again> & I can't work.", ReceivedAt: fixedNow,
		Meta: map[string]string{"recording_sid": recSID, "call_sid": callSID, "ticket": "T-7",
			"transcription_sid": "TR0123456789abcdef0123456789abcdef", "transcription_status": "completed"},
	}, msgs[1])
	require.NotEqual(t, msgs[0].DedupKey(), msgs[1].DedupKey())
}

func TestTwiMLIsEscaped(t *testing.T) {
	ref := channels.TicketRef{ID: "T-7&x=<1>", OwnerName: `Dana "D" O'Neil <&>`, OwnerPhone: "+1555&<x>", OwnerOnShift: true}
	c := newChannel(t, &channeltest.Recorder{Ref: ref})
	resp := twiml(t, post(t, c.Handler(), "/twilio/voice", callForm()))
	require.Contains(t, resp.verb(t, "Say").Text, `Connecting you to Dana "D" O'Neil <&>.`)
	require.Equal(t, "+1555&<x>", resp.verb(t, "Dial").Text)
	u, err := url.Parse(resp.verb(t, "Dial").attr("action"))
	require.NoError(t, err)
	require.Equal(t, "T-7&x=<1>", u.Query().Get("ticket"), "the ticket id is one query value")
}

// A withheld number arrives as From=anonymous beside FromCity=: "From"
// sorts before "FromCity" though "Fromanonymous" sorts after it.
func TestAnonymousCallerAccepted(t *testing.T) {
	sink := &channeltest.Recorder{Ref: channels.TicketRef{ID: "T-3"}}
	c := newChannel(t, sink)
	f := callForm()
	f.Set("From", "anonymous")
	f.Set("Caller", "anonymous")
	f.Set("FromCity", "")
	f.Set("CallerCity", "")
	twiml(t, post(t, c.Handler(), "/twilio/voice", f))
	require.Equal(t, "anonymous", sink.Accepted()[0].From.Phone)
}

func TestNewValidatesConfig(t *testing.T) {
	_, err := twilio.New(twilio.Config{AuthToken: "s3cr3t!"}, &channeltest.Recorder{}, nil)
	require.Error(t, err)
	for _, key := range []string{"channels.twilio.account_sid", "channels.twilio.auth_token", "channels.twilio.number", "public_url"} {
		require.Contains(t, err.Error(), key)
	}
	channeltest.AssertNoSecret(t, err, "s3cr3t!")

	cfg := testConfig()
	cfg.PublicURL = "intake.example.com"
	cfg.DialTimeout = 2
	cfg.APIURL = "ftp://x"
	_, err = twilio.New(cfg, &channeltest.Recorder{}, nil)
	require.ErrorContains(t, err, "public_url")
	require.ErrorContains(t, err, "dial_timeout")
	require.ErrorContains(t, err, "api_url")

	_, err = twilio.New(testConfig(), nil, nil)
	require.Error(t, err)

	require.NotContains(t, testConfig().String(), authToken)
}

func TestDialTimeoutAndTrailingSlash(t *testing.T) {
	cfg := testConfig()
	cfg.DialTimeout = 35
	cfg.PublicURL = publicURL + "/"
	c, err := twilio.New(cfg, &channeltest.Recorder{Ref: channels.TicketRef{ID: "T-1", OwnerPhone: "+1555", OwnerOnShift: true}}, nil)
	require.NoError(t, err)
	dial := twiml(t, post(t, c.Handler(), "/twilio/voice", callForm())).verb(t, "Dial")
	require.Equal(t, "35", dial.attr("timeout"))
	require.Equal(t, publicURL+"/twilio/voice/status?ticket=T-1", dial.attr("action"))
}

// TestHelpNotAnsweredAfterOptOut: an opted-out number gets no text at all,
// not even the help line.
func TestHelpNotAnsweredAfterOptOut(t *testing.T) {
	sink := &channeltest.Recorder{Ref: channels.TicketRef{ID: "T-1", OptedOut: true}}
	c := newChannel(t, sink)
	resp := twiml(t, post(t, c.Handler(), "/twilio/sms", smsForm("HELP")))
	require.Empty(t, resp.Verbs)
}

// hangingAPI returns a config whose REST calls hang until the client gives
// up, to test that sends and sweeps stop when their context ends.
func hangingAPI(t *testing.T) twilio.Config {
	t.Helper()
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() {
		close(release)
		slow.Close()
	})
	cfg := testConfig()
	cfg.APIURL = slow.URL
	return cfg
}

// The adapter contract (channeltest) on every webhook path: verified
// before the sink, a replay carries one DedupKey, a sink error is a 5xx,
// and the auth token is in no answer and no log line. The token here is
// its own: the shared one is a substring of the test SIDs.
func TestWebhookContract(t *testing.T) {
	const token = "5ec7e7a0b1c2d3e4f5a6b7c8d9e0f1aa"
	cfg := testConfig()
	cfg.AuthToken = token
	var logs channeltest.Logs
	logger := logs.Logger()
	status := url.Values{
		"AccountSid": {accountSID}, "MessageSid": {messageSID}, "MessageStatus": {"delivered"},
		"To": {customer}, "From": {ourNumber},
	}
	for _, tc := range []struct {
		path string
		form url.Values
	}{
		{"/twilio/sms", smsForm("hello")},
		{"/twilio/voice", callForm()},
		{"/twilio/sms/status", status},
	} {
		t.Run(tc.path, func(t *testing.T) {
			signed := func() *http.Request { return twiliotest.SignedRequest(t, token, publicURL+tc.path, tc.form) }

			sink := &channeltest.Recorder{Ref: channels.TicketRef{ID: "T-1"}}
			c, err := twilio.New(cfg, sink, logger)
			require.NoError(t, err)
			unsigned := signed()
			unsigned.Header.Del("X-Twilio-Signature")
			channeltest.AssertVerifiedBeforeSink(t, c.Handler(), unsigned, sink)
			forged := signed()
			forged.Header.Set("X-Twilio-Signature", twiliotest.Signature("ffffffffffffffffffffffffffffffff", publicURL+tc.path, tc.form))
			channeltest.AssertVerifiedBeforeSink(t, c.Handler(), forged, sink)
			channeltest.AssertReplaySameKey(t, c.Handler(), signed, sink)

			failing := channeltest.NewFailing(errors.New("disk full"))
			c, err = twilio.New(cfg, failing, logger)
			require.NoError(t, err)
			w := channeltest.AssertSinkErrorIs5xx(t, c.Handler(), signed(), failing, failing.Err)
			channeltest.AssertNoSecret(t, w.Body.String(), token)
		})
	}
	require.NotEmpty(t, logs.String(), "the refusals and the failure were logged")
	channeltest.AssertNoSecret(t, &logs, token)
}
