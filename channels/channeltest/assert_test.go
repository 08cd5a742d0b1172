package channeltest_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/channels/channeltest"
	"github.com/stretchr/testify/require"
)

// probe is a testing.TB that records a failure instead of ending the test,
// so the helpers can be shown to fail on an adapter that breaks the
// contract.
type probe struct {
	testing.TB
	failed bool
}

func (p *probe) Helper()                   {}
func (p *probe) Errorf(string, ...any)     { p.failed = true }
func (p *probe) Fatalf(f string, a ...any) { p.Errorf(f, a...); p.FailNow() }
func (p *probe) FailNow()                  { p.failed = true; runtime.Goexit() }

// fails reports whether check fails.
func fails(t *testing.T, check func(testing.TB)) bool {
	p := &probe{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		check(p)
	}()
	<-done
	return p.failed
}

// adapter is a handler that hands the message in the "text" query to
// sink when the request carries "signed", and answers as told.
func adapter(sink channels.Sink, checkSig bool, failStatus int, leak string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if checkSig && r.Header.Get("Signed") == "" {
			http.Error(w, "unsigned"+leak, http.StatusForbidden)
			return
		}
		m := channels.Message{Kind: channels.SMS, ExternalID: r.URL.Query().Get("id")}
		if _, err := sink.Accept(r.Context(), m); err != nil {
			http.Error(w, err.Error(), failStatus)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

func request(signed bool, id string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/hook?id="+id, nil)
	if signed {
		r.Header.Set("Signed", "yes")
	}
	return r
}

func TestAssertVerifiedBeforeSink(t *testing.T) {
	rec := &channeltest.Recorder{}
	require.False(t, fails(t, func(tb testing.TB) {
		channeltest.AssertVerifiedBeforeSink(tb, adapter(rec, true, 503, ""), request(false, "1"), rec)
	}))
	require.True(t, fails(t, func(tb testing.TB) {
		channeltest.AssertVerifiedBeforeSink(tb, adapter(rec, false, 503, ""), request(false, "1"), rec)
	}), "an adapter that delivers before verifying fails the contract")
}

func TestAssertSinkErrorIs5xx(t *testing.T) {
	diskFull := errors.New("disk full")
	rec := channeltest.NewFailing(diskFull)
	require.False(t, fails(t, func(tb testing.TB) {
		channeltest.AssertSinkErrorIs5xx(tb, adapter(rec, true, 503, ""), request(true, "1"), rec, nil)
	}))
	require.True(t, fails(t, func(tb testing.TB) {
		channeltest.AssertSinkErrorIs5xx(tb, adapter(rec, true, 200, ""), request(true, "1"), rec, nil)
	}), "a sink error answered 200 loses the message")
	require.True(t, fails(t, func(tb testing.TB) {
		channeltest.AssertSinkErrorIs5xx(tb, adapter(rec, true, 503, ""), request(true, "1"), rec, diskFull)
	}), "the ledger's error in the body")
}

func TestAssertReplaySameKey(t *testing.T) {
	rec := &channeltest.Recorder{}
	require.False(t, fails(t, func(tb testing.TB) {
		channeltest.AssertReplaySameKey(tb, adapter(rec, true, 503, ""), func() *http.Request { return request(true, "1") }, rec)
	}))
	n := 0
	require.True(t, fails(t, func(tb testing.TB) {
		channeltest.AssertReplaySameKey(tb, adapter(rec, true, 503, ""), func() *http.Request {
			n++
			return request(true, string(rune('a'+n)))
		}, rec)
	}), "a redelivery under a new key is stored twice")
}

func TestAssertNoSecret(t *testing.T) {
	require.False(t, fails(t, func(tb testing.TB) { channeltest.AssertNoSecret(tb, errors.New("bad signature"), "s3cr3t") }))
	require.False(t, fails(t, func(tb testing.TB) { channeltest.AssertNoSecret(tb, nil, "s3cr3t") }))
	require.True(t, fails(t, func(tb testing.TB) { channeltest.AssertNoSecret(tb, errors.New("token s3cr3t refused"), "s3cr3t") }))
	require.True(t, fails(t, func(tb testing.TB) { channeltest.AssertNoSecret(tb, "url?t=a%2Fb", "a/b") }), "URL-encoded")
	var logs channeltest.Logs
	logs.Logger().Info("calling", "token", "s3cr3t")
	require.True(t, fails(t, func(tb testing.TB) { channeltest.AssertNoSecret(tb, &logs, "s3cr3t") }))
	require.True(t, fails(t, func(tb testing.TB) { channeltest.AssertNoSecret(tb, "x", "") }), "an empty secret proves nothing")
}

func TestLedgerRecorderDedupes(t *testing.T) {
	rec := channeltest.NewLedgerRecorder()
	rec.FailFor("2", errors.New("disk full"))
	m := channels.Message{Kind: channels.SMS, ExternalID: "1"}
	first, err := rec.Accept(context.Background(), m)
	require.NoError(t, err)
	require.True(t, first.Created)
	again, err := rec.Accept(context.Background(), m)
	require.NoError(t, err)
	require.True(t, again.Duplicate)
	require.Equal(t, first.ID, again.ID)
	_, err = rec.Accept(context.Background(), channels.Message{Kind: channels.SMS, ExternalID: "2"})
	require.Error(t, err)
	require.Len(t, rec.Accepted(), 3)
	require.Len(t, rec.Stored(), 1)
	require.Equal(t, "2", rec.Last().ExternalID)
	require.Equal(t, 3, rec.Calls())
}
