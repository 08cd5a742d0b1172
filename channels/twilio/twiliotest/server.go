// Package twiliotest is an in-process stand-in for Twilio: the REST
// Messages endpoints (create, list and an MMS's media list; form body or
// query, HTTP basic auth, JSON shaped as Twilio documents it, its error
// format and knobs to fail), and webhook requests signed with Twilio's
// documented algorithm.
package twiliotest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// Default credentials the server accepts until SetCredentials changes them.
const (
	AccountSID = "AC00000000000000000000000000000001"
	AuthToken  = "0123456789abcdef0123456789abcdef"
)

// Sent is one message the server accepted.
type Sent struct {
	SID            string
	AccountSID     string
	From           string
	To             string
	Body           string
	StatusCallback string
	MediaURLs      []string
	Form           url.Values // the whole request form
	At             time.Time
}

// Inbound is one message a customer sent to one of the account's numbers,
// as AddInbound recorded it.
type Inbound struct {
	SID    string
	From   string
	To     string
	Body   string
	At     time.Time // date_sent: when Twilio first called the webhook
	Status string    // "received" unless SetStatus changed it
	Media  []Media
}

// Media is one attachment of an inbound MMS.
type Media struct {
	SID         string
	ContentType string
	At          time.Time
}

type failure struct {
	status, code int
	retryAfter   string
}

// Server fakes Twilio's Messages API: POST and GET
// /2010-04-01/Accounts/{AccountSid}/Messages.json (send; list the messages
// sent and those added with AddInbound) and GET
// /2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}/Media.json. It is
// safe for concurrent use.
type Server struct {
	srv *httptest.Server

	mu          sync.Mutex
	sid         string
	token       string
	sent        []Sent
	inbound     []Inbound
	attempts    int
	failNext    []failure
	failTo      map[string]int
	maxPageSize int
	lists       []url.Values
}

// NewServer starts a server accepting AccountSID:AuthToken. Close it when
// done.
func NewServer() *Server {
	s := &Server{sid: AccountSID, token: AuthToken, failTo: map[string]int{}, maxPageSize: 1000}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2010-04-01/Accounts/{account}/Messages.json", s.createMessage)
	mux.HandleFunc("GET /2010-04-01/Accounts/{account}/Messages.json", s.listMessages)
	mux.HandleFunc("GET /2010-04-01/Accounts/{account}/Messages/{sid}/Media.json", s.listMedia)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
	})
	s.srv = httptest.NewServer(mux)
	return s
}

// URL is the base URL to configure as api_url.
func (s *Server) URL() string { return s.srv.URL }

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// SetCredentials changes the account and token the server accepts.
func (s *Server) SetCredentials(accountSID, authToken string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sid, s.token = accountSID, authToken
}

// Messages returns the messages accepted so far, oldest first.
func (s *Server) Messages() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// Attempts counts create requests that passed authentication, failed or
// not.
func (s *Server) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// FailNext makes the next n authenticated requests (any endpoint) fail
// with HTTP status and Twilio error code, sending Retry-After when
// retryAfter is not empty. Calls queue up: FailNext(1, 500, ...) then
// FailNext(1, 429, ...) fails the first request with 500 and the second
// with 429.
func (s *Server) FailNext(n, status, code int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failNext = append(s.failNext, failure{status: status, code: code, retryAfter: retryAfter})
	}
}

// FailTo makes every message to number fail with 400 and Twilio error code
// (21211 invalid number, 21610 unsubscribed, 21614 not a mobile...).
func (s *Server) FailTo(number string, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failTo[number] = code
}

// authorized checks basic auth and that the path names the authenticated
// account, answering 401 or 404 when not.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	s.mu.Lock()
	authed := ok && user == s.sid && pass == s.token
	s.mu.Unlock()
	if !authed {
		w.Header().Set("WWW-Authenticate", `Basic realm="Twilio API"`)
		writeError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return false
	}
	if r.PathValue("account") != user {
		writeError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return false
	}
	return true
}

// injected answers the next queued failure, if any; the caller holds no
// lock.
func (s *Server) injected(w http.ResponseWriter, to string) bool {
	s.mu.Lock()
	var fail *failure
	if len(s.failNext) > 0 {
		fail = &s.failNext[0]
		s.failNext = s.failNext[1:]
	}
	s.mu.Unlock()
	if fail == nil {
		return false
	}
	if fail.retryAfter != "" {
		w.Header().Set("Retry-After", fail.retryAfter)
	}
	writeError(w, fail.status, fail.code, message(fail.code, to))
	return true
}

