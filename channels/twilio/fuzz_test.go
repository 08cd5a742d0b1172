package twilio_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/channels/channeltest"
	"github.com/intakehq/intake/channels/twilio"
	"github.com/intakehq/intake/channels/twilio/twiliotest"
)

// FuzzParseSMS posts arbitrary, validly signed form bodies to /twilio/sms.
// The channel must never panic, never answer 5xx except 503 when the sink
// fails, call the sink exactly when it answers 200 (or 503), and answer 200
// only with well-formed TwiML. Seeds live in testdata/fuzz/FuzzParseSMS.
func FuzzParseSMS(f *testing.F) {
	f.Add(smsForm("hello").Encode(), false)
	f.Add(smsForm("STOP").Encode(), false)
	f.Add(smsForm("help").Encode(), true)
	f.Fuzz(func(t *testing.T, body string, sinkFails bool) {
		sink := &channeltest.Recorder{Ref: channels.TicketRef{ID: "T-1", OwnerName: "<Dana>"}}
		if sinkFails {
			sink.Err = errors.New("store down")
		}
		cfg := testConfig()
		c, err := twilio.New(cfg, sink, nil)
		if err != nil {
			t.Fatal(err)
		}
		// Most bodies should get past the account check to the parser.
		if !strings.Contains(body, "AccountSid=") {
			body += "&AccountSid=" + accountSID
		}
		form, _ := url.ParseQuery(body) // a malformed body is signed over what parses
		r := httptest.NewRequest(http.MethodPost, publicURL+"/twilio/sms", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("X-Twilio-Signature", twiliotest.Signature(authToken, publicURL+"/twilio/sms", form))
		w := httptest.NewRecorder()
		c.Handler().ServeHTTP(w, r)

		calls := len(sink.Accepted())
		switch {
		case w.Code == http.StatusServiceUnavailable && sinkFails:
			if calls != 1 {
				t.Fatalf("503 with %d sink calls", calls)
			}
		case w.Code >= 500:
			t.Fatalf("status %d for body %q: %s", w.Code, body, w.Body)
		case w.Code == http.StatusOK:
			if calls != 1 {
				t.Fatalf("200 with %d sink calls", calls)
			}
			var resp struct {
				XMLName xml.Name `xml:"Response"`
			}
			if err := xml.NewDecoder(bytes.NewReader(w.Body.Bytes())).Decode(&resp); err != nil {
				t.Fatalf("200 with bad TwiML %q: %v", w.Body, err)
			}
		default:
			if calls != 0 {
				t.Fatalf("status %d but the sink was called", w.Code)
			}
		}
	})
}
