package slack

import (
	"fmt"
	"sync"
	"time"

	"github.com/intakehq/intake/channels"
	"github.com/intakehq/intake/ownership"
)

// apiFailureRun is how many calls of one kind in a row must fail before
// Health calls Slack degraded: one refused message (a rep who left the
// workspace) is the outbox's business, a run of them is an outage.
const apiFailureRun = 3

// socketGrace is how long Socket Mode may be reconnecting (Slack asks
// for that routinely) before Health calls it degraded.
const socketGrace = 30 * time.Second

// callKinds name what the outbox sends, by purpose, for Health.
var callKinds = map[string]string{
	ownership.PurposeTriage:       "triage channel posts",
	ownership.PurposeTriageUpdate: "triage channel posts",
	ownership.PurposeMirror:       "ticket thread messages",
	ownership.PurposeReact:        "reactions",
	"notify":                      "direct messages to reps",
	"alert":                       "direct messages to reps",
}

// health is what the App has seen of Slack.
type health struct {
	mu    sync.Mutex
	calls map[string]*channels.Failures // by call kind

	socketUp    bool
	socketSince time.Time // of the last change; zero before Socket Mode runs
	socketErr   string
}

// record notes how one Web API call of kind went.
func (h *health) record(kind string, err error, now time.Time) {
	h.mu.Lock()
	f, ok := h.calls[kind]
	if !ok {
		if h.calls == nil {
			h.calls = map[string]*channels.Failures{}
		}
		f = &channels.Failures{}
		h.calls[kind] = f
	}
	h.mu.Unlock()
	f.Record(err, now)
}

// socket notes the Socket Mode connection going up or down.
func (h *health) socket(up bool, why string, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if up != h.socketUp || h.socketSince.IsZero() {
		h.socketSince = now
	}
	h.socketUp, h.socketErr = up, why
}

// Health reports Slack degraded while a kind of Web API call keeps
// failing (triage posts, thread lines, direct messages, answers to
// customers, auth.test) or, in Socket Mode, while the websocket has been
// down for longer than a short grace.
func (a *App) Health() channels.Health {
	h := &a.health
	var out channels.Health
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, kind := range []string{"auth.test", "triage channel posts", "ticket thread messages", "reactions",
		"direct messages to reps", "messages to customers"} {
		if f := h.calls[kind]; f != nil {
			n := apiFailureRun
			if kind == "auth.test" {
				n = 1 // without it nothing works
			}
			if p := f.Problem("Slack Web API "+kind, n); p != "" {
				out.Problems = append(out.Problems, p)
			}
		}
	}
	if a.SocketMode() && !h.socketUp && !h.socketSince.IsZero() {
		if d := a.cfg.Now().Sub(h.socketSince); d > socketGrace {
			out.Problems = append(out.Problems, fmt.Sprintf("Slack Socket Mode disconnected since %s (%s)",
				h.socketSince.UTC().Format(time.RFC3339), firstNonEmpty(h.socketErr, "reconnecting")))
		}
	}
	return out
}

// callKind names the kind of call an outbox purpose makes.
func callKind(purpose string) string {
	if k, ok := callKinds[purpose]; ok {
		return k
	}
	return "messages to customers"
}
