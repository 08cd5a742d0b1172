// Package slackfake is a local stand-in for the Slack Web API methods the
// adapter uses, speaking Slack's wire format (form posts with the token,
// JSON answers with "ok", HTTP 429 with Retry-After), plus request signing
// and payload builders done independently of slack-go, for tests.
package slackfake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Credentials and identities of the fake workspace.
const (
	BotToken      = "xoxb-test-0000-intake"
	SigningSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	TeamID        = "T0TEST"
	BotUserID     = "U0BOT"
	BotID         = "B0BOT"
	AppToken      = "xapp-test-0000-intake"
)

// Message is one message posted (and perhaps updated) through the API.
type Message struct {
	Channel  string
	TS       string
	ThreadTS string
	Text     string
	Blocks   json.RawMessage
	Metadata json.RawMessage // as posted ("metadata"), null when none
	Updates  int
}

// Call is one API call as received.
type Call struct {
	Method string
	Params url.Values
}

// Reaction is one reactions.add.
type Reaction struct{ Channel, TS, Name string }

// Server is the stand-in.
type Server struct {
	srv *httptest.Server

	mu        sync.Mutex
	seq       int
	calls     []Call
	msgs      []*Message
	reactions []Reaction
	ephemeral []Call
	views     []Call
	limit     map[string]struct{ count, after int }
	limited   int
	lose      map[string]int // method -> calls to carry out but answer 500
	users     map[string][2]string

	// Socket Mode
	sockets []*websocket.Conn
	acks    map[string]json.RawMessage
	envSeq  int
	changed chan struct{}
}

// New starts the stand-in on loopback; it stops when the test ends.
func New(t testing.TB) *Server {
	s := &Server{limit: map[string]struct{ count, after int }{}, lose: map[string]int{}, users: map[string][2]string{}, acks: map[string]json.RawMessage{}, changed: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("/socket", s.socket)
	mux.HandleFunc("/", s.serve)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.closeSockets)
	t.Cleanup(s.srv.Close)
	return s
}

// APIURL is the base URL for slack-go's OptionAPIURL.
func (s *Server) APIURL() string { return s.srv.URL + "/api/" }

// RateLimit makes the next count calls of method answer 429 with
// Retry-After: after (seconds).
func (s *Server) RateLimit(method string, count, after int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limit[method] = struct{ count, after int }{count, after}
}

// AddUser registers a user users.info knows.
func (s *Server) AddUser(id, name, email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[id] = [2]string{name, email}
}

// LoseAnswers makes the next count calls of method take effect but answer
// HTTP 500, as when Slack did the work and the answer was lost.
func (s *Server) LoseAnswers(method string, count int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lose[method] = count
}

