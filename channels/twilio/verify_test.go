package twilio

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/intakehq/intake/channels/twilio/twiliotest"
	"github.com/stretchr/testify/require"
	"github.com/twilio/twilio-go/client"
)

func flat(v url.Values) map[string]string {
	m := map[string]string{}
	for k := range v {
		m[k] = v.Get(k)
	}
	return m
}

func TestValidSignatureKnownAnswers(t *testing.T) {
	c := &Channel{cfg: Config{AuthToken: "12345"}, validator: client.NewRequestValidator("12345")}
	params := map[string]string{
		"Digits": "1234", "CallSid": "CA1234567890ABCDE", "To": "+18005551212",
		"Caller": "+14158675309", "From": "+14158675309",
	}
	for _, tc := range []struct {
		url, sig string
		ok       bool
	}{
		{"https://mycompany.com/myapp.php?foo=1&bar=2", "RSOYDt4T1cUTdK1PDd93/VVr8B8=", true},
		{"https://mycompany.com:1234/myapp.php?foo=1&bar=2", "RSOYDt4T1cUTdK1PDd93/VVr8B8=", true},
		{"http://mycompany.com:1234/myapp.php?foo=1&bar=2", "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=", true},
		{"https://mycompany.com/myapp.php?foo=1&bar=2", "kvajT1Ptam85bY51eRf/AJRuM3w=", true}, // signed with :443
		{"https://mycompany.com/myapp.php?foo=1&bar=3", "RSOYDt4T1cUTdK1PDd93/VVr8B8=", false},
		{"https://mycompany.com/myapp.php?foo=1&bar=2", "", false},
	} {
		require.Equal(t, tc.ok, c.validSignature(tc.url, params, tc.sig), "%s %s", tc.url, tc.sig)
	}
}

// A withheld number (From=anonymous) sits beside FromCity; keys are
// sorted by name, so "From" comes before "FromCity" (twilio/twilio-go#139,
// fixed in the pinned release).
func TestValidSignatureKeyPrefixes(t *testing.T) {
	const token = "abc123"
	c := &Channel{cfg: Config{AuthToken: token}, validator: client.NewRequestValidator(token)}
	u := "https://intake.example.com/twilio/voice"
	params := url.Values{"From": {"anonymous"}, "FromCity": {""}, "CallSid": {"CA1"}}
	sig := twiliotest.Signature(token, u, params)

	require.True(t, c.validSignature(u, flat(params), sig))
	require.True(t, c.validSignature("https://intake.example.com:443/twilio/voice", flat(params), sig))
	require.False(t, c.validSignature(u+"?x=1", flat(params), sig))
	require.False(t, c.validSignature(u, map[string]string{"From": "anonymous", "FromCity": "x", "CallSid": "CA1"}, sig))
}

func TestRewrite(t *testing.T) {
	for _, tc := range []struct{ in, api, want string }{
		{"https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json", "http://127.0.0.1:9999", "http://127.0.0.1:9999/2010-04-01/Accounts/AC1/Messages.json"},
		{"https://api.sydney.us1.twilio.com/2010-04-01/X.json", "http://127.0.0.1:9999/prefix/", "http://127.0.0.1:9999/prefix/2010-04-01/X.json"},
		{"https://api.twilio.com/2010-04-01/X.json", "", "https://api.twilio.com/2010-04-01/X.json"},
	} {
		req, err := http.NewRequest(http.MethodPost, tc.in, nil)
		require.NoError(t, err)
		require.NoError(t, rewrite(req, tc.api))
		require.Equal(t, tc.want, req.URL.String())
	}
	for _, bad := range []string{"https://evil.example/x", "https://twilio.com.evil.example/x", "https://nottwilio.com/x"} {
		req, err := http.NewRequest(http.MethodPost, bad, nil)
		require.NoError(t, err)
		require.Error(t, rewrite(req, "http://127.0.0.1:9999"), bad)
	}
}
