package slacktest

// Socket Mode, as Slack speaks it: apps.connections.open (app token) hands
// out a single-use ws:// URL on this server; a client that dials it gets a
// "hello", then envelopes sent with SocketSend, and answers each with an
// ack {"envelope_id": …, "payload": …} that WaitAck returns. The server
// pings every connection (slack-go reconnects when pings stop).

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

type socketState struct {
	tickets   map[string]bool // handed out by apps.connections.open, not yet dialled
	ticketSeq int
	conns     []*socketConn // open connections, oldest first
	envSeq    int
	acks      map[string]json.RawMessage // envelope id -> ack payload (nil: none)
	closed    bool                       // the test has ended: no new connections
}

func newSocketState() socketState {
	return socketState{tickets: map[string]bool{}, acks: map[string]json.RawMessage{}}
}

// socketConn is one client connection. Writes take wmu: a websocket takes
// one writer at a time (pings, as control frames, need not).
type socketConn struct {
	ws       *websocket.Conn
	wmu      sync.Mutex
	retiring bool // sent a disconnect: no more envelopes (under Server.mu)
}

func (c *socketConn) writeJSON(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteJSON(v)
}

// openConnection answers apps.connections.open with a fresh URL.
func (s *Server) openConnection(url.Values) answer {
	s.socket.ticketSeq++
	ticket := fmt.Sprintf("ticket-%d", s.socket.ticketSeq)
	s.socket.tickets[ticket] = true
	u := "ws" + strings.TrimPrefix(s.http.URL, "http") + "/socket?ticket=" + ticket + "&app_id=" + AppID
	return answer{"ok": true, "url": u}
}

// serveSocket runs one Socket Mode connection until either side closes it.
func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	ticket := r.URL.Query().Get("ticket")
	valid := s.socket.tickets[ticket]
	delete(s.socket.tickets, ticket)
	s.mu.Unlock()
	if !valid {
		http.Error(w, "unknown or used Socket Mode URL; call apps.connections.open", http.StatusUnauthorized)
		return
	}
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }} // slack-go sends Origin: https://api.slack.com
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &socketConn{ws: ws}
	s.mu.Lock()
	n := len(s.socket.conns) + 1
	s.mu.Unlock()
	// Hello goes out before the connection is listed, so it is the first
	// message the client reads.
	err = c.writeJSON(answer{"type": "hello", "num_connections": n,
		"debug_info":      answer{"host": "applink-slacktest", "build_number": 1, "approximate_connection_time": 18060},
		"connection_info": answer{"app_id": AppID}})
	if err != nil {
		_ = ws.Close()
		return
	}
	s.mu.Lock()
	if s.socket.closed {
		s.mu.Unlock()
		_ = ws.Close()
		return
	}
	s.socket.conns = append(s.socket.conns, c)
	s.broadcastLocked()
	s.mu.Unlock()
	done := make(chan struct{})
	go s.ping(c, done)
	s.readAcks(c)
	close(done)
	s.mu.Lock()
	s.removeConnLocked(c)
	s.mu.Unlock()
	_ = ws.Close()
}

// readAcks records the client's acks until the connection fails.
func (s *Server) readAcks(c *socketConn) {
	for {
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if err := c.ws.ReadJSON(&ack); err != nil {
			return
		}
		if ack.EnvelopeID == "" {
			continue
		}
		if string(ack.Payload) == "null" {
			ack.Payload = nil
		}
		s.mu.Lock()
		s.socket.acks[ack.EnvelopeID] = ack.Payload
		s.broadcastLocked()
		s.mu.Unlock()
	}
}

func (s *Server) ping(c *socketConn, done chan struct{}) {
	t := time.NewTicker(s.pingEvery)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			_ = c.ws.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(5*time.Second))
		}
	}
}

func (s *Server) removeConnLocked(c *socketConn) {
	for i, have := range s.socket.conns {
		if have == c {
			s.socket.conns = append(s.socket.conns[:i], s.socket.conns[i+1:]...)
			s.broadcastLocked()
			return
		}
	}
}

// SocketConnected returns the number of open Socket Mode connections that
// take envelopes (not told to disconnect).
func (s *Server) SocketConnected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.liveLocked())
}

func (s *Server) liveLocked() []*socketConn {
	var live []*socketConn
	for _, c := range s.socket.conns {
		if !c.retiring {
			live = append(live, c)
		}
	}
	return live
}

// WaitSocket waits until a Socket Mode client is connected (has been sent
// its hello); the test fails after timeout.
func (s *Server) WaitSocket(t testing.TB, timeout time.Duration) {
	t.Helper()
	if !s.wait(timeout, func() bool { return len(s.liveLocked()) > 0 }) {
		t.Fatalf("slacktest: no Socket Mode connection after %s", timeout)
	}
}

