package ownership

import "time"

// Session is a dashboard sign-in recorded in the store, so that signing out
// (or a session's expiry) ends it on every replica at once.
type Session struct {
	// ID names the session in the store. Callers store a digest of the
	// secret the cookie carries, never the secret itself.
	ID      string
	Kind    string // what signed in: "token" or "user"
	Name    string // the token's or user's name in the config
	Expires time.Time
}

// Failures counts failed sign-ins (or bearer tokens) under one throttle
// key, such as a client address or an account name.
type Failures struct {
	Count int
	Last  time.Time // the latest failure, to the millisecond
}