// Limited counts the calls answered 429.
func (s *Server) Limited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limited
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	body, _ := io.ReadAll(r.Body)
	params := url.Values{}
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		for k, v := range m {
			if str, ok := v.(string); ok {
				params.Set(k, str)
			} else {
				raw, _ := json.Marshal(v)
				params.Set(k, string(raw))
			}
		}
	} else {
		params, _ = url.ParseQuery(string(body))
	}
	if token == "" {
		token = params.Get("token")
	}
	w.Header().Set("Content-Type", "application/json")
	answer := func(v map[string]any) { _ = json.NewEncoder(w).Encode(v) }
	if method == "apps.connections.open" {
		if token != AppToken {
			answer(map[string]any{"ok": false, "error": "invalid_auth"})
			return
		}
		answer(map[string]any{"ok": true, "url": "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/socket"})
		return
	}
	if token != BotToken {
		answer(map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.limit[method]; ok && l.count > 0 {
		l.count--
		s.limit[method] = l
		s.limited++
		w.Header().Set("Retry-After", strconv.Itoa(l.after))
		w.WriteHeader(http.StatusTooManyRequests)
		answer(map[string]any{"ok": false, "error": "ratelimited"})
		return
	}
	s.calls = append(s.calls, Call{Method: method, Params: params})
	if s.lose[method] > 0 {
		s.lose[method]--
		real := w
		w = lostAnswer{real}
		defer real.WriteHeader(http.StatusInternalServerError)
	}
	switch method {
	case "auth.test":
		answer(map[string]any{"ok": true, "user_id": BotUserID, "bot_id": BotID, "team_id": TeamID, "user": "intake", "team": "Test"})
	case "chat.postMessage":
		s.seq++
		ts := fmt.Sprintf("1700000000.%06d", s.seq)
		m := &Message{Channel: params.Get("channel"), TS: ts, ThreadTS: params.Get("thread_ts"), Text: params.Get("text"),
			Blocks: json.RawMessage(params.Get("blocks")), Metadata: json.RawMessage(params.Get("metadata"))}
		s.msgs = append(s.msgs, m)
		answer(map[string]any{"ok": true, "channel": m.Channel, "ts": ts})
	case "users.info":
		u, ok := s.users[params.Get("user")]
		if !ok {
			answer(map[string]any{"ok": false, "error": "user_not_found"})
			return
		}
		answer(map[string]any{"ok": true, "user": map[string]any{"id": params.Get("user"), "name": u[0], "real_name": u[0],
			"profile": map[string]any{"real_name": u[0], "email": u[1]}}})
	case "conversations.history":
		var out []map[string]any
		for i := len(s.msgs) - 1; i >= 0; i-- {
			m := s.msgs[i]
			if m.Channel != params.Get("channel") || m.ThreadTS != "" {
				continue
			}
			msg := map[string]any{"type": "message", "ts": m.TS, "text": m.Text, "bot_id": BotID}
			if params.Get("include_all_metadata") == "1" && len(m.Metadata) > 0 {
				msg["metadata"] = m.Metadata
			}
			out = append(out, msg)
		}
		answer(map[string]any{"ok": true, "messages": out, "has_more": false})
	case "chat.update":
		for _, m := range s.msgs {
			if m.Channel == params.Get("channel") && m.TS == params.Get("ts") {
				m.Text, m.Blocks = params.Get("text"), json.RawMessage(params.Get("blocks"))
				m.Updates++
				answer(map[string]any{"ok": true, "channel": m.Channel, "ts": m.TS})
				return
			}
		}
		answer(map[string]any{"ok": false, "error": "message_not_found"})
	case "chat.postEphemeral":
		s.ephemeral = append(s.ephemeral, Call{Method: method, Params: params})
		answer(map[string]any{"ok": true, "message_ts": "1700000000.999999"})
	case "conversations.open":
		answer(map[string]any{"ok": true, "channel": map[string]any{"id": "D" + params.Get("users")}})
	case "reactions.add":
		for _, r := range s.reactions {
			if r.Channel == params.Get("channel") && r.TS == params.Get("timestamp") && r.Name == params.Get("name") {
				answer(map[string]any{"ok": false, "error": "already_reacted"})
				return
			}
		}
		s.reactions = append(s.reactions, Reaction{Channel: params.Get("channel"), TS: params.Get("timestamp"), Name: params.Get("name")})
		answer(map[string]any{"ok": true})
	case "views.open":
		s.views = append(s.views, Call{Method: method, Params: params})
		answer(map[string]any{"ok": true, "view": map[string]any{"id": "V" + strconv.Itoa(len(s.views))}})
	default:
		answer(map[string]any{"ok": false, "error": "unknown_method"})
	}
}

// Messages returns the messages in channel, oldest first.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.msgs {
		if m.Channel == channel {
			out = append(out, *m)
		}
	}
	return out
}

// Posted returns the successful calls of method.
func (s *Server) Posted(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Reactions returns the reactions added.
func (s *Server) Reactions() []Reaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Reaction(nil), s.reactions...)
}

// Ephemerals returns the chat.postEphemeral calls.
func (s *Server) Ephemerals() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.ephemeral...)
}

