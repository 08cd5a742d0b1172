// Package twiliotest is an in-process stand-in for Twilio: the REST
// Messages endpoint (form body, HTTP basic auth, JSON shaped as Twilio
// documents it, its error format and knobs to fail), and webhook requests
// signed with Twilio's documented algorithm.
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

type failure struct {
	status, code int
	retryAfter   string
}

// Server fakes POST /2010-04-01/Accounts/{AccountSid}/Messages.json. It is
// safe for concurrent use.
type Server struct {
	srv *httptest.Server

	mu       sync.Mutex
	sid      string
	token    string
	sent     []Sent
	attempts int
	failNext []failure
	failTo   map[string]int
}

// NewServer starts a server accepting AccountSID:AuthToken. Close it when
// done.
func NewServer() *Server {
	s := &Server{sid: AccountSID, token: AuthToken, failTo: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2010-04-01/Accounts/{account}/Messages.json", s.createMessage)
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

// FailNext makes the next n authenticated create requests fail with HTTP
// status and Twilio error code, sending Retry-After when retryAfter is not
// empty. Calls queue up: FailNext(1, 500, ...) then FailNext(1, 429, ...)
// fails the first request with 500 and the second with 429.
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

func (s *Server) createMessage(w http.ResponseWriter, r *http.Request) {
	account := r.PathValue("account")
	user, pass, ok := r.BasicAuth()
	s.mu.Lock()
	authed := ok && user == s.sid && pass == s.token
	s.mu.Unlock()
	if !authed {
		w.Header().Set("WWW-Authenticate", `Basic realm="Twilio API"`)
		writeError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	if account != user {
		writeError(w, http.StatusNotFound, 20404, "The requested resource /2010-04-01/Accounts/"+account+"/Messages.json was not found")
		return
	}
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, 20001, "Invalid form body")
		return
	}
	f := r.PostForm
	s.mu.Lock()
	s.attempts++
	var fail *failure
	if len(s.failNext) > 0 {
		fail = &s.failNext[0]
		s.failNext = s.failNext[1:]
	}
	toCode := s.failTo[f.Get("To")]
	s.mu.Unlock()

	switch {
	case fail != nil:
		if fail.retryAfter != "" {
			w.Header().Set("Retry-After", fail.retryAfter)
		}
		writeError(w, fail.status, fail.code, message(fail.code, f.Get("To")))
		return
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

	uri := "/2010-04-01/Accounts/" + account + "/Messages/" + m.SID
	date := now.Format(time.RFC1123Z)
	writeJSON(w, http.StatusCreated, map[string]any{
		"account_sid":           account,
		"api_version":           "2010-04-01",
		"body":                  m.Body,
		"date_created":          date,
		"date_sent":             nil,
		"date_updated":          date,
		"direction":             "outbound-api",
		"error_code":            nil,
		"error_message":         nil,
		"from":                  m.From,
		"messaging_service_sid": nil,
		"num_media":             strconv.Itoa(len(m.MediaURLs)),
		"num_segments":          strconv.Itoa(segments(m.Body)),
		"price":                 nil,
		"price_unit":            "USD",
		"sid":                   m.SID,
		"status":                "queued",
		"subresource_uris":      map[string]string{"media": uri + "/Media.json"},
		"to":                    m.To,
		"uri":                   uri + ".json",
	})
}

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
