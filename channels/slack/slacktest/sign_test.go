package slacktest_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/require"

	"github.com/intakehq/intake/channels/slack/slacktest"
)

// The worked example of Slack's "Verifying requests from Slack" page.
func TestSignSlackExample(t *testing.T) {
	body := "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar" +
		"&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com" +
		"%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	ts, sig := slacktest.Sign("8f742231b10e8888abcd99yyyzzz85a5", time.Unix(1531420618, 0), []byte(body))
	require.Equal(t, "1531420618", ts)
	require.Equal(t, "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503", sig)
}

func TestSignByHand(t *testing.T) {
	body := []byte(`{"type":"event_callback","event_id":"Ev1"}`)
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write([]byte(`v0:1700000000:{"type":"event_callback","event_id":"Ev1"}`))
	want := "v0=" + hex.EncodeToString(mac.Sum(nil))
	ts, sig := slacktest.Sign("s3cret", time.Unix(1700000000, 0), body)
	require.Equal(t, "1700000000", ts)
	require.Equal(t, want, sig)
}

// slack-go's verifier, which the adapter may use, accepts what Sign
// produces, and rejects it for another secret.
func TestSignedRequestPassesSlackGoVerifier(t *testing.T) {
	body := slacktest.EventCallback("Ev1", slacktest.MessageEvent("C0TRIAGE", "U01DANA", "hi", "1800000000.000100", ""))
	var got []byte
	var verr, wrong error
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		v, err := slack.NewSecretsVerifier(r.Header, slacktest.SigningSecret)
		require.NoError(t, err)
		_, _ = v.Write(got)
		verr = v.Ensure()
		v, err = slack.NewSecretsVerifier(r.Header, "another-secret")
		require.NoError(t, err)
		_, _ = v.Write(got)
		wrong = v.Ensure()
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	req := slacktest.SignedRequest(t, srv.URL+"/slack/events", "application/json", body, time.Now())
	require.Equal(t, "application/json", req.Header.Get("Content-Type"))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, body, got)
	require.NoError(t, verr)
	require.ErrorIs(t, wrong, slack.ErrInvalidSignature)

	// The same request served in-process, without a network.
	req = slacktest.SignedRequest(t, "http://intake.example/slack/events", "application/json", body, time.Now())
	h.ServeHTTP(httptest.NewRecorder(), req)
	require.NoError(t, verr)
}
