package twiliotest

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

// Known answers published with Twilio's SDKs (twilio-go's
// request_validator_test.go, GoAlert's signature_test.go).
func TestSignatureKnownAnswers(t *testing.T) {
	params := url.Values{
		"Digits":  {"1234"},
		"CallSid": {"CA1234567890ABCDE"},
		"To":      {"+18005551212"},
		"Caller":  {"+14158675309"},
		"From":    {"+14158675309"},
	}
	require.Equal(t, "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
		Signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params))

	params.Set("Caller", "+14158675310")
	params.Set("From", "+14158675310")
	require.Equal(t, "GvWf1cFY/Q7PnoempGyD5oXAezc=",
		Signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params))
}

func TestSignedRequest(t *testing.T) {
	params := url.Values{"Body": {"hi"}}
	r := SignedRequest(t, "tok", "https://intake.example.com/twilio/sms?x=1", params)
	require.Equal(t, "POST", r.Method)
	require.Equal(t, "intake.example.com", r.Host)
	require.Equal(t, "/twilio/sms?x=1", r.URL.RequestURI())
	require.Equal(t, "application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
	require.Equal(t, Signature("tok", "https://intake.example.com/twilio/sms?x=1", params), r.Header.Get("X-Twilio-Signature"))
}
