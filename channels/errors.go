package channels

import (
	"errors"
	"fmt"
	"time"
)

// ErrBadSignature: a webhook's signature is missing or wrong.
var ErrBadSignature = errors.New("bad signature")

// ErrRejected: the sink refuses a message as invalid; delivering it again
// will not help. (ownership.ErrInvalid is this error.)
var ErrRejected = errors.New("invalid request")

type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent marks err as one that retrying cannot fix (an invalid number,
// an unsubscribed recipient): the outbox dead-letters the message.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err: err}
}

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

// RetryAfterError is a temporary error that says when to try again (HTTP
// 429 with Retry-After).
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("rate limited, retry after %s: %v", e.After, e.Err)
}

// Unwrap returns the underlying error.
func (e *RetryAfterError) Unwrap() error { return e.Err }