func (s *Server) createMessage(w http.ResponseWriter, r *http.Request) {
	account := r.PathValue("account")
	if !s.authorized(w, r) {
		return
	}
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, 20001, "Invalid form body")
		return
	}
	f := r.PostForm
	s.mu.Lock()
	s.attempts++
	toCode := s.failTo[f.Get("To")]
	s.mu.Unlock()
	if s.injected(w, f.Get("To")) {
		return
	}

	switch {
	case f.Get("To") == "":
		writeError(w, http.StatusBadRequest, 21604, message(21604, ""))
		return
	case f.Get("From") == "" && f.Get("MessagingServiceSid") == "":
		writeError(w, http.StatusBadRequest, 21603, message(21603, ""))
		return
	case f.Get("Body") == "" && f.Get("MediaUrl") == "" && f.Get("ContentSid") == "":
		writeError(w, http.StatusBadRequest, 21602, message(21602, ""))
		return
	case toCode != 0:
		writeError(w, http.StatusBadRequest, toCode, message(toCode, f.Get("To")))
		return
	}

	now := time.Now().UTC()
	m := Sent{SID: newSID("SM"), AccountSID: account, From: f.Get("From"), To: f.Get("To"), Body: f.Get("Body"),
		StatusCallback: f.Get("StatusCallback"), MediaURLs: f["MediaUrl"], Form: f, At: now}
	s.mu.Lock()
	s.sent = append(s.sent, m)
	s.mu.Unlock()

	writeJSON(w, http.StatusCreated, messageJSON(account, m.SID, "outbound-api", "queued", m.From, m.To, m.Body,
		len(m.MediaURLs), now, time.Time{}))
}

// messageJSON is a Message resource as Twilio documents it. A zero sent is
// a null date_sent.
func messageJSON(account, sid, direction, status, from, to, body string, numMedia int, created, sent time.Time) map[string]any {
	uri := "/2010-04-01/Accounts/" + account + "/Messages/" + sid
	var dateSent any
	if !sent.IsZero() {
		dateSent = rfc2822(sent)
	}
	price := any(nil)
	if direction == "inbound" {
		price = "-0.00790"
	}
	return map[string]any{
		"account_sid":           account,
		"api_version":           "2010-04-01",
		"body":                  body,
		"date_created":          rfc2822(created),
		"date_sent":             dateSent,
		"date_updated":          rfc2822(created),
		"direction":             direction,
		"error_code":            nil,
		"error_message":         nil,
		"from":                  from,
		"messaging_service_sid": nil,
		"num_media":             strconv.Itoa(numMedia),
		"num_segments":          strconv.Itoa(segments(body)),
		"price":                 price,
		"price_unit":            "USD",
		"sid":                   sid,
		"status":                status,
		"subresource_uris":      map[string]string{"media": uri + "/Media.json", "feedback": uri + "/Feedback.json"},
		"to":                    to,
		"uri":                   uri + ".json",
	}
}

// rfc2822 is Twilio's timestamp format: "Wed, 04 Mar 2026 10:30:00 +0000".
func rfc2822(t time.Time) string { return t.UTC().Format(time.RFC1123Z) }

// segments approximates how many SMS segments body takes (GSM-7 sizes).
func segments(body string) int {
	n := len([]rune(body))
	if n <= 160 {
		return 1
	}
	return (n + 152) / 153
}

// message is Twilio's text for the error codes the server produces.
func message(code int, to string) string {
	switch code {
	case 21211:
		return fmt.Sprintf("Invalid 'To' Phone Number: %s", to)
	case 21408:
		return "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: " + to
	case 21602:
		return "Message body is required."
	case 21603:
		return "The 'From' number is required."
	case 21604:
		return "A 'To' phone number is required."
	case 21606:
		return "The 'From' phone number provided is not a valid message-capable Twilio phone number for this destination/account."
	case 21610:
		return "Attempt to send to unsubscribed recipient"
	case 21614:
		return fmt.Sprintf("'To' number %s is not a valid mobile number", to)
	case 20429:
		return "Too Many Requests"
	case 20500:
		return "An internal server error has occurred"
	}
	return "Error " + strconv.Itoa(code)
}

func writeError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{
		"code":      code,
		"message":   msg,
		"more_info": "https://www.twilio.com/docs/errors/" + strconv.Itoa(code),
		"status":    status,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// newSID is prefix and 32 random hex digits, as Twilio's SIDs are.
func newSID(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}
