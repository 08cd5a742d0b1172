package channeltest

import (
	"context"
	"sync"

	"github.com/intakehq/intake/channels"
)

// Witness is what a handler under test delivers to: a Recorder, or an
// adapter's own recording fake.
type Witness interface {
	// Accepted returns every message delivered so far, in order.
	Accepted() []channels.Message
	// Calls counts every call the handler made on the witness, reads
	// included: before a request is verified there must be none.
	Calls() int
}

// Recorder is a Sink that records every message it is given. It answers
// with Ref, or fails: with Err for every message, or with the error set
// by FailFor for one ExternalID. NewLedgerRecorder's Recorder also
// dedupes as the ledger does.
type Recorder struct {
	// Ref is the answer to every accepted message (a plain Recorder).
	Ref channels.TicketRef
	// Err, when set, fails every Accept (the message is still recorded,
	// as the adapter did deliver it).
	Err error

	mu       sync.Mutex
	accepted []channels.Message // every call
	stored   []channels.Message // the ones taken in (not failed, not duplicate)
	fail     map[string]error   // by ExternalID
	seen     map[string]bool    // DedupKeys taken in; nil when not deduping
}

var _ channels.Sink = (*Recorder)(nil)

// NewFailing is a Recorder whose every Accept fails with err.
func NewFailing(err error) *Recorder { return &Recorder{Err: err} }

// NewLedgerRecorder is a Recorder that stores each DedupKey once, as the
// ledger does: a new key is answered Created with ticket "T-"+key, a key
// seen before Duplicate with the same ticket.
func NewLedgerRecorder() *Recorder { return &Recorder{seen: map[string]bool{}} }

// FailFor makes Accept fail with err for messages with externalID.
func (r *Recorder) FailFor(externalID string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail == nil {
		r.fail = map[string]error{}
	}
	r.fail[externalID] = err
}

// Accept records m and answers as set.
func (r *Recorder) Accept(_ context.Context, m channels.Message) (channels.TicketRef, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.accepted = append(r.accepted, m)
	if r.Err != nil {
		return channels.TicketRef{}, r.Err
	}
	if err := r.fail[m.ExternalID]; err != nil {
		return channels.TicketRef{}, err
	}
	if r.seen == nil {
		r.stored = append(r.stored, m)
		return r.Ref, nil
	}
	key := m.DedupKey()
	if r.seen[key] {
		return channels.TicketRef{ID: "T-" + key, Duplicate: true}, nil
	}
	r.seen[key] = true
	r.stored = append(r.stored, m)
	return channels.TicketRef{ID: "T-" + key, Created: true}, nil
}

// Accepted returns every message Accept was called with, failed and
// duplicate ones included.
func (r *Recorder) Accepted() []channels.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]channels.Message(nil), r.accepted...)
}

// Stored returns the messages taken in: not failed and, for a ledger
// recorder, not duplicates.
func (r *Recorder) Stored() []channels.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]channels.Message(nil), r.stored...)
}

// Last is the latest message Accept was called with; it fails the test's
// expectation loudly (a panic) when there is none.
func (r *Recorder) Last() channels.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.accepted[len(r.accepted)-1]
}

// Calls counts Accept calls.
func (r *Recorder) Calls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.accepted)
}
