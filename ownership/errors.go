package ownership

import (
	"errors"
	"fmt"

	"github.com/intakehq/intake/channels"
)

// Errors a Store returns. Callers test them with errors.Is.
var (
	// ErrNotFound: no ticket with that id.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the ticket's revision (or, for a client's change, its
	// version) is not the one the change expected; someone else changed it
	// first.
	ErrConflict = errors.New("version conflict")
	// ErrOwnerFull: the chosen owner already has as many active tickets as
	// the capacity the write was checked against.
	ErrOwnerFull = errors.New("owner at capacity")
	// ErrDuplicate: the dedup key of the change is already recorded; nothing
	// was written.
	ErrDuplicate = errors.New("duplicate")
	// ErrNoOwner: a write would leave a ticket that is not closed without an
	// owner. Stores refuse it, so the one-owner invariant holds even against
	// a buggy caller.
	ErrNoOwner = errors.New("a ticket that is not closed must have an owner")
	// ErrLeaseHeld: another holder has the lease and it has not expired.
	ErrLeaseHeld = errors.New("lease held by another holder")
)

// Errors the Service returns besides the Store's. The API maps them to
// status codes; their text is meant for the person who made the request.
var (
	// ErrForbidden: the actor may not make this change.
	ErrForbidden = errors.New("forbidden")
	// ErrInvalid: the request itself is wrong (unknown rep, bad status...).
	ErrInvalid = channels.ErrRejected
	// ErrState: the change does not fit the ticket's state (closed, no offer...).
	ErrState = errors.New("not possible in the ticket's state")
)

// ConflictError is returned when a change carried a version that is no
// longer current. It wraps ErrConflict and carries the current ticket so the
// caller can show it (the API answers 409 with it).
type ConflictError struct {
	Current Ticket
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s changed: it is at version %d", e.Current.ID, e.Current.Version)
}

// Unwrap makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// refusals are the errors that are the requester's to read: the ledger
// said no to this request, and asking again unchanged gets the same
// answer (or, for a conflict, needs a fresh look first).
var refusals = []error{ErrConflict, ErrForbidden, ErrInvalid, ErrState, ErrNotFound, ErrOwnerFull}

// IsRefusal reports whether err is the ledger refusing the request (a
// stale version, a forbidden or invalid change, a state that does not
// allow it, an unknown ticket, an owner at capacity) rather than failing
// to answer it. Front ends show a refusal to the person who asked (the
// API with a 4xx status); anything else is theirs to log and report as
// unavailable (the API's 503, Slack's retry).
func IsRefusal(err error) bool {
	for _, r := range refusals {
		if errors.Is(err, r) {
			return true
		}
	}
	return false
}
