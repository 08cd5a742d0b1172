package twilio_test

import (
	"context"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/channels/channeltest"
	"github.com/intakehq/intake/channels/twilio"
	"github.com/intakehq/intake/channels/twilio/twiliotest"
	"github.com/stretchr/testify/require"
)

func newReplier(t *testing.T, srv *twiliotest.Server) *twilio.Replier {
	t.Helper()
	cfg := testConfig()
	cfg.APIURL = srv.URL()
	r, err := twilio.NewReplier(cfg, nil)
	require.NoError(t, err)
	return r
}

func reply(to, body string) channels.Outbound {
	return channels.Outbound{ID: "ack:sms:message:SM1", TicketID: "T-1", Kind: channels.SMS, To: to, Body: body, Purpose: "auto_ack", Attempt: 1}
}

func TestReplierSends(t *testing.T) {
	srv := twiliotest.NewServer()
	defer srv.Close()
	// Where requests go is config's business, not the environment's.
	t.Setenv("TWILIO_EDGE", "sydney")
	t.Setenv("TWILIO_ACCOUNT_SID", "ACenv")
	t.Setenv("TWILIO_AUTH_TOKEN", "envtoken")

	sid, err := newReplier(t, srv).Send(context.Background(), reply(customer, "Ticket T-1 is with Dana & co <3"))
	require.NoError(t, err)
	require.Regexp(t, regexp.MustCompile(`^SM[0-9a-f]{32}$`), sid)

	sent := srv.Messages()
	require.Len(t, sent, 1)
	require.Equal(t, sid, sent[0].SID)
	require.Equal(t, accountSID, sent[0].AccountSID)
	require.Equal(t, ourNumber, sent[0].From)
	require.Equal(t, customer, sent[0].To)
	require.Equal(t, "Ticket T-1 is with Dana & co <3", sent[0].Body)
	require.Equal(t, publicURL+"/twilio/sms/status", sent[0].StatusCallback)
}

func TestChannelReplier(t *testing.T) {
	srv := twiliotest.NewServer()
	defer srv.Close()
	cfg := testConfig()
	cfg.APIURL = srv.URL()
	c, err := twilio.New(cfg, &channeltest.Recorder{}, nil)
	require.NoError(t, err)
	var r channels.Replier = c.Replier()
	_, err = r.Send(context.Background(), reply(customer, "hi"))
	require.NoError(t, err)
	require.Len(t, srv.Messages(), 1)
}

func TestReplierWrongCredentials(t *testing.T) {
	srv := twiliotest.NewServer()
	defer srv.Close()
	srv.SetCredentials(accountSID, "ffffffffffffffffffffffffffffffff")

	_, err := newReplier(t, srv).Send(context.Background(), reply(customer, "hi"))
	require.Error(t, err)
	require.False(t, channels.IsPermanent(err), "a 401 is our credentials (e.g. a rotated token), not the message: retry, do not dead-letter: %v", err)
	require.NotContains(t, err.Error(), authToken)
	require.Empty(t, srv.Messages())
}

func TestReplierErrors(t *testing.T) {
	for _, tc := range []struct {
		name       string
		setup      func(*twiliotest.Server)
		to         string
		permanent  bool
		retryAfter time.Duration // > 0: a *channels.RetryAfterError with this wait
	}{
		{name: "429 with Retry-After", setup: func(s *twiliotest.Server) { s.FailNext(1, 429, 20429, "7") }, to: customer, retryAfter: 7 * time.Second},
		{name: "429 without Retry-After", setup: func(s *twiliotest.Server) { s.FailNext(1, 429, 20429, "") }, to: customer, retryAfter: time.Second},
		{name: "unsubscribed 21610", setup: func(s *twiliotest.Server) { s.FailTo(customer, 21610) }, to: customer, permanent: true},
		{name: "invalid number 21211", setup: func(s *twiliotest.Server) { s.FailTo("+1555", 21211) }, to: "+1555", permanent: true},
		{name: "not mobile 21614", setup: func(s *twiliotest.Server) { s.FailTo(customer, 21614) }, to: customer, permanent: true},
		{name: "region 21408", setup: func(s *twiliotest.Server) { s.FailNext(1, 400, 21408, "") }, to: customer, permanent: true},
		{name: "other 4xx", setup: func(s *twiliotest.Server) { s.FailNext(1, 400, 21999, "") }, to: customer, permanent: true},
		{name: "500", setup: func(s *twiliotest.Server) { s.FailNext(1, 500, 20500, "") }, to: customer},
		{name: "503", setup: func(s *twiliotest.Server) { s.FailNext(1, 503, 20503, "") }, to: customer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := twiliotest.NewServer()
			defer srv.Close()
			tc.setup(srv)

			_, err := newReplier(t, srv).Send(context.Background(), reply(tc.to, "hi"))
			require.Error(t, err)
			require.Equal(t, tc.permanent, channels.IsPermanent(err), "IsPermanent(%v)", err)
			ra, ok := errors.AsType[*channels.RetryAfterError](err)
			require.Equal(t, tc.retryAfter > 0, ok, "RetryAfterError? %v", err)
			if ok {
				require.Equal(t, tc.retryAfter, ra.After)
			}
			require.Equal(t, 1, srv.Attempts())
			require.Empty(t, srv.Messages())
		})
	}
}

func TestReplierRecoversAfterFaults(t *testing.T) {
	srv := twiliotest.NewServer()
	defer srv.Close()
	srv.FailNext(1, 500, 20500, "")
	srv.FailNext(1, 429, 20429, "2")
	r := newReplier(t, srv)

	_, err := r.Send(context.Background(), reply(customer, "hi"))
	require.Error(t, err)
	require.False(t, channels.IsPermanent(err))
	_, err = r.Send(context.Background(), reply(customer, "hi"))
	var ra *channels.RetryAfterError
	require.ErrorAs(t, err, &ra)
	require.Equal(t, 2*time.Second, ra.After)
	_, err = r.Send(context.Background(), reply(customer, "hi"))
	require.NoError(t, err)
	require.Len(t, srv.Messages(), 1)
	require.Equal(t, 3, srv.Attempts())
}

func TestReplierNetworkErrorIsTemporary(t *testing.T) {
	srv := twiliotest.NewServer()
	r := newReplier(t, srv)
	srv.Close()
	_, err := r.Send(context.Background(), reply(customer, "hi"))
	require.Error(t, err)
	require.False(t, channels.IsPermanent(err))
}

func TestReplierRefusesWithoutCalling(t *testing.T) {
	srv := twiliotest.NewServer()
	defer srv.Close()
	r := newReplier(t, srv)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := r.Send(ctx, reply(customer, "hi"))
	require.ErrorIs(t, err, context.Canceled)
	require.False(t, channels.IsPermanent(err))

	for _, o := range []channels.Outbound{reply(ourNumber, "loop"), reply("", "hi"), reply(customer, "")} {
		_, err := r.Send(context.Background(), o)
		require.True(t, channels.IsPermanent(err), "IsPermanent(%v)", err)
	}
	require.Zero(t, srv.Attempts())
}

func TestReplierStopsWhenContextEnds(t *testing.T) {
	cfg := hangingAPI(t)
	r, err := twilio.NewReplier(cfg, nil)
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = r.Send(ctx, reply(customer, "hi"))
	require.Error(t, err)
	require.False(t, channels.IsPermanent(err))
	require.Less(t, time.Since(start), 5*time.Second, "bounded by ctx, not only by the 10 s client timeout")
}
