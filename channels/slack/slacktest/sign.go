package slacktest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// The headers Slack signs its requests with.
const (
	TimestampHeader = "X-Slack-Request-Timestamp"
	SignatureHeader = "X-Slack-Signature"
)

// Sign returns the X-Slack-Request-Timestamp and X-Slack-Signature values
// Slack sends with body at time ts: the Unix seconds, and "v0=" followed
// by the hex HMAC-SHA256, keyed with secret, of "v0:<seconds>:<body>".
// It is written from Slack's documentation, not with slack-go, so that a
// verifier is tested against an independent implementation.
func Sign(secret string, ts time.Time, body []byte) (timestampHeader, signatureHeader string) {
	timestampHeader = strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + timestampHeader + ":"))
	mac.Write(body)
	return timestampHeader, "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// SignedRequest is a POST of body to url as Slack sends it at time at:
// Content-Type contentType, signed with SigningSecret. It is a client
// request, for an http.Client or a handler's ServeHTTP alike. Add
// X-Slack-Retry-Num and X-Slack-Retry-Reason to make it a redelivery.
func SignedRequest(t testing.TB, url, contentType string, body []byte, at time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("slacktest: SignedRequest(%q): %v", url, err)
	}
	ts, sig := Sign(SigningSecret, at, body)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	req.Header.Set(TimestampHeader, ts)
	req.Header.Set(SignatureHeader, sig)
	return req
}
