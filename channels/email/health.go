package email

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/intakehq/intake/channels"
)

// connectGrace is how long the reader may take to log in, at start or
// after losing the connection, before Health calls it degraded.
const connectGrace = time.Minute

// mailboxState is the reader's connection as Health reports it.
type mailboxState struct {
	mu      sync.Mutex
	state   string    // "", "connected", "standby", "down"
	since   time.Time // when state was entered; zero before Run
	lastErr error     // why it is down
}

func (m *mailboxState) set(state string, err error, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.state != state {
		m.since = now
	}
	m.state, m.lastErr = state, err
}

// ended records how a session ended: handing the mailbox to another
// replica is not a failure.
func (m *mailboxState) ended(err error, now time.Time) {
	if errors.Is(err, errLeaseLost) {
		m.set("standby", nil, now)
		return
	}
	m.set("down", err, now)
}

// Health reports whether the reader is logged in to the mailbox: degraded
// when it has been disconnected (or never logged in) for longer than a
// short grace; a replica that leaves the mailbox to another one is not
// degraded. Failed sends show in the outbox, which the caller adds.
func (r *Reader) Health() channels.Health {
	ignored := r.Stats().Ignored // before m.mu: the counters have a lock of their own
	m := &r.health
	m.mu.Lock()
	defer m.mu.Unlock()
	var h channels.Health
	now := r.cfg.Now()
	switch {
	case m.state == "connected":
	case m.state == "standby":
		h.Notes = append(h.Notes, "another replica reads the mailbox")
	case m.lastErr != nil:
		h.Problems = append(h.Problems, fmt.Sprintf("IMAP %s not logged in since %s: %v", r.cfg.Addr, m.since.UTC().Format(time.RFC3339), m.lastErr))
	case !m.since.IsZero() && now.Sub(m.since) > connectGrace:
		h.Problems = append(h.Problems, fmt.Sprintf("IMAP %s not logged in after %s", r.cfg.Addr, now.Sub(m.since).Round(time.Second)))
	default:
		h.Notes = append(h.Notes, "connecting to the mailbox")
	}
	if ignored > 0 {
		h.Notes = append(h.Notes, fmt.Sprintf("%d automated mail(s) (auto-replies, bounces, lists) matched no ticket and were left in the mailbox, not taken in", ignored))
	}
	return h
}