// socketSendWait is how long SocketSend waits for a client to (re)connect.
const socketSendWait = 10 * time.Second

// SocketSend sends an envelope of type typ ("events_api", "interactive",
// "slash_commands") carrying payload to the newest connection, as Slack
// sends each envelope to one of an app's connections, and returns its
// envelope id. It waits up to 10s for a connection; the test fails if
// none comes or the write fails.
//
// payload is sent as JSON: []byte and json.RawMessage as they are (an
// EventCallback body); url.Values holding only "payload" (BlockAction and
// the other interaction builders) as that payload's JSON; other
// url.Values (SlashCommand) as an object of their first values, which is
// how Socket Mode carries a slash command; anything else marshalled.
func (s *Server) SocketSend(t testing.TB, typ string, payload any) string {
	t.Helper()
	raw, err := envelopePayload(payload)
	if err != nil {
		t.Fatalf("slacktest: SocketSend payload: %v", err)
	}
	var c *socketConn
	var id string
	ok := s.wait(socketSendWait, func() bool {
		live := s.liveLocked()
		if len(live) == 0 {
			return false
		}
		c = live[len(live)-1]
		s.socket.envSeq++
		id = fmt.Sprintf("00000000-0000-4000-8000-%012d", s.socket.envSeq)
		return true
	})
	if !ok {
		t.Fatalf("slacktest: SocketSend(%s): no Socket Mode connection after %s", typ, socketSendWait)
	}
	err = c.writeJSON(answer{"envelope_id": id, "type": typ, "payload": raw,
		"accepts_response_payload": typ != "events_api", "retry_attempt": 0, "retry_reason": ""})
	if err != nil {
		t.Fatalf("slacktest: SocketSend(%s): %v", typ, err)
	}
	return id
}

func envelopePayload(payload any) (json.RawMessage, error) {
	switch p := payload.(type) {
	case json.RawMessage:
		return p, nil
	case []byte:
		return p, nil
	case url.Values:
		if len(p) == 1 && p.Has("payload") {
			return json.RawMessage(p.Get("payload")), nil
		}
		flat := map[string]string{}
		for k := range p {
			flat[k] = p.Get(k)
		}
		return json.Marshal(flat)
	}
	return json.Marshal(payload)
}

// WaitAck waits for the client's ack of envelope id and returns the ack's
// payload (nil when the ack carried none); the test fails after timeout.
func (s *Server) WaitAck(t testing.TB, envelopeID string, timeout time.Duration) json.RawMessage {
	t.Helper()
	var payload json.RawMessage
	ok := s.wait(timeout, func() bool {
		var acked bool
		payload, acked = s.socket.acks[envelopeID]
		return acked
	})
	if !ok {
		t.Fatalf("slacktest: no ack of envelope %s after %s", envelopeID, timeout)
	}
	return payload
}

// Acked reports whether envelope id has been acknowledged, without
// waiting: for asserting that an envelope was deliberately left unacked.
func (s *Server) Acked(envelopeID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.socket.acks[envelopeID]
	return ok
}

// SocketDisconnect sends every connection Slack's disconnect message
// (reason "refresh_requested", "warning", "link_disabled"), after which a
// client opens a new connection through apps.connections.open. The old
// connections stay open until the client closes them but, as with Slack,
// take no more envelopes.
func (s *Server) SocketDisconnect(t testing.TB, reason string) {
	t.Helper()
	s.mu.Lock()
	conns := s.liveLocked()
	for _, c := range conns {
		c.retiring = true
	}
	s.broadcastLocked()
	s.mu.Unlock()
	for _, c := range conns {
		err := c.writeJSON(answer{"type": "disconnect", "reason": reason, "debug_info": answer{"host": "applink-slacktest"}})
		if err != nil {
			t.Fatalf("slacktest: SocketDisconnect: %v", err)
		}
	}
}

// closeSockets ends Socket Mode when the test ends: hijacked connections
// outlive the HTTP server's Close.
func (s *Server) closeSockets() {
	s.mu.Lock()
	s.socket.closed = true
	s.mu.Unlock()
	s.DropSockets()
}

// DropSockets closes every Socket Mode connection at once, without a
// close frame, as a network failure would; a client must open a new one
// through apps.connections.open. Acks in flight are lost.
func (s *Server) DropSockets() {
	s.mu.Lock()
	conns := s.socket.conns
	s.socket.conns = nil
	s.broadcastLocked()
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.ws.Close()
	}
}
