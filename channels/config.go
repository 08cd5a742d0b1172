package channels

import (
	"errors"
	"fmt"
)

// ConfigError is one problem with an adapter's settings. Key is the
// setting's key path in intake's config file ("channels.twilio.auth_token",
// "public_url"), so the loader can point at the line that wrote it; the
// adapters' Validate methods return an errors.Join of them, and that one
// check serves both `intake check-config` and the constructors `intake
// serve` calls. Err never contains a secret value.
type ConfigError struct {
	Key string
	Err error
}

// Error formats the problem as "key: message".
func (e *ConfigError) Error() string { return e.Key + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *ConfigError) Unwrap() error { return e.Err }

// ConfigErrors collects an adapter's configuration problems in order.
type ConfigErrors []error

// Addf records a problem with key, formatted as by fmt.Errorf.
func (l *ConfigErrors) Addf(key, format string, args ...any) {
	*l = append(*l, &ConfigError{Key: key, Err: fmt.Errorf(format, args...)})
}

// Err returns the problems joined, or nil when there are none.
func (l ConfigErrors) Err() error { return errors.Join(l...) }

// EachConfigError calls fn with each *ConfigError in err (a single one or
// a tree of errors.Join), and with nil for any other error in it.
func EachConfigError(err error, fn func(e *ConfigError, other error)) {
	if err == nil {
		return
	}
	var ce *ConfigError
	if errors.As(err, &ce) && ce == err {
		fn(ce, nil)
		return
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			EachConfigError(e, fn)
		}
		return
	}
	if errors.As(err, &ce) {
		fn(ce, nil)
		return
	}
	fn(nil, err)
}
