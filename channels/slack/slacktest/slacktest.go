// Package slacktest is a local stand-in for Slack, for testing the Slack
// adapter over Slack's own wire protocol rather than against mocks of our
// interfaces.
//
// A Server answers the Web API methods the adapter uses at /api/<method>
// (form posts with the token in the form, JSON posts with a bearer token,
// answers as {"ok":…} with HTTP 200, or HTTP 429 with Retry-After), and
// speaks Socket Mode on the same address (apps.connections.open hands out
// a ws:// URL; envelopes go out, acks come back). Point slack-go at it:
//
//	srv := slacktest.New(t)
//	api := slack.New(slacktest.BotToken, slack.OptionAPIURL(srv.APIURL()),
//		slack.OptionAppLevelToken(slacktest.AppToken))
//
// Everything the server receives is recorded for inspection (Calls,
// Messages, Reactions, …). Faults are injected per method (RateLimit,
// Fail, LoseAnswers). Inbound traffic from Slack to the adapter is built
// with the payload builders (EventCallback, BlockAction, SlashCommand, …)
// and signed with Sign or SignedRequest, computed here independently of
// slack-go.
package slacktest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Credentials and identities of the stand-in workspace and app.
const (
	BotToken          = "xoxb-test-0000-intake"
	AppToken          = "xapp-test-0000-intake"
	SigningSecret     = "8f742231b10e8888abcd99yyyzzz85a5" // the example secret of Slack's signing docs
	VerificationToken = "legacy-verification-token"        // the deprecated "token" field of payloads
	TeamID            = "T0TEST"
	TeamDomain        = "test"
	AppID             = "A0TEST"
	BotUserID         = "U0BOT"
	BotID             = "B0BOT"
)

// Option changes how New sets up a Server.
type Option func(*Server)

// PingEvery sets how often the server pings each Socket Mode connection
// (5s by default). slack-go's client drops a connection that has not been
// pinged for its ping interval (socketmode.OptionPingInterval, 30s by
// default), so keep this below the client's.
func PingEvery(d time.Duration) Option {
	return func(s *Server) { s.pingEvery = d }
}

// Server is a running stand-in of one Slack workspace with our app
// installed. Its methods are safe for concurrent use.
type Server struct {
	http      *httptest.Server
	pingEvery time.Duration

	mu        sync.Mutex
	changed   chan struct{} // closed and replaced on every change; see wait
	lastTS    int64         // last message timestamp handed out, in microseconds
	calls     []Call
	faults    map[string][]fault
	msgs      []*Message
	reactions []Reaction
	users     map[string]user
	dms       map[string]bool // DM channels opened with conversations.open
	views     int
	socket    socketState
}

// New starts a Server on a loopback port; it stops when the test ends.
func New(t testing.TB, opts ...Option) *Server {
	s := &Server{
		pingEvery: 5 * time.Second,
		changed:   make(chan struct{}),
		faults:    map[string][]fault{},
		users:     map[string]user{BotUserID: {name: "intake", bot: true}},
		dms:       map[string]bool{},
		socket:    newSocketState(),
	}
	for _, o := range opts {
		o(s)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/socket", s.serveSocket)
	s.http = httptest.NewServer(mux)
	t.Cleanup(s.http.Close)
	t.Cleanup(s.closeSockets) // runs first
	return s
}

// URL is the server's base URL, http://127.0.0.1:<port>.
func (s *Server) URL() string { return s.http.URL }

// APIURL is the base URL of the Web API, for slack.OptionAPIURL; it ends
// in a slash, as slack-go requires.
func (s *Server) APIURL() string { return s.http.URL + "/api/" }

// AddUser registers a user that users.info describes: id ("U…"), full
// name and email. The bot user BotUserID is always known.
func (s *Server) AddUser(id, name, email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[id] = user{name: name, email: email}
}

// DMChannel is the id of the bot's direct-message channel with user, as
// conversations.open answers it and as chat.postMessage records messages
// posted to a user id.
func DMChannel(user string) string { return "D" + user }

// answer is a Web API response body.
type answer map[string]any

func failed(code string) answer { return answer{"ok": false, "error": code} }

// serveAPI runs one Web API call: authenticate, apply any injected fault,
// carry it out, record it, answer.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	params, token, err := readParams(r)
	call := Call{Method: strings.TrimPrefix(r.URL.Path, "/api/"), Params: params, Token: token, At: time.Now(), Status: http.StatusOK}
	a, retryAfter := s.call(&call, err)
	switch call.Status {
	case http.StatusInternalServerError:
		// Done, but the answer is lost: Slack's 5xx pages are HTML.
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(call.Status)
		_, _ = fmt.Fprint(w, "<html><body>Internal Server Error</body></html>")
		return
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(call.Status)
	_ = json.NewEncoder(w).Encode(a)
}

// call carries out and records call (whose parameters could not be read
// when readErr is set); it returns the answer, and the Retry-After
// seconds when call.Status becomes 429.
func (s *Server) call(call *Call, readErr error) (a answer, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, known := methods[call.Method]
	switch {
	case readErr != nil:
		a = failed("invalid_form_data")
	case !known:
		a = failed("unknown_method")
	case authError(m.token, call.Token) != "":
		a = failed(authError(m.token, call.Token))
	default:
		a, retryAfter = s.runLocked(call, m)
	}
	if a["ok"] != true {
		call.Error, _ = a["error"].(string)
	}
	s.calls = append(s.calls, *call)
	s.broadcastLocked()
	return a, retryAfter
}

// runLocked carries out an authenticated call, or the fault injected for
// it; s.mu must be held.
func (s *Server) runLocked(call *Call, m method) (answer, int) {
	f := s.takeFaultLocked(call.Method)
	switch f.kind {
	case faultRateLimit:
		call.Status = http.StatusTooManyRequests
		return failed("ratelimited"), f.retryAfter
	case faultFail:
		return failed(f.code), 0
	case faultLoseAnswer:
		call.Status = http.StatusInternalServerError
	}
	return m.run(s, call.Params), 0
}

// tokenKind is the token a method takes.
type tokenKind int

const (
	botToken tokenKind = iota
	appToken
)

// authError is Slack's error for token on a method that takes want, or
// "" when the token is right.
func authError(want tokenKind, token string) string {
	right, other := BotToken, AppToken
	if want == appToken {
		right, other = AppToken, BotToken
	}
	switch token {
	case right:
		return ""
	case "":
		return "not_authed"
	case other:
		return "not_allowed_token_type"
	}
	return "invalid_auth"
}

// broadcastLocked wakes every wait; s.mu must be held.
func (s *Server) broadcastLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// wait blocks until cond, evaluated under s.mu after every change, holds,
// or until timeout; it reports whether cond held.
func (s *Server) wait(timeout time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ok, changed := cond(), s.changed
		s.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-changed:
		case <-deadline.C:
			return false
		}
	}
}
