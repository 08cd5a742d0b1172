package channeltest

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

// AssertVerifiedBeforeSink serves unsigned (a request that is not, or
// not correctly, signed) to h and requires a refusal, 401 or 403, with
// nothing of it reaching sink: not a write, not a read. It returns the
// response for further checks.
func AssertVerifiedBeforeSink(t testing.TB, h http.Handler, unsigned *http.Request, sink Witness) *httptest.ResponseRecorder {
	t.Helper()
	before := sink.Calls()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, unsigned)
	require.Contains(t, []int{http.StatusUnauthorized, http.StatusForbidden}, w.Code,
		"an unverified request is refused; got %d %q", w.Code, w.Body.String())
	require.Equal(t, before, sink.Calls(), "nothing reaches the sink before the request is verified")
	return w
}

// AssertSinkErrorIs5xx serves signed (a valid delivery) to h, built over
// a sink that fails (a Recorder from NewFailing, or a fake set to fail),
// and requires that the sink was reached and the answer is a 5xx, so the
// provider delivers again, with the sink's error kept out of the body.
// It returns the response for further checks.
func AssertSinkErrorIs5xx(t testing.TB, h http.Handler, signed *http.Request, sink Witness, sinkErr error) *httptest.ResponseRecorder {
	t.Helper()
	before := sink.Calls()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, signed)
	require.Greater(t, sink.Calls(), before, "the delivery reached the sink")
	require.GreaterOrEqual(t, w.Code, 500, "a sink error asks the provider to retry; got %d %q", w.Code, w.Body.String())
	require.Less(t, w.Code, 600, "got %d", w.Code)
	if sinkErr != nil {
		require.NotContains(t, w.Body.String(), sinkErr.Error(), "the ledger's error stays inside")
	}
	return w
}

// AssertReplaySameKey serves two requests made by next (the same
// delivery, sent twice as a provider retries) and requires both to be
// taken (2xx) and to reach sink as messages with one, non-empty
// DedupKey, so the ledger stores the delivery once.
func AssertReplaySameKey(t testing.TB, h http.Handler, next func() *http.Request, sink Witness) {
	t.Helper()
	before := len(sink.Accepted())
	for i := range 2 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, next())
		require.True(t, w.Code >= 200 && w.Code < 300, "delivery %d: got %d %q", i+1, w.Code, w.Body.String())
	}
	got := sink.Accepted()[before:]
	require.Len(t, got, 2, "each delivery reaches the sink, which dedupes by key")
	require.NotEmpty(t, got[0].DedupKey())
	require.Equal(t, got[0].DedupKey(), got[1].DedupKey(), "a replay carries the same DedupKey")
}

// AssertNoSecret requires that none of secrets appears in got, as given
// or URL-encoded. got is an error, a string, a []byte or a Stringer
// (a bytes.Buffer a logger wrote to); a nil error has nothing to leak.
func AssertNoSecret(t testing.TB, got any, secrets ...string) {
	t.Helper()
	var text string
	switch v := got.(type) {
	case nil:
		return
	case error:
		text = v.Error()
	case string:
		text = v
	case []byte:
		text = string(v)
	case *bytes.Buffer:
		text = v.String()
	case fmt.Stringer:
		text = v.String()
	default:
		t.Fatalf("AssertNoSecret: cannot read %T", got)
	}
	for _, s := range secrets {
		require.NotEmpty(t, s, "an empty secret proves nothing")
		require.NotContains(t, text, s, "a secret leaked")
		if e := url.QueryEscape(s); e != s {
			require.NotContains(t, text, e, "a secret leaked, URL-encoded")
		}
	}
}
