package api

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/intakehq/intake/ownership"
)

// SessionStore records sign-ins where every replica sees them
// (ownership.Store implements it).
type SessionStore interface {
	CreateSession(ctx context.Context, s ownership.Session, now time.Time) error
	Session(ctx context.Context, id string, now time.Time) (ownership.Session, error)
	DeleteSession(ctx context.Context, id string) error
}

// A session cookie is name.expiry.id.MAC: the name (base64url) of the
// token or user in the config, the expiry (unix seconds), a random id and
// an HMAC of the rest keyed by that token's or user's own secret. The MAC
// is checked first, so a forged cookie never costs a store read, and a
// removed or changed credential ends its sessions at once; then the store
// must still hold the id (by its digest, so the store never holds a
// usable cookie), so signing out ends the session on every replica.

// StartSession records a new session of kind for name until now+ttl and
// returns its cookie value, signed with key.
func StartSession(ctx context.Context, store SessionStore, kind, name string, key []byte, now time.Time, ttl time.Duration) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("session id: %w", err)
	}
	id := base64.RawURLEncoding.EncodeToString(b[:])
	exp := now.Add(ttl)
	if err := store.CreateSession(ctx, ownership.Session{ID: sessionDigest(id), Kind: kind, Name: name, Expires: exp}, now); err != nil {
		return "", err
	}
	head := base64.RawURLEncoding.EncodeToString([]byte(name)) + "." + strconv.FormatInt(exp.Unix(), 10) + "." + id
	return head + "." + sessionMAC(key, kind, head), nil
}

// VerifySession returns the name a session cookie value of kind signs
// for. keyFor returns the signing key of a name, false when the config no
// longer has it. Any failure is ErrUnauthenticated (or the store's error
// when it cannot be read).
func VerifySession(ctx context.Context, store SessionStore, kind, value string, keyFor func(name string) ([]byte, bool), now time.Time) (string, error) {
	name, id, ok := parseSession(kind, value, keyFor, now)
	if !ok {
		return "", ErrUnauthenticated
	}
	s, err := store.Session(ctx, sessionDigest(id), now)
	if errors.Is(err, ownership.ErrNotFound) || (err == nil && (s.Kind != kind || s.Name != name)) {
		return "", ErrUnauthenticated
	}
	if err != nil {
		return "", err
	}
	return name, nil
}

// EndSession deletes the session a genuine cookie value names; anything
// else is ignored.
func EndSession(ctx context.Context, store SessionStore, kind, value string, keyFor func(name string) ([]byte, bool), now time.Time) error {
	if _, id, ok := parseSession(kind, value, keyFor, now); ok {
		return store.DeleteSession(ctx, sessionDigest(id))
	}
	return nil
}

// parseSession checks a cookie value's form, expiry and MAC, reading
// nothing from the store.
func parseSession(kind, value string, keyFor func(string) ([]byte, bool), now time.Time) (name, id string, ok bool) {
	parts := strings.Split(value, ".")
	if len(parts) != 4 {
		return "", "", false
	}
	head, mac := strings.Join(parts[:3], "."), parts[3]
	raw, err := base64.RawURLEncoding.DecodeString(parts[0])
	exp, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || err2 != nil || now.Unix() >= exp {
		return "", "", false
	}
	key, known := keyFor(string(raw))
	if !known || !hmac.Equal([]byte(mac), []byte(sessionMAC(key, kind, head))) {
		return "", "", false
	}
	return string(raw), parts[2], true
}

func sessionMAC(key []byte, kind, head string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(kind + ":" + head))
	return hex.EncodeToString(m.Sum(nil))
}

func sessionDigest(id string) string {
	sum := sha256.Sum256([]byte("intake-session-id:" + id))
	return hex.EncodeToString(sum[:])
}
