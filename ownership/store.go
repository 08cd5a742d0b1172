package ownership

import (
	"context"
	"time"
)

// SchemaVersion is the layout version both stores write and check at open.
// A store refuses to open data written by a newer layout and upgrades data
// written by an older one. Version 2 added leases; version 3 added
// sessions and sign-in throttling (and Ticket.Rev, read as Version from
// tickets written before it).
const SchemaVersion = 3

// CreateRequest creates one ticket with its owner and first events.
type CreateRequest struct {
	// Ticket is stored as given, except ID, Number, Version and Rev, which
	// the store sets (T-<n> with the next n, Version 1, Rev 1). Owner must
	// be set.
	Ticket Ticket
	// Events are appended to the new ticket's timeline in order.
	Events []Event
	// DedupKey, when set, makes the create idempotent: if the key is already
	// recorded, nothing is written and the existing ticket is returned with
	// created == false.
	DedupKey string
	// OwnerCapacity, when > 0, is checked in the same atomic write: if the
	// owner already has that many active (open or pending) tickets, nothing is
	// written and ErrOwnerFull is returned.
	OwnerCapacity int
	// Outbox items are enqueued in the same atomic write (State pending);
	// an item whose ID is already stored is left as it is.
	Outbox []OutboxItem
}

// UpdateRequest replaces a ticket's state and appends events, atomically and
// only if the stored revision is still Ticket.Rev.
type UpdateRequest struct {
	// Ticket is the new state; Ticket.Rev is the revision the change was
	// computed from. The store writes Rev+1 and keeps Version as given: the
	// caller moves Version only when the change Conflicts.
	Ticket Ticket
	Events []Event
	// OpID identifies this change. Applying the same OpID again (a client
	// retry after a lost reply) returns the current ticket and writes nothing.
	OpID string
	// DedupKey, when set and already recorded, makes the update write nothing
	// and return ErrDuplicate (an inbound message seen before).
	DedupKey string
	// OwnerCapacity as in CreateRequest, checked only when the owner changes.
	OwnerCapacity int
	// Outbox as in CreateRequest.
	Outbox []OutboxItem
}

// Filter selects tickets for List. Zero fields match everything.
type Filter struct {
	Statuses []Status
	Owner    string
	Unowned  bool // only tickets that are not closed and have no owner (a broken invariant; for audits)
	Channel  string
	Org      string
	Contact  string // a Contact.Keys() key
	Limit    int    // default 50, at most 1000
	Cursor   string // from Page.Next: continue after the last ticket returned
	// Scope, when not nil, keeps only the tickets it Allows (what one rep
	// may see: owned by or offered to Scope.Rep, or of a team in
	// Scope.Teams). Stores apply it in the list query itself, so a page
	// is full and Next is right whatever the scope leaves out.
	Scope *Scope
}

// Page is one page of tickets, newest first.
type Page struct {
	Tickets []Ticket
	Next    string // "" when there is no more
}

// RepState is the live, shared state of a rep.
type RepState struct {
	Availability string    // "" when never set (the roster's initial value applies)
	Open         int       // active tickets owned
	LastAssigned time.Time // zero when never assigned
}

// Lease is a named, time-limited right to do work that must run in one
// place at a time (reading a mailbox, a sweep).
type Lease struct {
	Name string
	// Holder names who has the lease: unique per process (host, pid and a
	// random part), as two processes with one holder name would both hold
	// it. "" is never a holder.
	Holder string
	// Fence grows by one each time the lease is taken rather than renewed
	// (by another holder, or by anyone after a release); it is never
	// reused. A holder renewing its own lease keeps it, even after the
	// lease expired, as long as nobody took it meanwhile. Writes guarded
	// by the lease carry it (SetFlagFenced), so a holder that lost the
	// lease without noticing (a long pause) cannot overwrite its
	// successor's work.
	Fence int64
	// Until is when the lease expires unless renewed: it is free at any
	// now >= Until.
	Until time.Time
}

