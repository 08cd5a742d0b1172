package slack_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/channels/channeltest"
	"github.com/intakehq/intake/channels/slack"
	"github.com/intakehq/intake/channels/slack/slacktest"
	"github.com/stretchr/testify/require"
)

// Every request is verified before anything else: unsigned, wrongly
// signed, stale (a replay) or oversized requests are refused and reach
// no part of the ledger; a signed one is served.
func TestRequestsAreVerifiedFirst(t *testing.T) {
	r := newRig(t)
	r.desk.tickets["T-1"] = ticket("T-1", "dana")
	r.posted(t, "T-1", "1.0")
	body := slacktest.EventCallback("Ev1", slacktest.MessageEvent(triage, uDana, "a note", "1.1", "1.0"))
	send := func(mutate func(*http.Request)) (int, string) {
		req := slacktest.SignedRequest(t, r.url+"/slack/events", "application/json", body, r.now)
		mutate(req)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return resp.StatusCode, strings.TrimSpace(b.String())
	}
	for _, tc := range []struct {
		name   string
		mutate func(*http.Request)
		want   string
	}{
		{"unsigned", func(q *http.Request) { q.Header.Del(slacktest.SignatureHeader) }, "unsigned request"},
		{"no timestamp", func(q *http.Request) { q.Header.Del(slacktest.TimestampHeader) }, "unsigned request"},
		{"bad timestamp", func(q *http.Request) { q.Header.Set(slacktest.TimestampHeader, "soon") }, "bad timestamp"},
		{"wrong secret", func(q *http.Request) {
			ts, sig := slacktest.Sign("not-the-secret", r.now, body)
			q.Header.Set(slacktest.TimestampHeader, ts)
			q.Header.Set(slacktest.SignatureHeader, sig)
		}, "bad signature"},
		{"replayed after six minutes", func(q *http.Request) {
			ts, sig := slacktest.Sign(slacktest.SigningSecret, r.now.Add(-6*time.Minute), body)
			q.Header.Set(slacktest.TimestampHeader, ts)
			q.Header.Set(slacktest.SignatureHeader, sig)
		}, "stale timestamp"},
		{"from the future", func(q *http.Request) {
			ts, sig := slacktest.Sign(slacktest.SigningSecret, r.now.Add(6*time.Minute), body)
			q.Header.Set(slacktest.TimestampHeader, ts)
			q.Header.Set(slacktest.SignatureHeader, sig)
		}, "stale timestamp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, got := send(tc.mutate)
			require.Equal(t, http.StatusUnauthorized, code)
			require.Equal(t, tc.want, got)
			require.Empty(t, r.desk.writes(), "nothing reaches the ledger")
		})
	}

	// Every path is verified, not only events.
	for _, path := range []string{"/slack/interactions", "/slack/commands"} {
		form := []byte(slacktest.SlashCommand(uDana, triage, "ack T-1", "t").Encode())
		ts, sig := slacktest.Sign("not-the-secret", r.now, form)
		req, err := http.NewRequest(http.MethodPost, r.url+path, bytes.NewReader(form))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set(slacktest.TimestampHeader, ts)
		req.Header.Set(slacktest.SignatureHeader, sig)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, path)
	}
	require.Empty(t, r.desk.writes())

	code, _ := r.post(t, "/slack/events", "application/json", []byte("{not json"), r.now)
	require.Equal(t, http.StatusBadRequest, code)
	code, _ = r.post(t, "/slack/interactions", "application/x-www-form-urlencoded", []byte("payload=%7Bnot+json"), r.now)
	require.Equal(t, http.StatusBadRequest, code)

	big := bytes.Repeat([]byte("x"), 300<<10)
	code, _ = r.post(t, "/slack/events", "application/json", big, r.now)
	require.Equal(t, http.StatusRequestEntityTooLarge, code)

	code, got := r.post(t, "/slack/events", "application/json", []byte(`{"type":"url_verification","challenge":"c-123"}`), r.now)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "c-123", got, "the URL check is answered once signed")
	code, _ = send(func(*http.Request) {})
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, []string{"Note", "Queue"}, r.desk.writes(), "a signed event is handled")
}

// The adapter contract (channeltest), where it applies to Slack: every
// path is verified before the desk is called at all; a customer's
// message redelivered carries one DedupKey; a desk error is a 5xx, so
// Slack delivers again; neither the signing secret nor the bot token
// appears in an answer or a log line.
func TestContract(t *testing.T) {
	r := newRig(t)
	require.NoError(t, r.app.Start(t.Context()))
	r.desk.tickets["T-1"] = ticket("T-1", "dana")
	r.posted(t, "T-1", "1.0")
	h := r.app.Handler()
	dm := slacktest.EventCallback("Ev9", slacktest.MessageEvent("D0CUST", "U0CUST", "my printer", "4.1", ""))
	event := func() *http.Request {
		return slacktest.SignedRequest(t, r.url+"/slack/events", "application/json", dm, r.now)
	}
	button := func() *http.Request {
		form := slacktest.BlockAction(uDana, triage, "1.0", slack.ActionAck, "T-1|dana", "trig")
		return slacktest.SignedRequest(t, r.url+"/slack/interactions", "application/x-www-form-urlencoded", []byte(form.Encode()), r.now)
	}
	command := func() *http.Request {
		form := slacktest.SlashCommand(uDana, triage, "ack T-1", "t")
		return slacktest.SignedRequest(t, r.url+"/slack/commands", "application/x-www-form-urlencoded", []byte(form.Encode()), r.now)
	}
	var answers []string
	for _, req := range []func() *http.Request{event, button, command} {
		unsigned := req()
		unsigned.Header.Del(slacktest.SignatureHeader)
		answers = append(answers, channeltest.AssertVerifiedBeforeSink(t, h, unsigned, r.desk).Body.String())
		forged := req()
		body, err := io.ReadAll(forged.Body)
		require.NoError(t, err)
		forged.Body = io.NopCloser(bytes.NewReader(body))
		ts, sig := slacktest.Sign("not-the-secret", r.now, body)
		forged.Header.Set(slacktest.TimestampHeader, ts)
		forged.Header.Set(slacktest.SignatureHeader, sig)
		answers = append(answers, channeltest.AssertVerifiedBeforeSink(t, h, forged, r.desk).Body.String())
	}

	channeltest.AssertReplaySameKey(t, h, event, r.desk)

	diskFull := errors.New("disk full at /var/lib/intake")
	r.desk.fail["Accept"] = diskFull
	r.desk.fail["Ack"] = diskFull
	answers = append(answers,
		channeltest.AssertSinkErrorIs5xx(t, h, event(), r.desk, diskFull).Body.String(),
		channeltest.AssertSinkErrorIs5xx(t, h, button(), r.desk, diskFull).Body.String())

	require.NotEmpty(t, r.logs.String(), "the refusals and failures were logged")
	for _, text := range append(answers, r.logs.String()) {
		channeltest.AssertNoSecret(t, text, slacktest.SigningSecret, slacktest.BotToken)
	}
}
