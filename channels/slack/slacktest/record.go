package slacktest

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// Call is one Web API call as the server received it.
type Call struct {
	Method string
	// Params are the form (or query) parameters, or a JSON body's
	// top-level fields: strings as they are, anything else (objects,
	// arrays, numbers) as its raw JSON text. The token is not among them.
	Params url.Values
	Token  string    // from the form's token or the Authorization: Bearer header
	At     time.Time // when it arrived
	Status int       // the HTTP status answered: 200, 429 (RateLimit) or 500 (LoseAnswers)
	Error  string    // Slack's error code when the answer was {"ok":false}; "" otherwise
}

// Message is one message posted with chat.postMessage, as it stands after
// any chat.update.
type Message struct {
	Channel  string // a DM posted to a user id "U…" is under DMChannel(user)
	TS       string
	ThreadTS string // "" for a top-level message
	User     string // who posted it: BotUserID
	Text     string
	Blocks   json.RawMessage // the blocks JSON as sent; nil when none
	Metadata json.RawMessage // the metadata JSON as sent; nil when none
	// Updates counts the chat.update calls that changed the message;
	// Revisions holds its earlier versions, oldest first.
	Updates   int
	Revisions []Revision
}

// Revision is an earlier version of a Message, replaced at At.
type Revision struct {
	Text   string
	Blocks json.RawMessage
	At     time.Time
}

// Reaction is one reaction added with reactions.add.
type Reaction struct{ Channel, TS, Name string }

// Calls returns every call received, in order, refused ones included.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// Posted returns the calls of method that took effect (Error == ""),
// in order. Calls whose answer was lost (LoseAnswers) count.
func (s *Server) Posted(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.postedLocked(method)
}

func (s *Server) postedLocked(method string) []Call {
	var out []Call
	for _, c := range s.calls {
		if c.Method == method && c.Error == "" {
			out = append(out, c)
		}
	}
	return out
}

// Limited counts the calls answered HTTP 429, of every method.
func (s *Server) Limited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if c.Status == http.StatusTooManyRequests {
			n++
		}
	}
	return n
}

// WaitFor waits until at least n calls of method have taken effect and
// returns them all; the test fails if that takes longer than timeout.
func (s *Server) WaitFor(t testing.TB, method string, n int, timeout time.Duration) []Call {
	t.Helper()
	var got []Call
	if !s.wait(timeout, func() bool { got = s.postedLocked(method); return len(got) >= n }) {
		t.Fatalf("slacktest: %d %s calls after %s, want %d", len(got), method, timeout, n)
	}
	return got
}

// Messages returns the messages posted in channel, thread replies
// included, oldest first.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.msgs {
		if m.Channel == channel {
			c := *m
			c.Revisions = slices.Clone(m.Revisions)
			out = append(out, c)
		}
	}
	return out
}

// Reactions returns the reactions added, in order.
func (s *Server) Reactions() []Reaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reactions)
}

// Ephemerals returns the chat.postEphemeral calls that took effect;
// Params carry channel, user, text and blocks.
func (s *Server) Ephemerals() []Call { return s.Posted("chat.postEphemeral") }

// Views returns the views.open calls that took effect; Params carry
// trigger_id and view (the view's JSON as sent).
func (s *Server) Views() []Call { return s.Posted("views.open") }

// readParams reads a call's parameters and token from the query and a
// form or JSON body.
func readParams(r *http.Request) (url.Values, string, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, "", err
	}
	params := r.URL.Query()
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case ct == "application/json" && len(body) > 0:
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(body, &fields); err != nil {
			return nil, "", err
		}
		for k, raw := range fields {
			var str string
			switch {
			case json.Unmarshal(raw, &str) == nil:
				params.Set(k, str)
			case string(raw) != "null":
				params.Set(k, string(raw))
			}
		}
	case len(body) > 0:
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, "", err
		}
		for k, v := range form {
			params[k] = v
		}
	}
	token := params.Get("token")
	params.Del("token")
	if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		token = bearer
	}
	return params, token, nil
}