// Views returns the views.open calls.
func (s *Server) Views() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.views...)
}

// Sign returns the X-Slack-Request-Timestamp and X-Slack-Signature headers
// Slack sends with body at time at: v0= hex HMAC-SHA256 over
// "v0:<ts>:<body>".
func Sign(secret string, at time.Time, body []byte) (timestamp, signature string) {
	timestamp = strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + timestamp + ":"))
	mac.Write(body)
	return timestamp, "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// EventCallback is an Events API body carrying event.
func EventCallback(eventID string, event map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"token": "legacy", "team_id": TeamID, "api_app_id": "A0TEST", "type": "event_callback",
		"event_id": eventID, "event_time": time.Now().Unix(), "event": event})
	return b
}

// MessageEvent is a message event; channels starting with D are DMs.
func MessageEvent(channel, user, text, ts, threadTS string) map[string]any {
	ev := map[string]any{"type": "message", "channel": channel, "user": user, "text": text, "ts": ts, "event_ts": ts,
		"channel_type": "channel"}
	if strings.HasPrefix(channel, "D") {
		ev["channel_type"] = "im"
	}
	if threadTS != "" {
		ev["thread_ts"] = threadTS
	}
	return ev
}

func payload(v map[string]any) url.Values {
	b, _ := json.Marshal(v)
	return url.Values{"payload": {string(b)}}
}

// BlockAction is a button press on a message.
func BlockAction(user, channel, messageTS, actionID, value, triggerID string) url.Values {
	return payload(map[string]any{"type": "block_actions", "team": map[string]any{"id": TeamID}, "user": map[string]any{"id": user},
		"channel": map[string]any{"id": channel}, "message": map[string]any{"ts": messageTS, "type": "message"},
		"container":  map[string]any{"type": "message", "message_ts": messageTS, "channel_id": channel},
		"trigger_id": triggerID, "response_url": "https://hooks.slack.invalid/r",
		"actions": []any{map[string]any{"action_id": actionID, "block_id": "ticket_actions", "value": value, "type": "button"}}})
}

// MessageShortcut is a message shortcut on a message in a thread.
func MessageShortcut(callbackID, user, channel, messageTS, threadTS, text, triggerID string) url.Values {
	return payload(map[string]any{"type": "message_action", "callback_id": callbackID, "team": map[string]any{"id": TeamID},
		"user": map[string]any{"id": user}, "channel": map[string]any{"id": channel}, "trigger_id": triggerID,
		"message_ts": messageTS, "message": map[string]any{"type": "message", "ts": messageTS, "thread_ts": threadTS, "text": text, "user": user}})
}

// ViewSubmission is a modal's submission with one text input.
func ViewSubmission(user, callbackID, viewID, privateMetadata, blockID, actionID, value string) url.Values {
	return payload(map[string]any{"type": "view_submission", "team": map[string]any{"id": TeamID}, "user": map[string]any{"id": user},
		"view": map[string]any{"id": viewID, "callback_id": callbackID, "private_metadata": privateMetadata,
			"state": map[string]any{"values": map[string]any{blockID: map[string]any{actionID: map[string]any{"type": "plain_text_input", "value": value}}}}}})
}

// SlashCommand is a /ticket command's form.
func SlashCommand(user, channel, text, triggerID string) url.Values {
	return url.Values{"command": {"/ticket"}, "text": {text}, "user_id": {user}, "channel_id": {channel}, "team_id": {TeamID},
		"trigger_id": {triggerID}, "response_url": {"https://hooks.slack.invalid/c"}, "token": {"legacy"}}
}

// lostAnswer swallows a response, so the call takes effect but the client
// hears only the 500 written afterwards.
type lostAnswer struct{ http.ResponseWriter }

func (lostAnswer) Write(b []byte) (int, error) { return len(b), nil }
func (lostAnswer) WriteHeader(int)             {}
func (l lostAnswer) Header() http.Header       { return l.ResponseWriter.Header() }
