package twiliotest

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// Signature computes X-Twilio-Signature as Twilio documents it, written
// independently of twilio-go: HMAC-SHA1 keyed with the auth token over the
// full URL followed by every POST parameter, sorted by name, as name and
// value with no separators (a repeated name contributes each of its values,
// sorted); base64-encoded.
func Signature(authToken, fullURL string, params url.Values) string {
	var b strings.Builder
	b.WriteString(fullURL)
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		vals := slices.Clone(params[k])
		slices.Sort(vals)
		for _, v := range vals {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// SignedRequest is the webhook Twilio would send to fullURL (public URL,
// path and query) with params as the form body, signed with authToken. The
// request's Host and target come from fullURL; change them to simulate a
// proxy.
func SignedRequest(t testing.TB, authToken, fullURL string, params url.Values) *http.Request {
	t.Helper()
	if _, err := url.Parse(fullURL); err != nil {
		t.Fatalf("SignedRequest: bad URL %q: %v", fullURL, err)
	}
	r := httptest.NewRequest(http.MethodPost, fullURL, strings.NewReader(params.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("X-Twilio-Signature", Signature(authToken, fullURL, params))
	r.Header.Set("User-Agent", "TwilioProxy/1.1")
	return r
}