// Store keeps tickets and their timelines. Every method is safe for
// concurrent use by many goroutines and, for shared backends, by many
// processes. Each write is one atomic step: readers never see half of it.
type Store interface {
	// CreateTicket stores a new ticket, its owner and events in one atomic
	// write. See CreateRequest for dedup and capacity checks.
	CreateTicket(ctx context.Context, req CreateRequest) (t Ticket, created bool, err error)
	// UpdateTicket applies a compare-and-set change. Checks run in this
	// order: ErrNotFound; an applied OpID (returns the current ticket);
	// ErrDuplicate; ErrConflict when the revision moved; ErrOwnerFull.
	UpdateTicket(ctx context.Context, req UpdateRequest) (Ticket, error)
	// Ticket returns one ticket by id; ErrNotFound if unknown.
	Ticket(ctx context.Context, id string) (Ticket, error)
	// Events returns a ticket's timeline in order; ErrNotFound if unknown.
	Events(ctx context.Context, id string) ([]Event, error)
	// List returns tickets matching f, newest first, a page at a time.
	List(ctx context.Context, f Filter) (Page, error)
	// LookupDedup returns the ticket id recorded for a dedup key, or
	// ErrNotFound.
	LookupDedup(ctx context.Context, key string) (string, error)
	// RepStates returns the live state of every rep that has any (owned
	// tickets, an availability or an assignment).
	RepStates(ctx context.Context) (map[string]RepState, error)
	// SetAvailability records a rep's availability.
	SetAvailability(ctx context.Context, rep, availability string) error

	// Enqueue stores outbox items (State pending) that are not stored yet;
	// an ID already stored is left as it is.
	Enqueue(ctx context.Context, items ...OutboxItem) error
	// ClaimOutbox hands out up to limit items to send: pending ones due at
	// now, and sending ones whose lease expired (a worker died). Each
	// claimed item becomes sending, Attempts+1, LeaseUntil now+lease;
	// oldest NextAt first. Two concurrent claims never return one item.
	ClaimOutbox(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]OutboxItem, error)
	// FinishOutbox records how attempt number attempt of item id ended. It
	// applies only while the item is sending with that attempt number (the
	// claim is the fence): otherwise ErrConflict, and nothing changes.
	// Attempt 0 is an out-of-band change: sent → dead (the provider later
	// reported it undeliverable) or dead → pending (a manager retries it);
	// nothing else.
	FinishOutbox(ctx context.Context, id string, attempt int, r OutboxResult) error
	// OutboxItem returns one item; ErrNotFound if unknown.
	OutboxItem(ctx context.Context, id string) (OutboxItem, error)
	// ListOutbox returns up to limit items in state (all states when ""),
	// newest first.
	ListOutbox(ctx context.Context, state string, limit int) ([]OutboxItem, error)
	// SetFlag stores a small value under key ("" deletes it): opt-outs,
	// provider references.
	SetFlag(ctx context.Context, key, value string) error
	// Flag returns the value under key, "" when there is none.
	Flag(ctx context.Context, key string) (string, error)

	// AcquireLease takes lease name for holder until now+ttl, or renews it
	// when holder already holds it (same Fence, new Until) — also when it
	// expired meanwhile but nobody took it over. A lease that is free,
	// released or expired (Until <= now) is taken with Fence = last fence
	// + 1 (1 for a lease never taken). Otherwise it returns ErrLeaseHeld
	// together with the current Lease. The store decides expiry by now
	// alone, never by its own clock. Name and holder must not be "" and
	// ttl must be > 0.
	AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (Lease, error)
	// ReleaseLease gives the lease up if holder still holds it with fence,
	// so the next AcquireLease (even by the same holder) takes it at once
	// with the next fence; otherwise it does nothing (nil error). Release
	// keeps the fence: a write fenced with it still succeeds until someone
	// takes the lease again.
	ReleaseLease(ctx context.Context, name, holder string, fence int64) error
	// SetFlagFenced is SetFlag guarded by a lease: the write happens only
	// while lease's current fence equals fence (nobody took the lease over
	// since); otherwise ErrConflict and nothing is written. A lease never
	// taken has no fence: always ErrConflict. Used for checkpoints (a
	// mailbox's UIDVALIDITY and last processed UID); Flag reads them.
	SetFlagFenced(ctx context.Context, lease string, fence int64, key, value string) error

	// CreateSession records sess until sess.Expires; an ID already stored
	// is replaced. Expiry is decided by the callers' now, as for leases.
	CreateSession(ctx context.Context, sess Session, now time.Time) error
	// Session returns session id, or ErrNotFound when it is unknown,
	// deleted or expired at now.
	Session(ctx context.Context, id string, now time.Time) (Session, error)
	// DeleteSession ends session id; an unknown id is not an error.
	DeleteSession(ctx context.Context, id string) error

	// RecordFailure counts one failure under key at now and returns the
	// count. A count is forgotten once ttl has passed since its latest
	// failure (the next failure starts again at 1). Concurrent calls never
	// lose a count.
	RecordFailure(ctx context.Context, key string, now time.Time, ttl time.Duration) (Failures, error)
	// Failures returns key's count at now; zero when none or forgotten.
	Failures(ctx context.Context, key string, now time.Time) (Failures, error)
	// ClearFailures forgets key's count.
	ClearFailures(ctx context.Context, key string) error

	// Ping reports whether the store can be reached.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}
