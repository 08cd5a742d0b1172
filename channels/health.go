package channels

import (
	"fmt"
	"sync"
	"time"
)

// Health is an adapter's own view of its live state: what it can see of
// its provider (a connection, the last calls), not the outbox, which the
// caller adds. No problems means working as far as the adapter can tell.
type Health struct {
	// Problems say what is failing, one short sentence each, without
	// secrets; any makes the channel degraded.
	Problems []string `json:"problems,omitempty"`
	// Notes are facts that are not failures ("another replica reads the
	// mailbox").
	Notes []string `json:"notes,omitempty"`
}

// Failures tracks how an adapter's recent calls of one kind went (Web API
// calls, reconcile sweeps): the run of failures since the last success and
// the last error. The zero value is ready; it is safe for concurrent use.
type Failures struct {
	mu    sync.Mutex
	run   int       // failures since the last success
	since time.Time // of the first failure of the run
	last  error
}

// Record notes one call's outcome at now: nil is a success and ends a run
// of failures.
func (f *Failures) Record(err error, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err == nil {
		f.run, f.last = 0, nil
		return
	}
	if f.run == 0 {
		f.since = now
	}
	f.run++
	f.last = err
}

// Problem describes the run of failures of what ("Slack Web API calls")
// when it is at least threshold long, and returns "" otherwise.
func (f *Failures) Problem(what string, threshold int) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.run < max(threshold, 1) {
		return ""
	}
	return fmt.Sprintf("%s failing: %d in a row since %s, last: %v", what, f.run, f.since.UTC().Format(time.RFC3339), f.last)
}
