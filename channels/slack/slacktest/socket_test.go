package slacktest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
	"github.com/stretchr/testify/require"

	"github.com/intakehq/intake/channels/slack/slacktest"
)

// socketClient runs slack-go's Socket Mode client against srv until the
// test ends and hands over the requests it receives (envelopes), unacked.
func socketClient(t *testing.T, srv *slacktest.Server, opts ...socketmode.Option) (*socketmode.Client, <-chan socketmode.Event) {
	t.Helper()
	api := slack.New(slacktest.BotToken, slack.OptionAPIURL(srv.APIURL()), slack.OptionAppLevelToken(slacktest.AppToken))
	client := socketmode.New(api, opts...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = client.RunContext(ctx)
	}()
	requests := make(chan socketmode.Event, 16)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-client.Events:
				if evt.Request != nil && evt.Type != socketmode.EventTypeHello {
					requests <- evt
				}
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("socket mode client still running 5s after cancel")
		}
	})
	return client, requests
}

func next(t *testing.T, events <-chan socketmode.Event) socketmode.Event {
	t.Helper()
	select {
	case evt := <-events:
		return evt
	case <-time.After(5 * time.Second):
		t.Fatal("the client received no envelope")
		return socketmode.Event{}
	}
}

func TestSocketModeRoundTrip(t *testing.T) {
	srv := slacktest.New(t)
	client, events := socketClient(t, srv)
	srv.WaitSocket(t, 5*time.Second)
	require.Equal(t, 1, srv.SocketConnected())
	require.Len(t, srv.Posted("apps.connections.open"), 1)
	require.Equal(t, slacktest.AppToken, srv.Posted("apps.connections.open")[0].Token)

	// An Events API envelope, acked without payload.
	env := srv.SocketSend(t, "events_api", slacktest.EventCallback("EvS1",
		slacktest.MessageEvent("D0CUST", "U0CUSTOMER", "Laptop will not charge", "1800000200.000100", "")))
	evt := next(t, events)
	require.Equal(t, socketmode.EventTypeEventsAPI, evt.Type)
	require.Equal(t, env, evt.Request.EnvelopeID)
	require.False(t, evt.Request.AcceptsResponsePayload)
	outer := evt.Data.(slackevents.EventsAPIEvent)
	msg := outer.InnerEvent.Data.(*slackevents.MessageEvent)
	require.Equal(t, "D0CUST", msg.Channel)
	require.Equal(t, "Laptop will not charge", msg.Text)
	require.False(t, srv.Acked(env))
	require.NoError(t, client.Ack(*evt.Request))
	require.Nil(t, srv.WaitAck(t, env, 5*time.Second), "an ack without payload")

	// A button press, from the same builder as over HTTP.
	env = srv.SocketSend(t, "interactive", slacktest.BlockAction("U01DANA", "C0TRIAGE", "1700000000.000100", "ticket_ack", "T-1|dana", "trig"))
	evt = next(t, events)
	require.Equal(t, socketmode.EventTypeInteractive, evt.Type)
	cb := evt.Data.(slack.InteractionCallback)
	require.Equal(t, "ticket_ack", cb.ActionCallback.BlockActions[0].ActionID)
	require.True(t, evt.Request.AcceptsResponsePayload)
	require.NoError(t, client.Ack(*evt.Request))
	srv.WaitAck(t, env, 5*time.Second)

	// A slash command, answered on the ack.
	env = srv.SocketSend(t, "slash_commands", slacktest.SlashCommand("U01DANA", "C0TRIAGE", "mine", "trigC"))
	evt = next(t, events)
	require.Equal(t, socketmode.EventTypeSlashCommand, evt.Type)
	sc := evt.Data.(slack.SlashCommand)
	require.Equal(t, "mine", sc.Text)
	require.Equal(t, "U01DANA", sc.UserID)
	require.NoError(t, client.Ack(*evt.Request, map[string]any{"response_type": "ephemeral", "text": "T-1 is yours"}))
	ack := srv.WaitAck(t, env, 5*time.Second)
	require.JSONEq(t, `{"response_type":"ephemeral","text":"T-1 is yours"}`, string(ack))
}

func TestSocketModeReconnects(t *testing.T) {
	srv := slacktest.New(t)
	client, events := socketClient(t, srv)
	srv.WaitSocket(t, 5*time.Second)

	srv.DropSockets()
	// SocketSend waits for the client to come back.
	env := srv.SocketSend(t, "events_api", slacktest.EventCallback("EvR1",
		slacktest.MessageEvent("C0TRIAGE", "U01DANA", "after the drop", "1800000300.000100", "")))
	evt := next(t, events)
	require.NoError(t, client.Ack(*evt.Request))
	srv.WaitAck(t, env, 5*time.Second)
	require.Len(t, srv.Posted("apps.connections.open"), 2, "a new URL for the new connection")

	srv.SocketDisconnect(t, "refresh_requested")
	srv.WaitFor(t, "apps.connections.open", 3, 5*time.Second)
	env = srv.SocketSend(t, "events_api", slacktest.EventCallback("EvR2",
		slacktest.MessageEvent("C0TRIAGE", "U01DANA", "after the refresh", "1800000301.000100", "")))
	evt = next(t, events)
	require.Equal(t, env, evt.Request.EnvelopeID)
	require.NoError(t, client.Ack(*evt.Request))
	srv.WaitAck(t, env, 5*time.Second)
}

// The server's pings keep a client with a short ping interval connected.
func TestSocketModePings(t *testing.T) {
	srv := slacktest.New(t, slacktest.PingEvery(50*time.Millisecond))
	socketClient(t, srv, socketmode.OptionPingInterval(300*time.Millisecond))
	srv.WaitSocket(t, 5*time.Second)
	time.Sleep(time.Second)
	require.Len(t, srv.Posted("apps.connections.open"), 1, "no reconnect for lack of pings")
	require.Equal(t, 1, srv.SocketConnected())
}

func TestSocketURLIsSingleUse(t *testing.T) {
	srv := slacktest.New(t)
	api := slack.New(slacktest.BotToken, slack.OptionAPIURL(srv.APIURL()), slack.OptionAppLevelToken(slacktest.AppToken))
	_, u, err := api.StartSocketModeContext(t.Context())
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(u, "ws://127.0.0.1:"), u)
	ws, _, err := websocket.DefaultDialer.DialContext(t.Context(), u, nil)
	require.NoError(t, err)
	defer ws.Close()
	var hello map[string]any
	require.NoError(t, ws.ReadJSON(&hello))
	require.Equal(t, "hello", hello["type"])
	_, resp, err := websocket.DefaultDialer.DialContext(t.Context(), u, nil)
	require.Error(t, err, "a used URL")
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	env := srv.SocketSend(t, "events_api", json.RawMessage(`{"type":"event_callback"}`))
	var got map[string]any
	require.NoError(t, ws.ReadJSON(&got))
	require.Equal(t, env, got["envelope_id"])
	require.Equal(t, "events_api", got["type"])
	require.Equal(t, map[string]any{"type": "event_callback"}, got["payload"])
}
