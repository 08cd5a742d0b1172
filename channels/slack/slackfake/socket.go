package slackfake

// Socket Mode: apps.connections.open hands out a websocket URL on this
// server, where envelopes go out and acks come back, as with Slack.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// socket serves a Socket Mode connection: hello, then envelopes sent with
// SocketSend; the client's acks are kept for WaitAck.
func (s *Server) socket(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	// Hello goes out before the connection is listed, so no SocketSend
	// writes at the same time (a websocket takes one writer at a time).
	_ = conn.WriteJSON(map[string]any{"type": "hello", "num_connections": 1,
		"connection_info": map[string]any{"app_id": "A0TEST"}, "debug_info": map[string]any{"host": "slackfake"}})
	s.mu.Lock()
	s.sockets = append(s.sockets, conn)
	s.broadcastLocked()
	s.mu.Unlock()
	for {
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if err := conn.ReadJSON(&ack); err != nil {
			return
		}
		s.mu.Lock()
		if ack.Payload == nil {
			ack.Payload = json.RawMessage("null")
		}
		s.acks[ack.EnvelopeID] = ack.Payload
		s.broadcastLocked()
		s.mu.Unlock()
	}
}

func (s *Server) broadcastLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) closeSockets() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.sockets {
		_ = c.Close()
	}
}

// WaitSocket waits until a Socket Mode client is connected.
func (s *Server) WaitSocket(t testing.TB, timeout time.Duration) {
	t.Helper()
	s.waitFor(t, timeout, "a socket mode connection", func() bool { return len(s.sockets) > 0 })
}

// SocketSend sends an envelope of type typ ("events_api", "interactive",
// "slash_commands") with payload to the newest connection and returns its
// envelope id.
func (s *Server) SocketSend(t testing.TB, typ string, payload json.RawMessage) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.envSeq++
	id := fmt.Sprintf("env-%d", s.envSeq)
	conn := s.sockets[len(s.sockets)-1]
	err := conn.WriteJSON(map[string]any{"envelope_id": id, "type": typ, "payload": payload,
		"accepts_response_payload": typ != "events_api", "retry_attempt": 0})
	if err != nil {
		t.Fatalf("slackfake: socket send: %v", err)
	}
	return id
}

// WaitAck waits for the client's acknowledgement of envelope id and
// returns its response payload ("null" when none).
func (s *Server) WaitAck(t testing.TB, id string, timeout time.Duration) json.RawMessage {
	t.Helper()
	var got json.RawMessage
	s.waitFor(t, timeout, "the ack of "+id, func() bool {
		got = s.acks[id]
		return got != nil
	})
	return got
}

func (s *Server) waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		s.mu.Lock()
		ok, changed := cond(), s.changed
		s.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("slackfake: no %s after %s", what, timeout)
		}
	}
}
